#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5 tests of the Teams Chat and account cmdlets against the built module and a running sandbox:
    register the app, provision the account from the pipeline, change the licensing model, renew the token,
    test the account, rotate the secret; -WhatIf changes nothing; a wrong secret fails with InvalidClientSecret.
    Run with ./build.ps1 -Task Test (or -Task Pester after a build); they need PowerShell 7.4+ and Pester 5.
#>

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    Import-TestModule
    Start-TestSandbox 'teamschat'
    $tenant = $sandbox.Tenants[0]
    $connection = $contoso
    # Only contoso: Get-CasServiceAccount without -TenantId must see this tenant's accounts alone.
    Disconnect-CasTenant -Connection $fabrikam -Confirm:$false
    $consoleUrl = 'https://admin.cas.example.com'
}

AfterAll {
    Stop-TestSandbox
}

Describe 'The Teams Chat cmdlets' {
    It 'support -WhatIf and -Confirm where they change something' -ForEach @(
        @{ Name = 'New-CasTeamsChatApp'; Impact = 'High' }
        @{ Name = 'New-CasTeamsChatAccount'; Impact = 'Medium' }
        @{ Name = 'Set-CasLicensingModel'; Impact = 'Medium' }
        @{ Name = 'Update-CasServiceAccountSecret'; Impact = 'High' }
        @{ Name = 'Set-CasServiceAccountApp'; Impact = 'High' }
        @{ Name = 'New-CasAccessToken'; Impact = 'Low' }
    ) {
        $command = Get-Command $Name
        $command.Parameters.Keys | Should -Contain 'WhatIf'
        $command.Parameters.Keys | Should -Contain 'Confirm'
        $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact |
            Should -Be $Impact
    }

    It 'bind -AccountId by property name in the account cmdlets' -ForEach @(
        @{ Name = 'Set-CasLicensingModel' }, @{ Name = 'Update-CasServiceAccountSecret' }, @{ Name = 'Set-CasServiceAccountApp' },
        @{ Name = 'New-CasAccessToken' }, @{ Name = 'Test-CasServiceAccount' }
    ) {
        $parameter = (Get-Command $Name).Parameters['AccountId']
        $parameter.ParameterType | Should -Be ([guid])
        $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] } |
            ForEach-Object { $_.ValueFromPipelineByPropertyName | Should -BeTrue }
    }

    It 'give Update-CasServiceAccountSecret the Value and Rotate sets' {
        $command = Get-Command Update-CasServiceAccountSecret
        $command.DefaultParameterSet | Should -Be 'Value'
        $command.ParameterSets.Name | Sort-Object | Should -Be @('Rotate', 'Value')
    }

    It 'has help with examples for every cmdlet' -ForEach @(
        @{ Name = 'New-CasTeamsChatApp' }, @{ Name = 'New-CasTeamsChatAccount' }, @{ Name = 'Set-CasLicensingModel' },
        @{ Name = 'Update-CasServiceAccountSecret' }, @{ Name = 'Set-CasServiceAccountApp' }, @{ Name = 'New-CasAccessToken' },
        @{ Name = 'Get-CasServiceAccount' }, @{ Name = 'Test-CasServiceAccount' }, @{ Name = 'Get-CasNotification' },
        @{ Name = 'Get-CasAuditLog' }
    ) {
        $help = Get-Help $Name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
    }
}

Describe 'Provisioning Teams Chat in the sandbox' {
    It 'registers no app and records nothing with -WhatIf' {
        New-CasTeamsChatApp -ConsoleUrl $consoleUrl -GrantAdminConsent -WhatIf | Should -BeNullOrEmpty
        Get-CasServiceAccount -Service TeamsChat | Should -BeNullOrEmpty
    }

    It 'registers the app, with the secret only as a SecureString that no view shows' {
        $script:app = New-CasTeamsChatApp -ConsoleUrl $consoleUrl -GrantAdminConsent -Confirm:$false
        $app.Created | Should -BeTrue -Because '-WhatIf before must not have created it'
        $app.ConsentGranted | Should -BeTrue
        $app.TenantId | Should -Be $tenant.tenantId
        $app.RedirectUri | Should -Be "$consoleUrl/ui/cas/provision.html"
        $app.Secret | Should -BeOfType [securestring]
        $plain = [System.Net.NetworkCredential]::new('', $app.Secret).Password
        ($app | Format-Table | Out-String) | Should -Not -Match ([regex]::Escape($plain))
        ($app | Format-List | Out-String) | Should -Not -Match 'Secret\s*:\s*System.Security.SecureString'
        ($app | Format-List | Out-String) | Should -Match 'AdminConsentUrl'
    }

    It 'provisions nothing with New-CasTeamsChatAccount -WhatIf' {
        $app | New-CasTeamsChatAccount -LicensingModel Evaluation -WhatIf | Should -BeNullOrEmpty
        Get-CasServiceAccount -Service TeamsChat | Should -BeNullOrEmpty
    }

    It 'provisions the account from the piped app and raises "Teams Chat protected."' {
        $script:account = $app | New-CasTeamsChatAccount -LicensingModel Evaluation -SkipInventory -Confirm:$false
        $account | Should -BeOfType ([CasAdmin.Engine.Accounts.CasServiceAccount])
        $account.AppId | Should -Be $app.AppId
        "$($account.Status)" | Should -Be 'Active'
        "$($account.LicensingModel)" | Should -Be 'Evaluation'
        (Get-CasServiceAccount -Service TeamsChat).AccountId | Should -Be $account.AccountId
        (Get-CasServiceAccount -TenantId $tenant.domain -Service TeamsChat).AccountId | Should -Be $account.AccountId
        ($account | Get-CasNotification).Message | Should -Contain 'Teams Chat protected.'
    }

    It 'refuses a second Teams Chat account for the tenant with ServiceAccountExists' {
        $err = { $app | New-CasTeamsChatAccount -LicensingModel Evaluation -SkipInventory -Confirm:$false -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ServiceAccountExists*'
    }

    It 'changes nothing with Set-CasLicensingModel -WhatIf' {
        $account | Set-CasLicensingModel -LicensingModel B -ClientSecret $app.Secret -WhatIf | Should -BeNullOrEmpty
        "$((Get-CasServiceAccount -AccountId $account.AccountId).LicensingModel)" | Should -Be 'Evaluation'
    }

    It 'changes the licensing model to B and warns that blocking is not supported' {
        $updated = $account | Set-CasLicensingModel -LicensingModel B -ClientSecret $app.Secret -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        "$($updated.LicensingModel)" | Should -Be 'B'
        "$((Get-CasServiceAccount -AccountId $account.AccountId).LicensingModel)" | Should -Be 'B'
        ($warnings -join ' ') | Should -Match 'block'
    }

    It 'creates a new access token and returns the token only with -IncludeToken' {
        $info = $account | New-CasAccessToken -ClientSecret $app.Secret -Confirm:$false
        $info.AccountId | Should -Be $account.AccountId
        $info.MissingRoles | Should -BeNullOrEmpty
        $info.Token | Should -BeNullOrEmpty
        ($account | New-CasAccessToken -ClientSecret $app.Secret -IncludeToken -Confirm:$false).Token | Should -BeOfType [securestring]
        "$((Get-CasServiceAccount -AccountId $account.AccountId).TokenState)" | Should -Be 'Valid'
    }

    It 'tests the account: the token and admin consent pass' {
        $findings = $account | Test-CasServiceAccount -ClientSecret $app.Secret
        ($findings | Where-Object Check -EQ 'AccessToken').Status | Should -Be 'Pass'
        ($findings | Where-Object Check -EQ 'AdminConsent').Status | Should -Be 'Pass'
        $findings | ForEach-Object { $_.AccountId | Should -Be $account.AccountId }
    }

    It 'fails a wrong secret with InvalidClientSecret, about the account, without the secret in the message' {
        $wrong = ConvertTo-SecureString 'wrong-secret-value-4711' -AsPlainText -Force
        $err = { $account | Update-CasServiceAccountSecret -ClientSecret $wrong -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidClientSecret*'
        $err.TargetObject | Should -Be $account.AccountId
        $err.Exception.Message | Should -Not -Match 'wrong-secret-value-4711'
        $err.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        (Get-CasServiceAccount -AccountId $account.AccountId).SecretKeyId | Should -Be $account.SecretKeyId
    }

    It 'changes nothing with Update-CasServiceAccountSecret -Rotate -WhatIf' {
        $account | Update-CasServiceAccountSecret -Rotate -WhatIf | Should -BeNullOrEmpty
        (Get-CasServiceAccount -AccountId $account.AccountId).SecretKeyId | Should -Be $account.SecretKeyId
    }

    It 'rotates the secret unattended with -Rotate -Force' {
        $rotated = $account | Update-CasServiceAccountSecret -Rotate -SecretLifetime 30 -Force -Confirm:$false
        $rotated.SecretKeyId | Should -Not -Be $account.SecretKeyId
        $rotated.SecretExpiresInDays | Should -BeIn @(29, 30)
    }

    It 'writes a non-terminating error for an unknown account and goes on with the others' {
        $ids = @([pscustomobject]@{ AccountId = [guid]::NewGuid() }, [pscustomobject]@{ AccountId = $account.AccountId })
        $found = $ids | Get-CasServiceAccount -ErrorAction SilentlyContinue -ErrorVariable missing
        @($found).Count | Should -Be 1
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'ServiceAccountNotFound*'
    }

    It 'tells a piped account of a tenant without a connection apart as NotConnected' {
        $foreign = [pscustomobject]@{ AccountId = $account.AccountId; TenantId = [guid]::NewGuid().ToString() }
        $foreign | New-CasAccessToken -ClientSecret $app.Secret -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable notConnected |
            Should -BeNullOrEmpty
        $notConnected[0].FullyQualifiedErrorId | Should -BeLike 'NotConnected*'
    }

    It 'moves the account to a new app with Set-CasServiceAccountApp, and -WhatIf moves nothing' {
        $newApp = New-CasTeamsChatApp -DisplayName 'Cloud App Security for Teams Chat (moved)' -ConsoleUrl $consoleUrl -GrantAdminConsent -Confirm:$false
        $newApp.AppId | Should -Not -Be $app.AppId
        $newApp | Set-CasServiceAccountApp -AccountId $account.AccountId -WhatIf | Should -BeNullOrEmpty
        (Get-CasServiceAccount -AccountId $account.AccountId).AppId | Should -Be $app.AppId

        $moved = $newApp | Set-CasServiceAccountApp -AccountId $account.AccountId -Confirm:$false
        $moved.AccountId | Should -Be $account.AccountId
        $moved.AppId | Should -Be $newApp.AppId
        (Get-CasServiceAccount -AccountId $account.AccountId).AppId | Should -Be $newApp.AppId
        # Graph: the new app has its service principal in the tenant.
        (Get-SandboxState $tenant.TenantId).servicePrincipals.appId | Should -Contain $newApp.AppId
    }
}

Describe 'Entra ID replication delays (the sandbox is eventually consistent by default)' {
    It 'runs with the default lag of 10 s' {
        (Invoke-SandboxControl GET 'replication').lagMs | Should -Be 10000
    }

    It 'shows its wait in Verbose, stops with ReplicationTimeout, and a rerun completes the same app' {
        $name = 'Cloud App Security for Teams Chat (replication)'
        # Nothing replicates (each object draws a delay of up to 24 days), so the wait deterministically runs out.
        $null = Invoke-SandboxControl PUT 'replication' @{ lagMs = [int]::MaxValue }
        try {
            $output = New-CasTeamsChatApp -DisplayName $name -ConsoleUrl $consoleUrl -GrantAdminConsent -ReplicationTimeout (New-TimeSpan -Seconds 3) `
                -Confirm:$false -Verbose -ErrorAction SilentlyContinue -ErrorVariable failed 4>&1
        }
        finally {
            $null = Invoke-SandboxControl PUT 'replication' @{ lagMs = 10000 }
        }
        $verbose = @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        @($verbose | Where-Object { $_ -like 'Waiting for Entra ID to replicate the new app: *NoBackingApplicationObject*' }).Count | Should -BeGreaterThan 0
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'ReplicationTimeout*'
        $failed[0].ErrorDetails.RecommendedAction | Should -Match 'again'

        $app = New-CasTeamsChatApp -DisplayName $name -ConsoleUrl $consoleUrl -GrantAdminConsent -Confirm:$false
        $app.Created | Should -BeFalse -Because 'the rerun finds the app the first run created'
        $app.ConsentGranted | Should -BeTrue
        @((Get-SandboxState $tenant.TenantId).applications | Where-Object displayName -EQ $name).Count | Should -Be 1
    }
}
