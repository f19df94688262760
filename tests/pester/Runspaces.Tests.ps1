#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: one job, one runner, also inside one process. Two ForEach-Object -Parallel runspaces of this pwsh share
    the module's engine; both remove the same registered accounts at once (-Force -RemoveApp, with Graph slowed down so
    that they overlap). Each account is removed once: the other runspace is told RemovalInProgress (or AlreadyRemoved
    once the first has finished), as a non-terminating error, and the sandbox sees no step run twice. The runspaces
    split the tenants: each tenant's accounts are all removed by one of them.
#>

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    Import-TestModule
    Start-TestSandbox 'runspaces'
    $storePath = $contoso.StorePath
}

AfterAll {
    Stop-TestSandbox
}

Describe 'Two runspaces removing the same accounts' {
    It 'removes each account once; the other runspace gets RemovalInProgress, non-terminating; no step runs twice' {
        $accounts = @(foreach ($connection in $connections) {
                Find-CasServiceAccount -Connection $connection | Where-Object { $_.Service -and -not $_.Registered } |
                    Register-CasServiceAccount -Connection $connection -Confirm:$false
            })
        $accounts.Count | Should -BeGreaterOrEqual 8
        Set-SandboxLatency 40
        try {
            $runs = @(1, 2 | ForEach-Object -ThrottleLimit 2 -Parallel {
                    Import-Module $using:Manifest
                    $jobs = @(Get-CasServiceAccount -StorePath $using:storePath |
                            Remove-CasServiceAccount -Force -RemoveApp -Confirm:$false -WarningAction SilentlyContinue -ErrorAction SilentlyContinue -ErrorVariable failed)
                    # Reached only when every error was non-terminating.
                    [pscustomobject]@{ Run = $_; Jobs = $jobs; Errors = @($failed | ForEach-Object { $_.FullyQualifiedErrorId }); Finished = $true }
                })
        }
        finally {
            Set-SandboxLatency 0
        }

        $runs.Count | Should -Be 2
        $runs | ForEach-Object { $_.Finished | Should -BeTrue }
        $errors = @($runs | ForEach-Object { $_.Errors })
        $errors | Where-Object { $_ -notmatch '^(RemovalInProgress|AlreadyRemoved),' } | Should -BeNullOrEmpty -Because 'the loser is told the job is held or done, never LeaseLost'

        $jobs = @(Get-CasRemovalJob -StorePath $storePath)
        $perAccount = @($jobs | Group-Object { $_.AccountId })
        $perAccount.Count | Should -Be $accounts.Count
        $perAccount | Where-Object Count -NE 1 | Should -BeNullOrEmpty -Because 'one job per account'
        $jobs | Where-Object Status -NE 'Succeeded' | Should -BeNullOrEmpty
        @($runs | ForEach-Object { $_.Jobs } | Where-Object Status -EQ 'Succeeded').Count | Should -Be $accounts.Count -Because 'each account was removed by one runspace only'
        $tenantsOf = @($runs | ForEach-Object { , @($_.Jobs | Where-Object Status -EQ 'Succeeded' | ForEach-Object TenantId | Sort-Object -Unique) })
        @($tenantsOf[0] | Where-Object { $_ -in $tenantsOf[1] }) | Should -BeNullOrEmpty -Because 'the runspaces split the tenants (Graph throttles per app and tenant), each removing all of a tenant or none'

        $stats = Invoke-SandboxControl GET 'stats'
        $repeats = @($stats.repeated | ForEach-Object { "$($_.method) $($_.path) x$($_.repeats)" })
        $stats.totals.repeatedDeletes | Should -Be 0 -Because ($repeats -join '; ')
        $stats.totals.repeatedWrites | Should -Be 0 -Because ($repeats -join '; ')
    }
}
