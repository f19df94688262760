#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: the three samples end to end, each in a child pwsh that finds CasAdmin by name (as an installed module),
    with the exit code and the outcome checked in Graph (the sandbox's control API) and in the registry.
    The walkthrough starts a sandbox of its own; the runbook and the CSV bulk removal run against this file's sandbox,
    which is reset to its seeded tenants between them.
#>

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    Import-TestModule
    Start-TestSandbox 'samples' -NoConnect
    $samples = Join-Path $RepoRoot 'samples'

    # The apps of the service accounts the sandbox seeds in a tenant: non-Legacy service principals of the vendor's
    # apps, found the way the samples find them (Find-CasServiceAccount, through a connection of this session).
    function Get-ServiceAccountApp([object] $Tenant) {
        $connection = Connect-CasTenant -TenantId $Tenant.TenantId -ClientId $Tenant.AdminAppId -ClientSecret $Tenant.AdminAppSecret `
            -Environment Sandbox -SandboxUrl $sandbox.Url -SandboxThumbprint $sandbox.Thumbprint -StorePath (Join-Path $TestRoot 'probe.db')
        try {
            @(Find-CasServiceAccount -Connection $connection | Where-Object { $_.Service -and $_.AppId } | ForEach-Object AppId | Sort-Object -Unique)
        }
        finally {
            Disconnect-CasTenant -Connection $connection -Confirm:$false
        }
    }

    function Get-LeftServicePrincipal([object] $Tenant, [string[]] $AppId) {
        @((Get-SandboxState $Tenant.TenantId).servicePrincipals | Where-Object { $_.appId -in $AppId -and $_.servicePrincipalType -ne 'Legacy' })
    }

    function Get-PlainSecret([object] $Tenant) {
        [System.Net.NetworkCredential]::new('', $Tenant.AdminAppSecret).Password
    }

    $sandboxArguments = @('-SandboxUrl', $sandbox.Url, '-SandboxThumbprint', $sandbox.Thumbprint)
}

AfterAll {
    Stop-TestSandbox
}

Describe 'samples/Walkthrough.ps1' {
    It 'runs end to end with -NonInteractive and removes what it registered' {
        $result = Invoke-TestPwsh -File (Join-Path $samples 'Walkthrough.ps1') -ArgumentList '-NonInteractive', '-InformationAction', 'Continue'
        $result.ExitCode | Should -Be 0 -Because ($result.Text + $result.Errors)
        $result.Errors | Should -BeNullOrEmpty
        # Its own sandbox is gone with it, so the outcome is read from what it printed: each step, and the jobs.
        foreach ($step in 'Start the sandbox', 'Teams Chat', 'licensing model', 'health', 'Find the service accounts', 'Register',
            'WhatIf', 'Remove them', 'details of each removal', 'What stayed', 'Stop the sandbox') {
            $result.Text | Should -Match ([regex]::Escape($step))
        }
        $result.Text | Should -Match 'Teams Chat protected'
        $result.Text | Should -Match 'Succeeded'
        $result.Text | Should -Not -Match '\bFailed\b'
        $result.Text | Should -Not -Match 'System\.Management\.Automation|CasAdmin\.Engine\.'
    }
}

Describe 'samples/Runbook-BulkDeprovision.ps1' {
    It 'signs in with the managed identity and removes every service account of contoso' {
        Reset-TestSandbox
        $tenant = $sandbox.Tenants[0]
        $identity = $sandboxInfo | Where-Object tenantId -EQ $tenant.TenantId
        $identity.managedIdentityEndpoint | Should -Not -BeNullOrEmpty
        $apps = Get-ServiceAccountApp $tenant
        $apps.Count | Should -BeGreaterOrEqual 4
        $store = Join-Path $TestRoot 'runbook-mi.db'

        # What App Service and Azure Automation set for a managed identity; the sandbox emulates that endpoint.
        $environment = @{ IDENTITY_ENDPOINT = $identity.managedIdentityEndpoint; IDENTITY_HEADER = $identity.managedIdentityHeader }
        $result = Invoke-TestPwsh -File (Join-Path $samples 'Runbook-BulkDeprovision.ps1') -Environment $environment -ArgumentList (
            @('-TenantId', $tenant.TenantId, '-Discover', '-StorePath', $store) + $sandboxArguments)
        $result.ExitCode | Should -Be 0 -Because ($result.Text + $result.Errors)
        $result.Text | Should -Match 'Signed in with the managed identity'

        Get-LeftServicePrincipal $tenant $apps | Should -BeNullOrEmpty -Because 'every service account was removed from the tenant'
        Get-CasServiceAccount -StorePath $store | Should -BeNullOrEmpty
        $jobs = @(Get-CasRemovalJob -StorePath $store)
        $jobs.Count | Should -BeGreaterOrEqual $apps.Count
        $jobs | Where-Object Status -NotIn 'Succeeded', 'Forced' | Should -BeNullOrEmpty
        # fabrikam is untouched.
        Get-LeftServicePrincipal $sandbox.Tenants[1] $apps | Should -Not -BeNullOrEmpty
    }

    It 'signs in with a credential (client ID and secret) and removes every service account of fabrikam' {
        $tenant = $sandbox.Tenants[1]
        $apps = Get-ServiceAccountApp $tenant
        $store = Join-Path $TestRoot 'runbook-credential.db'
        # A PSCredential cannot travel on a command line: a wrapper builds it from the environment and calls the runbook.
        $wrapper = Join-Path $TestDrive 'runbook-credential.ps1'
        Set-Content -LiteralPath $wrapper -Value @'
param($Runbook, $TenantId, $ClientId, $StorePath, $SandboxUrl, $SandboxThumbprint)
$ErrorActionPreference = 'Stop'
$credential = [pscredential]::new($ClientId, (ConvertTo-SecureString $env:CAS_TEST_SECRET -AsPlainText -Force))
& $Runbook -TenantId $TenantId -Credential $credential -Discover -StorePath $StorePath -SandboxUrl $SandboxUrl -SandboxThumbprint $SandboxThumbprint
'@
        $result = Invoke-TestPwsh -File $wrapper -Environment @{ CAS_TEST_SECRET = (Get-PlainSecret $tenant) } -ArgumentList (
            @('-Runbook', (Join-Path $samples 'Runbook-BulkDeprovision.ps1'), '-TenantId', $tenant.TenantId, '-ClientId', $tenant.AdminAppId,
                '-StorePath', $store) + $sandboxArguments)
        $result.ExitCode | Should -Be 0 -Because ($result.Text + $result.Errors)
        $result.Text | Should -Match 'Signed in with the client secret'
        $result.Text | Should -Not -Match ([regex]::Escape((Get-PlainSecret $tenant)))

        Get-LeftServicePrincipal $tenant $apps | Should -BeNullOrEmpty
        Get-CasServiceAccount -StorePath $store | Should -BeNullOrEmpty
        Get-CasRemovalJob -StorePath $store | Where-Object Status -NotIn 'Succeeded', 'Forced' | Should -BeNullOrEmpty
    }
}

Describe 'samples/Remove-CasTenantsBulk.ps1' {
    BeforeAll {
        Reset-TestSandbox
        # Both tenants, secrets in environment variables the CSV names (never in the CSV).
        $csv = Join-Path $TestDrive 'tenants.csv'
        $environment = @{}
        $rows = foreach ($tenant in $sandbox.Tenants) {
            $variable = 'CAS_SECRET_' + $tenant.Domain.Split('.')[0].ToUpperInvariant()
            $environment[$variable] = Get-PlainSecret $tenant
            [pscustomobject]@{ TenantId = $tenant.TenantId; ClientId = $tenant.AdminAppId; CertificateThumbprint = ''; ClientSecretVariable = $variable }
        }
        $rows | Export-Csv -LiteralPath $csv -NoTypeInformation
        $store = Join-Path $TestRoot 'bulk.db'
        # Not Exchange Online: without -Force it asks a second question, which a non-interactive run cannot answer;
        # and -Force would turn the interrupted removals into forced ones instead of leaving them resumable.
        # pwsh -File cannot pass an array: a wrapper splits -Service and hands the sample's exit code on.
        $bulk = Join-Path $TestDrive 'bulk.ps1'
        Set-Content -LiteralPath $bulk -Value @'
param($Sample, $CsvPath, $StorePath, $SandboxUrl, $SandboxThumbprint, $Service, $ThrottleLimit = 16)
& $Sample -CsvPath $CsvPath -Discover -Service $Service.Split(',') -StorePath $StorePath -SandboxUrl $SandboxUrl -SandboxThumbprint $SandboxThumbprint -ThrottleLimit $ThrottleLimit
exit $LASTEXITCODE
'@
        $bulkArguments = @('-Sample', (Join-Path $samples 'Remove-CasTenantsBulk.ps1'), '-CsvPath', $csv, '-StorePath', $store,
            '-Service', 'ExchangeOnlineInline,SharePointOnline,OneDrive,Teams,TeamsChat') + $sandboxArguments
        $fabrikamTenant = $sandbox.Tenants[1]
        $apps = @{}
        foreach ($tenant in $sandbox.Tenants) {
            $apps[$tenant.TenantId] = Get-ServiceAccountApp $tenant
        }
    }

    It 'stops with exit code 1 when fabrikam''s removals are interrupted by an outage, leaving them resumable' {
        # Graph refuses to delete service principals in fabrikam (400 is never retried): those removals stop there.
        $null = Invoke-SandboxControl POST 'faults' @{ method = 'DELETE'; path = '/v1.0/servicePrincipals/*'; status = 400; tenantId = $fabrikamTenant.TenantId }
        try {
            $result = Invoke-TestPwsh -File $bulk -Environment $environment -ArgumentList $bulkArguments
        }
        finally {
            $null = Invoke-SandboxControl DELETE 'faults'
        }
        $result.ExitCode | Should -Be 1 -Because ($result.Text + $result.Errors)
        $result.Text | Should -Match 'Run the script again'

        $jobs = @(Get-CasRemovalJob -StorePath $store)
        $failed = @($jobs | Where-Object Status -EQ 'Failed')
        $failed | Should -Not -BeNullOrEmpty
        $failed | ForEach-Object { $_.TenantId | Should -Be $fabrikamTenant.TenantId }
        $jobs | Where-Object { $_.TenantId -ne $fabrikamTenant.TenantId -and $_.Status -ne 'Succeeded' } | Should -BeNullOrEmpty
        $script:interrupted = $failed
    }

    It 'resumes the interrupted jobs on the rerun, finishes each once and exits 0' {
        $result = Invoke-TestPwsh -File $bulk -Environment $environment -ArgumentList $bulkArguments
        $result.ExitCode | Should -Be 0 -Because ($result.Text + $result.Errors)
        $result.Text | Should -Match "Resuming $($interrupted.Count) unfinished removal job"

        $jobs = @(Get-CasRemovalJob -StorePath $store)
        $jobs | Where-Object Status -NE 'Succeeded' | Should -BeNullOrEmpty
        $jobs | Group-Object { $_.AccountId } | Where-Object Count -NE 1 | Should -BeNullOrEmpty -Because 'a rerun resumes a job, it does not start a second one'
        foreach ($job in $interrupted) {
            ($jobs | Where-Object JobId -EQ $job.JobId).Status | Should -Be 'Succeeded'
        }
        Get-CasServiceAccount -StorePath $store | Where-Object Service -NE 'ExchangeOnline' | Should -BeNullOrEmpty
        foreach ($tenant in $sandbox.Tenants) {
            $removed = @(Get-CasRemovalJob -StorePath $store | Where-Object TenantId -EQ $tenant.TenantId | ForEach-Object AppId)
            Get-LeftServicePrincipal $tenant $removed | Should -BeNullOrEmpty -Because "the removed apps are gone from $($tenant.Domain)"
        }
    }

    It 'stops on Ctrl+C (SIGINT to the child pwsh) with the removal half done, and the rerun resumes it' -Skip:$IsWindows {
        # Ctrl+C in a console is SIGINT to pwsh (Windows has no way to send it to a child: the outage case above
        # covers the resumption there). Fresh tenants and registry; slow Graph and one removal at a time, so that
        # the run is surely still going when it is interrupted.
        Reset-TestSandbox
        $ctrlcStore = Join-Path $TestRoot 'bulk-ctrlc.db'
        $arguments = @($bulkArguments)
        $arguments[[array]::IndexOf($arguments, '-StorePath') + 1] = $ctrlcStore
        Set-SandboxLatency 300
        try {
            $child = Start-TestPwsh -File $bulk -Environment $environment -ArgumentList ($arguments + @('-ThrottleLimit', '1'))
            # Bounded wait until the registry shows that the first removal finished (the sample is then mid-run).
            $deadline = [datetime]::UtcNow.AddSeconds(120)
            while (-not $child.Process.HasExited -and [datetime]::UtcNow -lt $deadline -and
                -not ((Test-Path -LiteralPath $ctrlcStore) -and (Get-CasRemovalJob -StorePath $ctrlcStore -Status Succeeded -ErrorAction SilentlyContinue))) {
                Start-Sleep -Milliseconds 200
            }
            $child.Process.HasExited | Should -BeFalse -Because 'the bulk removal must still run when Ctrl+C comes'
            & kill -s INT $child.Process.Id
            $interrupted = Wait-TestPwsh $child 60
        }
        finally {
            Set-SandboxLatency 0
        }
        $interrupted.Text | Should -Not -Match '\d+ job\(s\):' -Because 'the run ended before its summary'

        $accounts = @(Get-CasServiceAccount -StorePath $ctrlcStore)
        $accounts | Should -Not -BeNullOrEmpty -Because 'Ctrl+C came before every account was removed'
        Get-CasRemovalJob -StorePath $ctrlcStore | Where-Object LeaseOwner | Should -BeNullOrEmpty -Because 'Ctrl+C releases the leases'
        $before = @(Get-CasRemovalJob -StorePath $ctrlcStore)

        $result = Invoke-TestPwsh -File $bulk -Environment $environment -ArgumentList $arguments
        $result.ExitCode | Should -Be 0 -Because ($result.Text + $result.Errors)
        $jobs = @(Get-CasRemovalJob -StorePath $ctrlcStore)
        $jobs | Where-Object Status -NE 'Succeeded' | Should -BeNullOrEmpty
        $jobs | Group-Object { $_.AccountId } | Where-Object Count -NE 1 | Should -BeNullOrEmpty
        foreach ($job in $before) {
            $jobs.JobId | Should -Contain $job.JobId
        }
        Get-CasServiceAccount -StorePath $ctrlcStore | Where-Object Service -NE 'ExchangeOnline' | Should -BeNullOrEmpty
        foreach ($tenant in $sandbox.Tenants) {
            $removed = @($jobs | Where-Object TenantId -EQ $tenant.TenantId | ForEach-Object AppId)
            Get-LeftServicePrincipal $tenant $removed | Should -BeNullOrEmpty
        }
    }
}
