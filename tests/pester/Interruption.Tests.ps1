#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: Ctrl+C during a bulk removal, the way the console does it (PowerShell.Stop() on the running pipeline),
    and the rerun that finishes every job exactly once, with the progress it writes. The sandbox runs a generated
    scenario with many accounts per tenant so that the removal is surely still running when it is stopped.
#>

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    Import-TestModule
    Start-TestSandbox 'interruption' -Scenario 'generated:tenants=2,users=10,accounts=24'
    $storePath = $contoso.StorePath

    # One pipeline (no AddStatement batch: stopping a batch kills pwsh, issue 9) in a runspace of its own, which the
    # test closes itself after the pipeline has finished.
    function New-TestPipeline([string] $Script) {
        $runspace = [runspacefactory]::CreateRunspace()
        $runspace.Open()
        $ps = [powershell]::Create()
        $ps.Runspace = $runspace
        $null = $ps.AddScript($Script)
        $ps
    }

    function Close-TestPipeline([powershell] $Ps, [System.IAsyncResult] $Async) {
        if ($Async) {
            # EndInvoke waits for the pipeline to finish; a stopped one throws PipelineStoppedException.
            try { $null = $Ps.EndInvoke($Async) } catch { Write-Verbose "The pipeline ended with: $($_.Exception.Message)" }
        }
        $runspace = $Ps.Runspace
        $Ps.Dispose()
        $runspace.Close()
        $runspace.Dispose()
    }

    # True once a job's own progress (a child of the bulk activity) was written: that job exists and runs.
    function Test-JobStarted([powershell] $Ps) {
        $records = $Ps.Streams.Progress
        for ($i = 0; $i -lt $records.Count; $i++) {
            if ($records[$i].ParentActivityId -ge 0) { return $true }
        }
        $false
    }

    $removal = "Import-Module '$Manifest'; Get-CasServiceAccount -StorePath '$storePath' | Remove-CasServiceAccount -Force -Confirm:`$false -ThrottleLimit {0} -WarningAction SilentlyContinue"
}

AfterAll {
    Stop-TestSandbox
}

Describe 'A bulk removal stopped with Ctrl+C' {
    It 'registers the many accounts of the generated tenants' {
        $script:accounts = @(Find-CasServiceAccount | Where-Object { $_.Service -and -not $_.Registered } | Register-CasServiceAccount -Confirm:$false)
        $accounts.Count | Should -BeGreaterOrEqual 40
        $script:appIds = @($accounts | Where-Object AppId | ForEach-Object AppId | Sort-Object -Unique)
    }

    It 'returns from Stop() within seconds, and leaves resumable jobs without a lease' {
        # Each Graph call is slowed down so that the removal of 48+ accounts, two at a time, is surely still running.
        Set-SandboxLatency 250
        $ps = New-TestPipeline ($removal -f 2)
        $async = $null
        try {
            $async = $ps.BeginInvoke()
            # Wait (bounded) until the progress shows that a job of the bulk removal runs.
            $deadline = [datetime]::UtcNow.AddSeconds(120)
            while (-not (Test-JobStarted $ps) -and -not $async.IsCompleted -and [datetime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 100
            }
            Test-JobStarted $ps | Should -BeTrue -Because 'each job writes progress once it runs'
            $async.IsCompleted | Should -BeFalse -Because 'the removal must still run when it is stopped'

            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Stop()
            # A generous bound, not a timing target: Ctrl+C must not wait for the bulk removal to finish.
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 30
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            Close-TestPipeline $ps $async
            Set-SandboxLatency 0
        }

        $jobs = @(Get-CasRemovalJob -StorePath $storePath)
        $jobs | Should -Not -BeNullOrEmpty -Because 'a job had started when the removal was stopped'
        $jobs.Count | Should -BeLessThan $accounts.Count -Because 'the stop came before every account had a job'
        $script:stopped = $jobs
        $jobs | Where-Object LeaseOwner | Should -BeNullOrEmpty -Because 'Ctrl+C releases the leases so that a rerun need not wait'
        @(Get-CasServiceAccount -StorePath $storePath).Count | Should -BeGreaterThan 0
    }

    It 'finishes every job exactly once on the rerun, with progress that estimates the time left and completes' {
        $ps = New-TestPipeline ($removal -f 8)
        $async = $null
        try {
            $async = $ps.BeginInvoke()
            $output = @($ps.EndInvoke($async))
            $async = $null
            $ps.HadErrors | Should -BeFalse -Because (@($ps.Streams.Error) -join '; ')
            $progress = @($ps.Streams.Progress)
        }
        finally {
            Close-TestPipeline $ps $async
        }

        $output | ForEach-Object { $_.Status | Should -Be 'Succeeded' }
        # The registry: one job per account, each Succeeded; no account left.
        $jobs = @(Get-CasRemovalJob -StorePath $storePath)
        $perAccount = $jobs | Group-Object { $_.AccountId }
        @($perAccount).Count | Should -Be $accounts.Count
        $perAccount | Where-Object Count -NE 1 | Should -BeNullOrEmpty -Because 'a rerun resumes the stopped jobs, it does not start second ones'
        $jobs | Where-Object Status -NE 'Succeeded' | Should -BeNullOrEmpty
        foreach ($job in $stopped) {
            ($jobs | Where-Object JobId -EQ $job.JobId).Status | Should -Be 'Succeeded' -Because 'the stopped job itself resumed'
        }
        Get-CasServiceAccount -StorePath $storePath | Should -BeNullOrEmpty

        # Graph: no service principal of a removed account's app is left in either tenant (the Legacy principals the
        # scenario seeds next to them are not service accounts).
        foreach ($tenant in $sandbox.Tenants) {
            $left = @((Get-SandboxState $tenant.TenantId).servicePrincipals | Where-Object { $_.appId -in $appIds -and $_.servicePrincipalType -ne 'Legacy' })
            $left | Should -BeNullOrEmpty -Because "every account of $($tenant.Domain) was removed"
        }

        # Progress: an estimate of the time left while jobs run, and a Completed record at the end.
        $progress | Should -Not -BeNullOrEmpty
        $progress | Where-Object { $_.SecondsRemaining -gt 0 } | Should -Not -BeNullOrEmpty -Because 'the rate measured so far gives the time left'
        $progress | Where-Object RecordType -EQ 'Completed' | Should -Not -BeNullOrEmpty
        $activities = $progress | ForEach-Object ActivityId | Sort-Object -Unique
        foreach ($id in $activities) {
            ($progress | Where-Object ActivityId -EQ $id | Select-Object -Last 1).RecordType | Should -Be 'Completed' -Because "activity $id must end with Completed"
        }
    }
}
