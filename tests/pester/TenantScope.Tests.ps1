#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: how every cmdlet picks its tenant, through the one resolution of the engine (issue 18, item 2), in real
    pwsh against the built module and the sandbox it ships (TestHelpers.ps1). -TenantId in any spelling, -Connection,
    piped objects, the account a cmdlet acts on, and every conflict refused with TenantMismatch before anything is
    asked or changed. Both sandbox tenants are connected; contoso's connection is the default.
#>

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    Import-TestModule
    Start-TestSandbox -Name 'tenants'
    $null = Find-CasServiceAccount | Register-CasServiceAccount -Confirm:$false
    $ofContoso = @(Get-CasServiceAccount -TenantId $contoso.TenantDomain)
    $ofFabrikam = @(Get-CasServiceAccount -TenantId $fabrikam.TenantDomain)
    $fabrikamExchange = $ofFabrikam | Where-Object { $_.Service -eq 'ExchangeOnline' -and $_.AppId } | Select-Object -First 1
    $fabrikamChat = $ofFabrikam | Where-Object Service -EQ 'TeamsChat' | Select-Object -First 1

    # Runs a command and returns its output objects and its errors apart (errors never end the test, even when the
    # caller's preference is Stop, as in the CI's Pester run).
    function Invoke-Captured([scriptblock] $Command) {
        $ErrorActionPreference = 'Continue'
        $all = @(& $Command 2>&1)
        [pscustomobject]@{
            Output = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
            Errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        }
    }
}

AfterAll {
    Stop-TestSandbox
}

Describe 'Registry readers: the tenant to list' {
    It 'the sandbox registered accounts in both tenants' {
        $contoso.IsDefault | Should -BeTrue
        $ofContoso.Count | Should -BeGreaterThan 1
        $ofFabrikam.Count | Should -Be $ofContoso.Count
        $fabrikamExchange | Should -Not -BeNullOrEmpty
        $fabrikamChat | Should -Not -BeNullOrEmpty
    }

    It 'takes a tenant id in any spelling (upper case, braces)' {
        (Get-CasServiceAccount -TenantId $fabrikam.TenantId.ToUpperInvariant()).AccountId | Sort-Object | Should -Be ($ofFabrikam.AccountId | Sort-Object)
        @(Get-CasServiceAccount -TenantId "{$($fabrikam.TenantId)}").Count | Should -Be $ofFabrikam.Count
        @(Get-CasAuditLog -TenantId $fabrikam.TenantId.ToUpperInvariant()).Count | Should -BeGreaterThan 0
    }

    It 'still takes -TenantId as its first positional parameter' {
        @(Get-CasServiceAccount $fabrikam.TenantDomain).Count | Should -Be $ofFabrikam.Count
    }

    It '-Connection lists that connection''s tenant' {
        (Get-CasServiceAccount -Connection $fabrikam).TenantId | Sort-Object -Unique | Should -Be $fabrikam.TenantId
        @(Get-CasAuditLog -Connection $fabrikam | Where-Object TenantId -NE $fabrikam.TenantId) | Should -BeNullOrEmpty
    }

    It '-TenantId and -Connection of two tenants is TenantMismatch, and nothing is listed' {
        $result = Invoke-Captured { Get-CasServiceAccount -TenantId $fabrikam.TenantDomain -Connection $contoso }
        $result.Output | Should -BeNullOrEmpty
        $result.Errors.Count | Should -Be 1
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'TenantMismatch,*'
        $result.Errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $result.Errors[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'piped objects of another tenant than -Connection fail one by one; the others are listed' {
        $result = Invoke-Captured { Get-CasConnection | Get-CasServiceAccount -Connection $contoso }
        $result.Output.AccountId | Sort-Object | Should -Be ($ofContoso.AccountId | Sort-Object)
        $result.Errors.Count | Should -Be 1
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'TenantMismatch,*'
    }

    It 'a piped account gets that account, not every account of its tenant' {
        $got = @($fabrikamExchange | Get-CasServiceAccount)
        $got.Count | Should -Be 1
        $got[0].AccountId | Should -Be $fabrikamExchange.AccountId
    }

    It 'an account asked for by id with -TenantId of another tenant is TenantMismatch' {
        $result = Invoke-Captured { Get-CasServiceAccount -AccountId $fabrikamExchange.AccountId -TenantId $contoso.TenantDomain }
        $result.Output | Should -BeNullOrEmpty
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'TenantMismatch,*'
        "$($result.Errors[0].TargetObject)" | Should -Be "$($fabrikamExchange.AccountId)"
    }
}

Describe 'Cmdlets that act on an account: the account''s own tenant' {
    It 'an account id alone goes to its own tenant''s connection, not the default one' {
        $findings = @(Test-CasServiceAccount -AccountId $fabrikamChat.AccountId)
        $findings.Count | Should -BeGreaterThan 0
        $findings.TenantId | Sort-Object -Unique | Should -Be $fabrikam.TenantId
    }

    It 'a piped account with -TenantId of another tenant is TenantMismatch about the account' {
        $result = Invoke-Captured { $fabrikamChat | Test-CasServiceAccount -TenantId $contoso.TenantDomain }
        $result.Output | Should -BeNullOrEmpty
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'TenantMismatch,*'
        "$($result.Errors[0].TargetObject)" | Should -Be "$($fabrikamChat.AccountId)"
        $result.Errors[0].Exception.Message | Should -BeLike "*belongs to tenant $($fabrikam.TenantDomain)*"
    }

    It 'a piped account with -Connection of another tenant is TenantMismatch' {
        $result = Invoke-Captured { $fabrikamChat | Test-CasServiceAccount -Connection $contoso }
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'TenantMismatch,*'
    }

    It 'Remove-CasServiceAccount refuses an account of another tenant than -Connection before -WhatIf says anything' {
        $result = Invoke-Captured { Remove-CasServiceAccount -AccountId $fabrikamExchange.AccountId -Connection $contoso -WhatIf }
        $result.Errors.Count | Should -Be 1
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'TenantMismatch,*'
    }

    It 'Remove-CasServiceAccount -TenantId of another tenant is TenantMismatch, and the account and tenant stay as they were' {
        $before = Get-SandboxState $fabrikam.TenantId | ConvertTo-Json -Depth 20 -Compress
        $result = Invoke-Captured { Remove-CasServiceAccount -AccountId $fabrikamExchange.AccountId -TenantId $contoso.TenantDomain -Force -Confirm:$false }
        $result.Output | Should -BeNullOrEmpty
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'TenantMismatch,*'
        (Get-CasServiceAccount -AccountId $fabrikamExchange.AccountId).Status | Should -Be 'Active'
        @(Get-CasRemovalJob -AccountId $fabrikamExchange.AccountId) | Should -BeNullOrEmpty
        Get-SandboxState $fabrikam.TenantId | ConvertTo-Json -Depth 20 -Compress | Should -Be $before
    }

    It 'Remove-CasServiceAccount -AdminConnection of another tenant than the account is TenantMismatch' {
        $result = Invoke-Captured { Remove-CasServiceAccount -AccountId $fabrikamExchange.AccountId -AdminConnection $contoso -WhatIf }
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'TenantMismatch,*'
    }
}

# Last: it removes an account and closes fabrikam's connection.
Describe 'A tenant whose connection is closed' {
    BeforeAll {
        $job = Remove-CasServiceAccount -AccountId $fabrikamExchange.AccountId -Force -Confirm:$false -WarningAction SilentlyContinue
        Disconnect-CasTenant -Connection $fabrikam -Confirm:$false
    }

    It 'the removal ran in fabrikam through its own connection' {
        $job.Status | Should -Be 'Succeeded'
        $job.TenantId | Should -Be $fabrikam.TenantId
    }

    It 'registry readers find it by the domain the registry recorded, in any case' {
        $domain = $fabrikam.TenantDomain.ToUpperInvariant()
        (Get-CasRemovalJob -TenantId $domain).JobId | Should -Be $job.JobId
        @(Get-CasCleanupItem -TenantId $domain).Count | Should -Be @(Get-CasCleanupItem -JobId $job.JobId).Count
        @(Get-CasServiceAccount -TenantId $domain -IncludeRemoved).Count | Should -Be $ofFabrikam.Count
    }

    It 'a domain no one knows lists nothing, and says so' {
        $result = Invoke-Captured { Get-CasRemovalJob -TenantId 'nosuch.onmicrosoft.com' -Verbose 4>&1 }
        $result.Errors | Should -BeNullOrEmpty
        @($result.Output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '*nosuch.onmicrosoft.com*' }).Count | Should -Be 1
        @($result.Output | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }) | Should -BeNullOrEmpty
    }

    It 'a cmdlet acting on an account of that tenant says it is not connected, naming the tenant' {
        $result = Invoke-Captured { Test-CasServiceAccount -AccountId $fabrikamChat.AccountId }
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'NotConnected,*'
        "$($result.Errors[0].TargetObject)" | Should -Be "$($fabrikamChat.AccountId)"
        $result.Errors[0].Exception.Message | Should -BeLike "*$($fabrikam.TenantDomain)*"
    }
}
