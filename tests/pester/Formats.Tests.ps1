#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: every object CasAdmin writes renders through its own table view: Format-Table shows the view's headers,
    and no view shows a secret. The objects come from a short run against the sandbox the module ships.
#>

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    Import-TestModule

    # Table headers by type name, from the module's own format file.
    $views = ([xml](Get-Content -Raw -LiteralPath (Join-Path $ModuleFolder 'CasAdmin.Format.ps1xml'))).Configuration.ViewDefinitions.View
    $headers = @{}
    foreach ($view in $views | Where-Object { $_.TableControl }) {
        $headers[$view.ViewSelectedBy.TypeName] = @($view.TableControl.TableHeaders.TableColumnHeader | ForEach-Object Label)
    }
    $listViews = @($views | Where-Object { $_.ListControl } | ForEach-Object { $_.ViewSelectedBy.TypeName })

    # One object of every output type, from the sandbox.
    Start-TestSandbox 'formats'
    $app = New-CasTeamsChatApp -Connection $contoso -ConsoleUrl 'https://admin.cas.example.com' -GrantAdminConsent -Confirm:$false
    $account = $app | New-CasTeamsChatAccount -Connection $contoso -LicensingModel Evaluation -SkipInventory -Confirm:$false
    $inventory = $account | Update-CasTeamsChatInventory -Confirm:$false
    $token = $account | New-CasAccessToken -Confirm:$false
    $finding = $account | Test-CasServiceAccount | Select-Object -First 1
    $notification = Get-CasNotification -AccountId $account.AccountId | Select-Object -First 1
    $audit = Get-CasAuditLog -AccountId $account.AccountId | Select-Object -First 1
    $candidate = Find-CasServiceAccount -Connection $contoso | Where-Object { $_.Service -eq 'ExchangeOnlineInline' } | Select-Object -First 1
    $job = $candidate | Register-CasServiceAccount -Confirm:$false | Remove-CasServiceAccount -Force -Confirm:$false
    $cleanup = $job | Get-CasCleanupItem | Select-Object -First 1

    $samples = @(
        $contoso, $app, $account, $inventory, $token, $finding, $notification, $audit, $candidate, $job, $job.Steps[0], $cleanup,
        $sandbox, $sandbox.Tenants[0]
    )
}

AfterAll {
    Stop-TestSandbox
}

Describe 'The table views' {
    It 'exist for every sample object' {
        foreach ($sample in $samples) {
            $sample | Should -Not -BeNullOrEmpty
            $headers.ContainsKey($sample.GetType().FullName) | Should -BeTrue -Because "$($sample.GetType().FullName) is written by a cmdlet"
        }
    }

    It 'render the headers of <_>' -ForEach @(
        'CasAdmin.Engine.Connections.CasConnection', 'CasAdmin.Engine.Provisioning.CasTeamsChatApp',
        'CasAdmin.Engine.Accounts.CasServiceAccount', 'CasAdmin.Engine.Provisioning.TeamsChatInventoryResult',
        'CasAdmin.Engine.Provisioning.CasAccessTokenInfo', 'CasAdmin.Engine.Accounts.CasHealthFinding',
        'CasAdmin.Engine.Accounts.CasNotification', 'CasAdmin.Engine.Accounts.CasServiceAccountCandidate',
        'CasAdmin.Engine.Deprovisioning.CasRemovalJob', 'CasAdmin.Engine.Deprovisioning.CasRemovalStep',
        'CasAdmin.Engine.Deprovisioning.CasCleanupItem', 'CasAdmin.Engine.Sandbox.CasSandbox', 'CasAdmin.Engine.Sandbox.CasSandboxTenant'
    ) {
        $typeName = $_
        $sample = $samples | Where-Object { $_.GetType().FullName -eq $typeName } | Select-Object -First 1
        $sample | Should -Not -BeNullOrEmpty -Because "the run produced a $typeName"
        $text = $sample | Format-Table | Out-String -Width 400
        foreach ($label in $headers[$typeName]) {
            $text | Should -Match ([regex]::Escape($label)) -Because "the $typeName table has the column $label"
        }
    }

    It 'render a real <_> in every view without its type name' -ForEach @(
        'CasAdmin.Engine.Connections.CasConnection', 'CasAdmin.Engine.Provisioning.CasTeamsChatApp',
        'CasAdmin.Engine.Accounts.CasServiceAccount', 'CasAdmin.Engine.Provisioning.TeamsChatInventoryResult',
        'CasAdmin.Engine.Provisioning.CasAccessTokenInfo', 'CasAdmin.Engine.Accounts.CasHealthFinding',
        'CasAdmin.Engine.Accounts.CasNotification', 'CasAdmin.Engine.Accounts.CasServiceAccountCandidate',
        'CasAdmin.Engine.Deprovisioning.CasRemovalJob', 'CasAdmin.Engine.Deprovisioning.CasRemovalStep',
        'CasAdmin.Engine.Deprovisioning.CasCleanupItem', 'CasAdmin.Engine.Sandbox.CasSandbox', 'CasAdmin.Engine.Sandbox.CasSandboxTenant'
    ) {
        $typeName = $_
        $sample = $samples | Where-Object { $null -ne $_ -and $_.GetType().FullName -eq $typeName } | Select-Object -First 1
        $sample | Should -Not -BeNullOrEmpty -Because "the run produced a $typeName"
        # Default output, the table and, where the format file has one, the list view. A view that does not apply
        # prints the type's full name (or nothing) instead of the object.
        $renderings = @(
            ($sample | Out-String -Width 400), ($sample | Format-Table | Out-String -Width 400)
            if ($typeName -in $listViews) { $sample | Format-List | Out-String -Width 400 }
        )
        foreach ($text in $renderings) {
            $text.Trim() | Should -Not -BeNullOrEmpty
            $text | Should -Not -Match ([regex]::Escape($typeName))
        }
    }

    It 'show removal steps one per line in the list view of a job' {
        $text = $job | Format-List | Out-String -Width 400
        foreach ($step in $job.Steps) {
            $text | Should -Match ([regex]::Escape($step.Name))
        }
        $text | Should -Match 'RemainingChanges'
    }

    It 'never show a secret: not the app''s, not the sandbox tenants''' {
        $secrets = @(
            [System.Net.NetworkCredential]::new('', $app.Secret).Password
            $sandbox.Tenants | ForEach-Object { [System.Net.NetworkCredential]::new('', $_.AdminAppSecret).Password }
        )
        foreach ($sample in $samples) {
            $text = ($sample | Format-Table | Out-String -Width 400) + ($sample | Format-List | Out-String -Width 400)
            foreach ($secret in $secrets) {
                $text | Should -Not -Match ([regex]::Escape($secret))
            }
        }
    }
}
