#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5 tests of deprovisioning against the built module and the sandbox it ships: Find | Register | Remove for
    every service, the Exchange Online confirmation, -WhatIf, and the error of a removal without Global
    Administrator rights. Run with ./build.ps1 -Task Test (PowerShell 7.4+ and Pester 5).
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

    # Each Describe that needs tenants starts a fresh sandbox (sandbox tenant ids are the same in every sandbox, so
    # only one runs at a time) with a registry of its own, and stops it afterwards.
    function Start-TestSandbox([string] $Name) {
        $script:sandbox, $connections = Start-CasSandbox -Connect -StorePath (Join-Path $TestDrive "$Name.db") -TimeoutSeconds 180 -Confirm:$false
        $script:contoso = $connections[0]
        $script:fabrikam = $connections[1]
        # The sandbox's control API: every seeded app and user of each tenant, by tag.
        $script:info = Invoke-RestMethod -Uri ([uri]::new($sandbox.Url, '_sandbox/info')) -SkipCertificateCheck
    }

    # Candidates of one service that the registry does not know yet (not Where-Object Service: ExchangeOnline is 0).
    function Get-NewCandidate([string] $Service, [object] $Connection) {
        Find-CasServiceAccount -Connection $Connection | Where-Object { $_.Service -eq $Service -and -not $_.Registered }
    }

    # The tenant's account of a service: the registered one, else the candidate registered now.
    function Get-TestAccount([string] $Service, [object] $Connection) {
        $account = Get-CasServiceAccount -TenantId $Connection.TenantId -Service $Service | Select-Object -First 1
        if (-not $account) {
            $account = Get-NewCandidate $Service $Connection | Select-Object -First 1 | Register-CasServiceAccount -Connection $Connection -Confirm:$false
        }
        $account
    }
}

AfterAll {
    if (Get-Module CasAdmin) {
        Stop-CasSandbox -All -Confirm:$false -ErrorAction SilentlyContinue
        Disconnect-CasTenant -All -Confirm:$false -ErrorAction SilentlyContinue
        Remove-Module CasAdmin -Force
    }
}

Describe 'The deprovisioning cmdlets' {
    It 'give Remove-CasServiceAccount the AccountId and Service sets, High impact' {
        $command = Get-Command Remove-CasServiceAccount
        $command.DefaultParameterSet | Should -Be 'AccountId'
        $command.ParameterSets.Name | Sort-Object | Should -Be @('AccountId', 'Service')
        $command.Parameters.Keys | Should -Contain 'WhatIf'
        $command.Parameters['ThrottleLimit'].ParameterType | Should -Be ([int])
        ($command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)).ConfirmImpact | Should -Be 'High'
    }

    It 'bind a candidate to Register-CasServiceAccount by property name' {
        $parameters = (Get-Command Register-CasServiceAccount).Parameters
        foreach ($name in 'Service', 'Kind', 'AppId', 'DelegateAccount', 'DisplayName', 'IsLegacy', 'TenantId') {
            $attribute = $parameters[$name].Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
            $attribute.ValueFromPipelineByPropertyName | Should -BeTrue -Because "-$name binds from a candidate"
        }
    }
}

Describe 'Find | Register | Remove' {
    BeforeAll {
        Start-TestSandbox 'sweep'
    }

    AfterAll {
        Stop-CasSandbox -ProcessId $sandbox.ProcessId -Confirm:$false
    }

    It 'removes the <_> account of both tenants' -ForEach @('ExchangeOnline', 'ExchangeOnlineInline', 'SharePointOnline', 'OneDrive', 'Teams', 'TeamsChat') {
        $service = $_
        $candidates = @($contoso, $fabrikam | ForEach-Object { Get-NewCandidate $service $_ })
        $candidates.Count | Should -BeGreaterOrEqual 2 -Because 'the sandbox seeds one account of every service in each tenant'

        $accounts = @($candidates | Register-CasServiceAccount -Confirm:$false)
        $accounts.Count | Should -Be $candidates.Count
        $accounts.Service | Sort-Object -Unique | Should -Be $service

        $jobs = @($accounts | Remove-CasServiceAccount -Force -Confirm:$false -ThrottleLimit 4 -ErrorVariable failures)
        $failures | Should -BeNullOrEmpty
        $jobs.Count | Should -Be $accounts.Count
        $jobs.Status | ForEach-Object { $_ | Should -BeIn @('Succeeded', 'Forced') }
        $jobs.TenantId | Sort-Object -Unique | Should -Be (@($contoso.TenantId, $fabrikam.TenantId) | Sort-Object -Unique)
        foreach ($job in $jobs) {
            $job.Steps | Where-Object Status -In Pending, Running, Failed | Should -BeNullOrEmpty
        }

        Get-CasServiceAccount -Service $service | Should -BeNullOrEmpty
        (Get-CasServiceAccount -Service $service -IncludeRemoved).Status | Sort-Object -Unique | Should -Be 'Removed'
        Get-CasRemovalJob -AccountId $accounts[0].AccountId | Should -HaveCount 1
    }

    It 'lists what the Inline Mode removal left, with the command that removes it' {
        $items = @(Get-CasCleanupItem -Service ExchangeOnlineInline)
        $items | Should -Not -BeNullOrEmpty
        $items | ForEach-Object { $_.Action | Should -Not -BeNullOrEmpty }
        Get-CasRemovalJob | Where-Object Service -EQ 'ExchangeOnlineInline' | Get-CasCleanupItem | Should -HaveCount $items.Count
    }

    It 'shows each job with its steps in the list view' {
        $text = Get-CasRemovalJob | Select-Object -First 1 | Format-List | Out-String
        $text | Should -Match 'Steps'
        $text | Should -Match 'Verify Global Administrator rights'
        $text | Should -Match 'RemainingChanges'
    }
}

Describe 'Confirmation, -WhatIf and rights' {
    BeforeAll {
        Start-TestSandbox 'confirmation'
    }

    AfterAll {
        Stop-CasSandbox -ProcessId $sandbox.ProcessId -Confirm:$false
    }

    It 'asks before an Exchange Online account is removed, and a host that cannot answer removes nothing' {
        $account = Get-TestAccount 'ExchangeOnline' $contoso
        $account | Should -Not -BeNullOrEmpty

        # A runspace without a user interface cannot show ShouldContinue's question: the removal must not start.
        $child = [powershell]::Create()
        try {
            $null = $child.AddCommand('Import-Module').AddParameter('Name', $manifest).AddStatement()
            $null = $child.AddCommand('Remove-CasServiceAccount').AddParameter('AccountId', $account.AccountId).
                AddParameter('TenantId', $account.TenantId).AddParameter('Confirm', $false).AddParameter('WarningAction', 'SilentlyContinue')
            $failed = $false
            try {
                $output = $child.Invoke()
            }
            catch {
                $failed = $true
            }
            ($failed -or $child.HadErrors) | Should -BeTrue
            $output | Should -BeNullOrEmpty
        }
        finally {
            $child.Dispose()
        }

        Get-CasRemovalJob -AccountId $account.AccountId | Should -BeNullOrEmpty
        (Get-CasServiceAccount -AccountId $account.AccountId).Status | Should -Be 'Active'
    }

    It 'warns about the automation APIs and removes the account with -Force' {
        $account = Get-TestAccount 'ExchangeOnline' $contoso
        $job = $account | Remove-CasServiceAccount -Force -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        $job.Status | Should -BeIn @('Succeeded', 'Forced')
        ($warnings -join ' ') | Should -Match 'Threat Investigation'
    }

    It 'changes nothing in the registry or the tenant with -WhatIf' {
        $account = Get-TestAccount 'Teams' $fabrikam
        $before = Find-CasServiceAccount -Connection $fabrikam | Where-Object AppId -EQ $account.AppId

        $result = $account | Remove-CasServiceAccount -WhatIf
        $result | Should -BeNullOrEmpty
        Remove-CasServiceAccount -Service Teams -TenantId $fabrikam.TenantId -WhatIf | Should -BeNullOrEmpty

        Get-CasRemovalJob -AccountId $account.AccountId | Should -BeNullOrEmpty
        (Get-CasServiceAccount -AccountId $account.AccountId).Status | Should -Be 'Active'
        @(Find-CasServiceAccount -Connection $fabrikam | Where-Object AppId -EQ $account.AppId).Count | Should -Be @($before).Count
    }

    It 'records nothing with Register-CasServiceAccount -WhatIf' {
        $count = @(Get-CasServiceAccount).Count
        Find-CasServiceAccount | Where-Object { $null -ne $_.Service -and -not $_.Registered } | Register-CasServiceAccount -WhatIf
        @(Get-CasServiceAccount).Count | Should -Be $count
    }

    It 'fails a removal without Global Administrator rights with GlobalAdministratorRequired, the job as target' {
        $tenantInfo = $info | Where-Object tenantId -EQ $contoso.TenantId
        $public = $tenantInfo.apps.public.appId
        $plainUser = $tenantInfo.users.plain

        # Device code sign-in as a user without directory roles, approved through the sandbox's control API.
        $child = [powershell]::Create()
        try {
            $null = $child.AddCommand('Import-Module').AddParameter('Name', $manifest).AddStatement()
            $null = $child.AddCommand('Connect-CasTenant').AddParameter('TenantId', $contoso.TenantId).AddParameter('ClientId', $public).
                AddParameter('UseDeviceCode').AddParameter('Environment', 'Sandbox').AddParameter('SandboxUrl', $sandbox.Url).
                AddParameter('SandboxThumbprint', $sandbox.Thumbprint).AddParameter('StorePath', $contoso.StorePath)
            $async = $child.BeginInvoke()
            $code = $null
            $deadline = [datetime]::UtcNow.AddSeconds(60)
            while (-not $code -and [datetime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 200
                $message = $child.Streams.Warning | Select-Object -Last 1
                if ($message -and "$message" -match 'enter the code (\S+)') {
                    $code = $Matches[1]
                }
            }
            $code | Should -Not -BeNullOrEmpty -Because 'the device code flow prints its code as a warning'
            $body = @{ userCode = $code; user = $plainUser } | ConvertTo-Json
            Invoke-RestMethod -Method Post -Uri ([uri]::new($sandbox.Url, '_sandbox/devicecode/approve')) -Body $body -ContentType 'application/json' -SkipCertificateCheck | Out-Null
            $plain = $child.EndInvoke($async) | Select-Object -First 1
        }
        finally {
            $child.Dispose()
        }
        $plain.IsGlobalAdministrator | Should -BeFalse

        $account = Get-TestAccount 'OneDrive' $contoso
        $job = $account | Remove-CasServiceAccount -Connection $plain -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'GlobalAdministratorRequired*'
        $failures[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $failures[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        $job.Status | Should -Be 'Failed'
        $failures[0].TargetObject.JobId | Should -Be $job.JobId

        # The same removal with a Global Administrator connection resumes the failed job.
        $resumed = $account | Remove-CasServiceAccount -Connection $plain -AdminConnection $contoso -Confirm:$false
        $resumed.JobId | Should -Be $job.JobId
        $resumed.Status | Should -Be 'Succeeded'
        Disconnect-CasTenant -Connection $plain -Confirm:$false
    }
}
