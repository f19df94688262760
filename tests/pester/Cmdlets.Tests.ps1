#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: what a script sees of the cmdlets against the sandbox. The types scripts name, -WhatIf checked in Graph
    (the sandbox's own view of the tenant, not the module's output), -Confirm answered by a real console host,
    ErrorRecords (id, category, target, recommended action) and TabExpansion2 completions.
#>

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    Import-TestModule
    Start-TestSandbox 'cmdlets'

    # Graph of both tenants as comparable text: what -WhatIf must leave untouched.
    function Get-GraphSnapshot {
        foreach ($tenant in $sandbox.Tenants) {
            Get-SandboxState $tenant.TenantId | ConvertTo-Json -Depth 6 -Compress
        }
    }

    function Get-CompletionText([string] $InputScript) {
        @((TabExpansion2 -inputScript $InputScript -cursorColumn $InputScript.Length).CompletionMatches | ForEach-Object CompletionText)
    }
}

AfterAll {
    Stop-TestSandbox
}

Describe 'Types scripts can name' {
    It 'resolves the output types and enums as type literals' {
        [CasAdmin.Engine.Accounts.CasServiceAccount] | Should -BeOfType [type]
        [CasAdmin.Engine.Accounts.CasService]::Teams | Should -Be 'Teams'
        [CasAdmin.Engine.Accounts.CasService]::Teams.GetType().IsEnum | Should -BeTrue
        $contoso -is [CasAdmin.Engine.Connections.CasConnection] | Should -BeTrue
        $sandbox -is [CasAdmin.Engine.Sandbox.CasSandbox] | Should -BeTrue
    }

    It 'keeps Exchange Online in Where-Object Service' {
        $candidates = @(Find-CasServiceAccount -Connection $contoso)
        $kept = @($candidates | Where-Object Service)
        $kept.Service | Should -Contain ([CasAdmin.Engine.Accounts.CasService]::ExchangeOnline)
        $kept.Count | Should -Be @($candidates | Where-Object { $null -ne $_.Service }).Count

        $script:accounts = @(Find-CasServiceAccount | Where-Object { $_.Service -and -not $_.Registered } | Register-CasServiceAccount -Confirm:$false)
        $registered = @(Get-CasServiceAccount | Where-Object Service)
        $registered.Count | Should -Be $accounts.Count
        $registered | Where-Object Service -EQ 'ExchangeOnline' | Should -Not -BeNullOrEmpty
        $registered[0] | Should -BeOfType ([CasAdmin.Engine.Accounts.CasServiceAccount])
    }
}

Describe '-WhatIf changes nothing in Graph' {
    It 'removes nothing with Remove-CasServiceAccount -WhatIf, for every account of both tenants' {
        $before = Get-GraphSnapshot
        $accounts | Remove-CasServiceAccount -RemoveApp -RemoveDelegateAccount -WhatIf
        Remove-CasServiceAccount -Service Teams -TenantId $fabrikam.TenantId -WhatIf
        Get-GraphSnapshot | Should -Be $before
        Get-CasRemovalJob | Should -BeNullOrEmpty
    }

    It 'registers no app with New-CasTeamsChatApp -WhatIf' {
        $before = Get-GraphSnapshot
        New-CasTeamsChatApp -Connection $contoso -ConsoleUrl 'https://admin.cas.example.com' -GrantAdminConsent -WhatIf | Should -BeNullOrEmpty
        Get-GraphSnapshot | Should -Be $before
    }

    It 'disconnects nothing with Disconnect-CasTenant -WhatIf and stops no sandbox with Stop-CasSandbox -WhatIf' {
        Disconnect-CasTenant -All -WhatIf
        Stop-CasSandbox -All -WhatIf
        @(Get-CasConnection).Count | Should -Be 2
        (Get-Process -Id $sandbox.ProcessId -ErrorAction SilentlyContinue) | Should -Not -BeNullOrEmpty
        Invoke-SandboxControl GET 'info' | Should -Not -BeNullOrEmpty
    }

    It 'stops a sandbox given as the argument: Stop-CasSandbox $sandbox' {
        $other = Start-CasSandbox
        Stop-CasSandbox $other -Confirm:$false
        Get-Process -Id $other.ProcessId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        (Get-Process -Id $sandbox.ProcessId -ErrorAction SilentlyContinue) | Should -Not -BeNullOrEmpty -Because 'only the sandbox named stops'
    }
}

Describe '-Confirm answered by the console host of a child pwsh' {
    It 'removes the account answered Y and not the one answered N' {
        # The child connects to contoso with the sandbox's admin app (the secret travels in its environment, never
        # on a command line), to the same registry, and asks Remove-CasServiceAccount -Confirm once per account;
        # its console host reads the answers from stdin, in order.
        $child = Join-Path $TestDrive 'confirm.ps1'
        Set-Content -LiteralPath $child -Value @'
param($Url, $Thumbprint, $TenantId, $ClientId, $StorePath, [string] $AccountId)
$ErrorActionPreference = 'Stop'
Import-Module CasAdmin
$secret = ConvertTo-SecureString $env:CAS_TEST_SECRET -AsPlainText -Force
$null = Connect-CasTenant -TenantId $TenantId -ClientId $ClientId -ClientSecret $secret -Environment Sandbox -SandboxUrl $Url -SandboxThumbprint $Thumbprint -StorePath $StorePath
foreach ($id in $AccountId.Split(",")) {
    $job = Remove-CasServiceAccount -AccountId $id -TenantId $TenantId -Confirm
    "JOB:${id}:$(if ($job) { $job.Status } else { 'none' })"
}
'@
        $tenant = $sandbox.Tenants[0]
        $plain = [System.Net.NetworkCredential]::new('', $tenant.AdminAppSecret).Password
        function Test-ServicePrincipal([string] $AppId) {
            [bool]((Get-SandboxState $contoso.TenantId).servicePrincipals | Where-Object { $_.appId -eq $AppId -and $_.servicePrincipalType -ne 'Legacy' })
        }
        $no = $accounts | Where-Object { $_.TenantId -eq $contoso.TenantId -and $_.Service -eq 'OneDrive' } | Select-Object -First 1
        $yes = $accounts | Where-Object { $_.TenantId -eq $contoso.TenantId -and $_.Service -eq 'Teams' } | Select-Object -First 1
        Test-ServicePrincipal $no.AppId | Should -BeTrue
        Test-ServicePrincipal $yes.AppId | Should -BeTrue

        $result = Invoke-TestPwsh -File $child -Interactive -InputLines 'N', 'Y' -Environment @{ CAS_TEST_SECRET = $plain } -ArgumentList @(
            '-Url', $sandbox.Url, '-Thumbprint', $sandbox.Thumbprint, '-TenantId', $contoso.TenantId, '-ClientId', $tenant.AdminAppId,
            '-StorePath', $contoso.StorePath, '-AccountId', "$($no.AccountId),$($yes.AccountId)")
        $result.ExitCode | Should -Be 0 -Because ($result.Text + $result.Errors)
        @($result.Output -match 'Are you sure').Count | Should -Be 2 -Because 'the host was asked once per account'
        $result.Output | Should -Contain "JOB:$($no.AccountId):none"
        $result.Output | Should -Contain "JOB:$($yes.AccountId):Succeeded"

        # N: still in Graph, no job. Y: gone from Graph, one Succeeded job.
        Test-ServicePrincipal $no.AppId | Should -BeTrue
        Get-CasRemovalJob -AccountId $no.AccountId | Should -BeNullOrEmpty
        Test-ServicePrincipal $yes.AppId | Should -BeFalse
        (Get-CasRemovalJob -AccountId $yes.AccountId).Status | Should -Be 'Succeeded'
    }
}

Describe 'ErrorRecords' {
    It 'reports an unknown account as ServiceAccountNotFound, ObjectNotFound, with the id as target' {
        $id = [guid]::NewGuid()
        $err = { Get-CasServiceAccount -AccountId $id -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ServiceAccountNotFound*'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        "$($err.TargetObject)" | Should -Be "$id"
        $err.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'reports a wrong client secret as InvalidClientSecret, AuthenticationError, without the secret' {
        $tenant = $sandbox.Tenants[1]
        $wrong = ConvertTo-SecureString 'wrong-secret-value-4711' -AsPlainText -Force
        $err = { Connect-CasTenant -TenantId $tenant.TenantId -ClientId $tenant.AdminAppId -ClientSecret $wrong -Environment Sandbox `
                -SandboxUrl $sandbox.Url -SandboxThumbprint $sandbox.Thumbprint -StorePath $contoso.StorePath -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidClientSecret*'
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        "$($err.TargetObject)" | Should -Match ([regex]::Escape($tenant.AdminAppId))
        $err.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        ($err | Out-String) | Should -Not -Match 'wrong-secret-value-4711'
        (Get-CasConnection -TenantId $tenant.TenantId).AppId | Should -Be $fabrikam.AppId -Because 'a failed sign-in keeps the existing connection'
    }

    It 'reports a piped account of a tenant without a connection as NotConnected, non-terminating, and goes on' {
        # Remove-CasServiceAccount -WhatIf: a cmdlet that needs the account's connection, yet changes nothing.
        $foreign = [pscustomobject]@{ AccountId = [guid]::NewGuid(); TenantId = [guid]::NewGuid().ToString() }
        $ok = $accounts | Where-Object TenantId -EQ $fabrikam.TenantId | Select-Object -First 1
        $foreign, $ok | Remove-CasServiceAccount -WhatIf -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures | Should -HaveCount 1 -Because 'the account of the connected tenant is fine'
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'NotConnected*'
        $failures[0].ErrorDetails.RecommendedAction | Should -Match 'Connect-CasTenant'
        "$($failures[0].TargetObject)" | Should -Match ([regex]::Escape("$($foreign.AccountId)")) -Because 'the target is the piped account'
    }
}

Describe 'TabExpansion2 completions' {
    It 'completes -TenantId with the connected tenants' {
        $completions = Get-CompletionText 'Get-CasConnection -TenantId '
        $completions | Should -Contain $contoso.TenantId
        $completions | Should -Contain $fabrikam.TenantId
        Get-CompletionText 'Get-CasConnection -TenantId fabr' | ForEach-Object { $_ | Should -BeIn @($fabrikam.TenantId, $fabrikam.TenantDomain) }
    }

    It 'completes -AccountId with the registered accounts' {
        $completions = Get-CompletionText 'Get-CasServiceAccount -AccountId '
        $active = @(Get-CasServiceAccount)
        $completions.Count | Should -BeGreaterOrEqual $active.Count
        foreach ($account in $active) {
            $completions | Should -Contain "$($account.AccountId)"
        }
        $prefix = "$($active[0].AccountId)".Substring(0, 8)
        Get-CompletionText "Get-CasServiceAccount -AccountId $prefix" | Should -Contain "$($active[0].AccountId)"
    }

    It 'completes -AppId with the apps of the registered accounts' {
        $command = Get-Command Set-CasServiceAccountApp
        $completions = Get-CompletionText 'Set-CasServiceAccountApp -AppId '
        $completions | Should -Not -BeNullOrEmpty -Because "$($command.Name) completes -AppId"
        $appIds = @(Get-CasServiceAccount | Where-Object AppId | ForEach-Object { "$($_.AppId)" })
        @($completions | Where-Object { $_.Trim("'", '"') -in $appIds }) | Should -Not -BeNullOrEmpty
    }
}
