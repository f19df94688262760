#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: the whole product flow against the sandbox the module ships. Teams Chat provisioning with the tenant's
    own app, the Teams Chat data, a licensing model change, the accounts found in both tenants registered and
    removed in one bulk run (Ctrl+C during a bulk removal: Interruption.Tests.ps1). Run with ./build.ps1 -Task Test (PowerShell 7.4+ and Pester 5).
#>

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    Import-TestModule
    Start-TestSandbox 'scenario'
}

AfterAll {
    Stop-TestSandbox
}

Describe 'A tenant from provisioning to removal' {
    It 'provisions Teams Chat with the tenant''s own app and raises "Teams Chat protected."' {
        $app = New-CasTeamsChatApp -Connection $contoso -ConsoleUrl 'https://admin.cas.example.com' -GrantAdminConsent -Confirm:$false
        $script:account = $app | New-CasTeamsChatAccount -Connection $contoso -LicensingModel Evaluation -Confirm:$false
        $account.Service | Should -Be 'TeamsChat'
        $account.Status | Should -Be 'Active'
        $account.AppId | Should -Be $app.AppId
        (Get-CasNotification -AccountId $account.AccountId).Message | Should -Contain 'Teams Chat protected.'
    }

    It 'updates the Teams Chat data again' {
        $result = $account | Update-CasTeamsChatInventory -Confirm:$false
        $result.AccountId | Should -Be $account.AccountId
        $result.Users | Should -BeGreaterThan 0
        $result.Chats | Should -BeGreaterThan 0
    }

    It 'changes the licensing model to A and stays healthy' {
        $script:account = $account | Set-CasLicensingModel -LicensingModel A -Confirm:$false
        $account.LicensingModel | Should -Be 'A'
        $account | Test-CasServiceAccount | Where-Object Status -EQ 'Fail' | Should -BeNullOrEmpty
    }

    It 'registers the service accounts found in both tenants' {
        $registered = @(Find-CasServiceAccount |
                # Not contoso's legacy Teams Chat principal: contoso's Teams Chat account is the one provisioned above.
                Where-Object { $null -ne $_.Service -and -not $_.Registered -and -not ($_.Service -eq 'TeamsChat' -and $_.TenantId -eq $contoso.TenantId) } |
                Register-CasServiceAccount -Confirm:$false)
        $registered.Count | Should -BeGreaterOrEqual 10
        @($registered.TenantId | Sort-Object -Unique).Count | Should -Be 2
    }

    # Ctrl+C during a bulk removal and its resumption: Interruption.Tests.ps1 (a stopped batch crashed pwsh here).
    It 'removes every registered account of both tenants in one bulk run' {
        $accounts = @(Get-CasServiceAccount)
        $jobs = @($accounts | Remove-CasServiceAccount -Force -Confirm:$false -ThrottleLimit 8 -WarningAction SilentlyContinue)
        $jobs.Count | Should -Be $accounts.Count
        $jobs | ForEach-Object { $_.Status | Should -Be 'Succeeded' -Because "$($_.Service) of $($_.TenantDomain) is removed" }
        Get-CasServiceAccount | Should -BeNullOrEmpty
        Get-CasRemovalJob | Where-Object Status -NE 'Succeeded' | Should -BeNullOrEmpty
    }

    It 'stops from the whole output of Start-CasSandbox -Connect piped in, and closes the sandbox''s connections' {
        # Start-CasSandbox -Connect | Stop-CasSandbox: the connection objects in the pipe must not fail (issue 9).
        $sandboxOutput | Stop-CasSandbox -Confirm:$false -ErrorVariable failures
        $failures | Should -BeNullOrEmpty
        Get-CasConnection | Where-Object TenantId -In $sandbox.Tenants.TenantId | Should -BeNullOrEmpty
        Get-Process -Id $sandbox.ProcessId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
