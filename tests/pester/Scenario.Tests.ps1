#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: the whole product flow against the sandbox the module ships. Teams Chat provisioning with the tenant's
    own app, the Teams Chat data, a licensing model change, the accounts found in both tenants registered, a bulk
    removal stopped with Ctrl+C (a child PowerShell stopped like the console does), and the rerun that resumes every
    job to Succeeded. Run with ./build.ps1 -Task Test (PowerShell 7.4+ and Pester 5).
#>

BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $props = [xml](Get-Content -Raw -LiteralPath (Join-Path $repo 'Directory.Build.props'))
    $version = @($props.Project.PropertyGroup | ForEach-Object { $_.CasAdminVersion } | Where-Object { $_ })[0]
    $manifest = Join-Path $repo "out/CasAdmin/$version/CasAdmin.psd1"
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "The module is not built: $manifest is missing. Run 'dotnet build CasAdmin.sln -c Release' first."
    }
    Import-Module $manifest -Force -ErrorAction Stop

    $sandbox, $connections = Start-CasSandbox -Connect -StorePath (Join-Path $TestDrive 'scenario.db') -TimeoutSeconds 180 -Confirm:$false
    $contoso = $connections[0]

    function Set-SandboxLatency([int] $Milliseconds) {
        $body = @{ fixedMs = $Milliseconds; jitterMs = 0 } | ConvertTo-Json
        Invoke-RestMethod -Method Put -Uri ([uri]::new($sandbox.Url, '_sandbox/latency')) -Body $body -ContentType 'application/json' -SkipCertificateCheck | Out-Null
    }
}

AfterAll {
    if (Get-Module CasAdmin) {
        Stop-CasSandbox -All -Confirm:$false -ErrorAction SilentlyContinue
        Disconnect-CasTenant -All -Confirm:$false -ErrorAction SilentlyContinue
        Remove-Module CasAdmin -Force
    }
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

    It 'leaves resumable jobs, and no lease, when a bulk removal is stopped with Ctrl+C' {
        Set-SandboxLatency 300
        $child = [powershell]::Create()
        try {
            $null = $child.AddCommand('Import-Module').AddParameter('Name', $manifest).AddStatement()
            $null = $child.AddScript('Get-CasServiceAccount | Remove-CasServiceAccount -Force -Confirm:$false -ThrottleLimit 2 -WarningAction SilentlyContinue')
            $async = $child.BeginInvoke()
            $deadline = [datetime]::UtcNow.AddSeconds(120)
            while (-not (Get-CasRemovalJob -Status Running) -and [datetime]::UtcNow -lt $deadline -and -not $async.IsCompleted) {
                Start-Sleep -Milliseconds 100
            }
            $async.IsCompleted | Should -BeFalse -Because 'the removal must still run when it is stopped'
            $child.Stop()
            $child.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            $child.Dispose()
            Set-SandboxLatency 0
        }

        $script:unfinished = @(Get-CasRemovalJob | Where-Object Status -In Pending, Running, Failed)
        $unfinished | Should -Not -BeNullOrEmpty
        $unfinished | Where-Object LeaseOwner | Should -BeNullOrEmpty -Because 'Ctrl+C releases the leases so a rerun need not wait'
        Get-CasServiceAccount | Should -Not -BeNullOrEmpty
    }

    It 'resumes every job on the rerun, and every removal succeeds' {
        $jobs = @(Get-CasServiceAccount | Remove-CasServiceAccount -Force -Confirm:$false -ThrottleLimit 8 -WarningAction SilentlyContinue)
        $jobs | Should -Not -BeNullOrEmpty
        $jobs | ForEach-Object { $_.Status | Should -Be 'Succeeded' -Because "$($_.Service) of $($_.TenantDomain) resumes from its first unfinished step" }
        foreach ($job in $unfinished) {
            $jobs.JobId | Should -Contain $job.JobId
        }
        Get-CasServiceAccount | Should -BeNullOrEmpty
        Get-CasRemovalJob | Where-Object Status -NE 'Succeeded' | Should -BeNullOrEmpty
    }

    It 'closes the sandbox''s connections when it stops' {
        Stop-CasSandbox -ProcessId $sandbox.ProcessId -Confirm:$false
        Get-CasConnection | Where-Object TenantId -In $sandbox.Tenants.TenantId | Should -BeNullOrEmpty
    }
}
