#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: every object CasAdmin writes renders through its own table view: Format-Table shows the view's headers,
    and no view shows a secret. The objects come from a short run against the sandbox the module ships.
#>

BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $props = [xml](Get-Content -Raw -LiteralPath (Join-Path $repo 'Directory.Build.props'))
    $version = @($props.Project.PropertyGroup | ForEach-Object { $_.CasAdminVersion } | Where-Object { $_ })[0]
    $moduleFolder = Join-Path $repo "out/CasAdmin/$version"
    $manifest = Join-Path $moduleFolder 'CasAdmin.psd1'
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "The module is not built: $manifest is missing. Run 'dotnet build CasAdmin.sln -c Release' first."
    }
    Import-Module $manifest -Force -ErrorAction Stop

    # Table headers by type name, from the module's own format file.
    $views = ([xml](Get-Content -Raw -LiteralPath (Join-Path $moduleFolder 'CasAdmin.Format.ps1xml'))).Configuration.ViewDefinitions.View
    $headers = @{}
    foreach ($view in $views | Where-Object { $_.TableControl }) {
        $headers[$view.ViewSelectedBy.TypeName] = @($view.TableControl.TableHeaders.TableColumnHeader | ForEach-Object Label)
    }

    # One object of every output type, from the sandbox.
    $sandbox, $connections = Start-CasSandbox -Connect -StorePath (Join-Path $TestDrive 'formats.db') -TimeoutSeconds 180 -Confirm:$false
    $contoso = $connections[0]
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
    if (Get-Module CasAdmin) {
        Stop-CasSandbox -All -Confirm:$false -ErrorAction SilentlyContinue
        Disconnect-CasTenant -All -Confirm:$false -ErrorAction SilentlyContinue
        Remove-Module CasAdmin -Force
    }
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
