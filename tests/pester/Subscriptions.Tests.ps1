#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: protection that does not lapse. A Teams Chat account in each sandbox tenant subscribes to chat messages
    (the sandbox's echo receiver plays the notification and lifecycle URLs); the sandbox's subscription clock moves
    past expiry (POST /_sandbox/clock); Test-CasServiceAccount says so with the fix; the renewal runbook sample, in a
    child pwsh, restores every tenant's subscriptions, and a second run changes nothing. Outcomes are read from Graph
    through the sandbox's control API.
#>

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    Import-TestModule
    Start-TestSandbox 'subscriptions'
    $echo = [uri]::new($sandbox.Url, '_sandbox/receiver/echo')
    $runbook = Join-Path $RepoRoot 'samples/Runbook-RenewTeamsChatSubscriptions.ps1'

    # One Teams Chat account per tenant, subscribed with a lifecycle URL (so Graph keeps it up to 4,320 minutes).
    $accounts = @{}
    $apps = @{}
    foreach ($connection in $connections) {
        $app = New-CasTeamsChatApp -Connection $connection -ConsoleUrl 'https://admin.cas.example.com' -GrantAdminConsent -SecretLifetime 90 -Confirm:$false
        $apps[$connection.TenantId] = $app
        $accounts[$connection.TenantId] = $app | New-CasTeamsChatAccount -Connection $connection -LicensingModel B -SkipInventory `
            -NotificationUrl $echo -LifecycleNotificationUrl $echo -Confirm:$false -WarningAction SilentlyContinue
    }

    # The app's subscriptions that Graph holds now (live: not deleted, not expired on the sandbox's clock).
    function Get-LiveSubscription([string] $TenantId, [string] $AppId) {
        $now = [datetimeoffset]::UtcNow
        # Assigned first: Invoke-RestMethod writes a JSON array as one object, a variable enumerates it.
        $all = Invoke-SandboxControl GET "tenants/$TenantId/subscriptions"
        @($all | Where-Object { $_.applicationId -eq $AppId -and -not $_.deletedDateTime -and [datetimeoffset]$_.expirationDateTime -gt $now })
    }

    function Move-SandboxClock([timespan] $By) {
        Invoke-SandboxControl POST 'clock' @{ advance = [System.Xml.XmlConvert]::ToString($By) }
    }

    function Get-Finding([object] $Account, [string] $Check) {
        @($Account | Test-CasServiceAccount | Where-Object Check -EQ $Check)
    }

    # A hashtable cannot travel on a command line: a wrapper builds -Credential (each tenant's admin app) and
    # -AppCredential (each Teams Chat app's secret) from JSON in the environment, and calls the runbook.
    $wrapper = Join-Path $TestRoot 'renew-wrapper.ps1'
    Set-Content -LiteralPath $wrapper -Value @'
param($Runbook, $StorePath, $SandboxUrl, $SandboxThumbprint)
$ErrorActionPreference = 'Stop'
$credential = @{}
foreach ($t in ($env:CAS_TEST_TENANTS | ConvertFrom-Json)) {
    $credential[$t.tenantId] = [pscredential]::new($t.clientId, (ConvertTo-SecureString $t.secret -AsPlainText -Force))
}
$appCredential = @{}
foreach ($a in ($env:CAS_TEST_APPS | ConvertFrom-Json)) {
    $appCredential[$a.appId] = [pscredential]::new($a.appId, (ConvertTo-SecureString $a.secret -AsPlainText -Force))
}
& $Runbook -StorePath $StorePath -Credential $credential -AppCredential $appCredential -SandboxUrl $SandboxUrl -SandboxThumbprint $SandboxThumbprint
'@
    $plain = { param($s) [System.Net.NetworkCredential]::new('', $s).Password }
    $runbookEnvironment = @{
        CAS_TEST_TENANTS = ConvertTo-Json -Compress -InputObject @($sandbox.Tenants | ForEach-Object {
                @{ tenantId = $_.TenantId; clientId = $_.AdminAppId; secret = & $plain $_.AdminAppSecret } })
        CAS_TEST_APPS    = ConvertTo-Json -Compress -InputObject @($apps.Values | ForEach-Object { @{ appId = $_.AppId; secret = & $plain $_.Secret } })
    }
    $runbookArguments = @('-Runbook', $runbook, '-StorePath', $contoso.StorePath, '-SandboxUrl', $sandbox.Url, '-SandboxThumbprint', $sandbox.Thumbprint)
}

AfterAll {
    Stop-TestSandbox
}

Describe 'Update-CasTeamsChatSubscription' {
    It 'supports -WhatIf and -Confirm at Low impact and binds accounts from the pipeline' {
        $command = Get-Command Update-CasTeamsChatSubscription
        $command.Parameters.Keys | Should -Contain 'WhatIf'
        $command.Parameters.Keys | Should -Contain 'Confirm'
        $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'Low'
        $command.Parameters['AccountId'].Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] }).ValueFromPipelineByPropertyName | Should -Contain $true
    }

    It 'leaves a fresh subscription Unchanged, and -WhatIf changes nothing' {
        $before = ConvertTo-Json -Depth 5 -InputObject (Invoke-SandboxControl GET "tenants/$($contoso.TenantId)/subscriptions")
        $null = Get-CasServiceAccount -Service TeamsChat | Update-CasTeamsChatSubscription -RenewWithin 3 -WhatIf
        ConvertTo-Json -Depth 5 -InputObject (Invoke-SandboxControl GET "tenants/$($contoso.TenantId)/subscriptions") | Should -Be $before

        $results = @(Get-CasServiceAccount -Service TeamsChat | Update-CasTeamsChatSubscription -Confirm:$false)
        $results.Count | Should -Be 2
        $results.Action | Should -Be @('Unchanged', 'Unchanged')
        foreach ($tenantId in $accounts.Keys) {
            Get-LiveSubscription $tenantId $apps[$tenantId].AppId | Should -HaveCount 1
        }
    }
}

Describe 'Update-CasTeamsChatSubscription with bad input' {
    It 'refuses a negative -RenewWithin and an unknown account with stable error IDs, changing nothing' {
        $before = ConvertTo-Json -Depth 5 -InputObject (Invoke-SandboxControl GET "tenants/$($contoso.TenantId)/subscriptions")
        $err = $null
        $accounts[$contoso.TenantId] | Update-CasTeamsChatSubscription -RenewWithin ([timespan]::FromHours(-1)) -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err |
            Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidArgument*'
        $err[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty

        Update-CasTeamsChatSubscription -AccountId ([guid]::NewGuid()) -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ServiceAccountNotFound*'
        ConvertTo-Json -Depth 5 -InputObject (Invoke-SandboxControl GET "tenants/$($contoso.TenantId)/subscriptions") | Should -Be $before
    }
}

Describe 'Protection that does not lapse' {
    It 'Test-CasServiceAccount warns before expiry; Graph sends reauthorizationRequired in the last hour' {
        $account = $accounts[$contoso.TenantId]
        $null = Move-SandboxClock ([timespan]::FromHours(60))
        $warning = Get-Finding $account 'Subscriptions'
        $warning.Status | Should -Be 'Warning'
        $warning.RecommendedAction | Should -Match 'Update-CasTeamsChatSubscription'

        $null = Move-SandboxClock ([timespan]::FromHours(9.5))
        $id = (Get-LiveSubscription $contoso.TenantId $apps[$contoso.TenantId].AppId)[0].id
        $received = Invoke-SandboxControl GET 'receiver/notifications'
        $notices = @($received | ForEach-Object { ($_.body | ConvertFrom-Json).value } | Where-Object subscriptionId -EQ $id)
        $notices.lifecycleEvent | Should -Be @('reauthorizationRequired')
    }

    It 'Test-CasServiceAccount reports the expired subscription with the fix once the clock passes its expiry' {
        $null = Move-SandboxClock ([timespan]::FromHours(2))
        foreach ($tenantId in $accounts.Keys) {
            Get-LiveSubscription $tenantId $apps[$tenantId].AppId | Should -BeNullOrEmpty -Because 'Graph expires it on its own clock'
            $finding = Get-Finding $accounts[$tenantId] 'Subscriptions'
            $finding.Status | Should -Be 'Fail'
            $finding.Message | Should -Match 'expired'
            $finding.RecommendedAction | Should -Match 'Update-CasTeamsChatSubscription'
        }
    }

    It 'the renewal runbook restores protection in every tenant, and a second run changes nothing' {
        $result = Invoke-TestPwsh -File $wrapper -Environment $runbookEnvironment -ArgumentList $runbookArguments
        $result.ExitCode | Should -Be 0 -Because ($result.Text + $result.Errors)
        $result.Text | Should -Match 'Signed in with the client secret'
        $result.Text | Should -Match 'Recreated\s*:\s*2'
        $result.Text | Should -Match 'Errors\s*:\s*0'
        foreach ($t in $sandbox.Tenants) {
            $result.Text | Should -Not -Match ([regex]::Escape((& $plain $t.AdminAppSecret)))
        }
        foreach ($a in $apps.Values) {
            $result.Text | Should -Not -Match ([regex]::Escape((& $plain $a.Secret)))
        }

        foreach ($tenantId in $accounts.Keys) {
            $live = Get-LiveSubscription $tenantId $apps[$tenantId].AppId
            $live | Should -HaveCount 1
            [datetimeoffset]$live[0].expirationDateTime | Should -BeGreaterThan ([datetimeoffset]::UtcNow.AddHours(69))
            $live[0].lifecycleNotificationUrl | Should -Be $echo.AbsoluteUri
            (Get-Finding $accounts[$tenantId] 'Subscriptions').Status | Should -Be 'Pass'
        }

        $again = Invoke-TestPwsh -File $wrapper -Environment $runbookEnvironment -ArgumentList $runbookArguments
        $again.ExitCode | Should -Be 0 -Because ($again.Text + $again.Errors)
        $again.Text | Should -Match 'Unchanged\s*:\s*2'
        $again.Text | Should -Match 'Recreated\s*:\s*0'
        $again.Text | Should -Match 'Renewed\s*:\s*0'
        foreach ($tenantId in $accounts.Keys) {
            Get-LiveSubscription $tenantId $apps[$tenantId].AppId | Should -HaveCount 1 -Because 'a rerun creates nothing twice'
        }
    }

    It 'recreates a subscription that Graph removed (subscriptionRemoved), which the health test names' {
        $account = $accounts[$fabrikam.TenantId]
        $id = (Get-LiveSubscription $fabrikam.TenantId $apps[$fabrikam.TenantId].AppId)[0].id
        $null = Invoke-SandboxControl POST "tenants/$($fabrikam.TenantId)/subscriptions/$id/remove"
        $received = Invoke-SandboxControl GET 'receiver/notifications'
        $notices = @($received | ForEach-Object { ($_.body | ConvertFrom-Json).value } | Where-Object subscriptionId -EQ $id)
        $notices.lifecycleEvent | Should -Contain 'subscriptionRemoved'
        (Get-Finding $account 'Subscriptions').Message | Should -Match 'removed'

        $result = $account | Update-CasTeamsChatSubscription -Confirm:$false
        $result.Action | Should -Be 'Recreated'
        $result.Reason | Should -Be 'removed'
        $result.PreviousSubscriptionId | Should -Be $id
        Get-LiveSubscription $fabrikam.TenantId $apps[$fabrikam.TenantId].AppId | Should -HaveCount 1
    }

    It 'names an app without protected-API approval with ProtectedApiNotApproved and Microsoft''s form' {
        $account = $accounts[$contoso.TenantId]
        $appId = $apps[$contoso.TenantId].AppId
        $id = (Get-LiveSubscription $contoso.TenantId $appId)[0].id
        $null = Invoke-SandboxControl POST "tenants/$($contoso.TenantId)/subscriptions/$id/remove"
        $null = Invoke-SandboxControl PUT 'teams' @{ protectedApiApproval = @{ $appId = $false } }
        try {
            $err = $null
            $out = $account | Update-CasTeamsChatSubscription -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ProtectedApiNotApproved*'
            $err[0].ErrorDetails.RecommendedAction | Should -Match 'https://aka.ms/teamsgraph/requestaccess'
            $finding = Get-Finding $account 'ProtectedApi'
            $finding.Status | Should -Be 'Fail'
            $finding.RecommendedAction | Should -Match 'https://aka.ms/teamsgraph/requestaccess'
        }
        finally {
            $null = Invoke-SandboxControl PUT 'teams' @{ protectedApiApproval = @{ $appId = $null } }
        }
        ($account | Update-CasTeamsChatSubscription -Confirm:$false).Action | Should -Be 'Recreated'
    }
}
