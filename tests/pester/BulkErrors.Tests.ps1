#Requires -Version 7.4
<#
    A bulk removal in which one tenant's removals fail: every job that finished is in the output even with
    -ErrorAction Stop, and the failures are ErrorRecords with the engine's id and a recommended action.
#>

BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $props = [xml](Get-Content -Raw -LiteralPath (Join-Path $repo 'Directory.Build.props'))
    $version = @($props.Project.PropertyGroup | ForEach-Object { $_.CasAdminVersion } | Where-Object { $_ })[0]
    Import-Module (Join-Path $repo "out/CasAdmin/$version/CasAdmin.psd1") -Force -ErrorAction Stop
    $sandbox, $connections = Start-CasSandbox -Connect -StorePath (Join-Path $TestDrive 'registry.db') -Confirm:$false
    $contoso = $connections | Where-Object TenantDomain -Like 'contoso*'
    $fabrikam = $connections | Where-Object TenantDomain -Like 'fabrikam*'

    # Deleting a service principal in fabrikam is refused (400, never retried): its removals fail at that step.
    $fault = @{ method = 'DELETE'; path = '/v1.0/servicePrincipals/*'; status = 400; tenantId = $fabrikam.TenantId; times = 1000 } | ConvertTo-Json
    $null = Invoke-RestMethod -Method Post -Uri ([uri]::new([uri]$sandbox.Url, '_sandbox/faults')) -Body $fault -ContentType 'application/json' -SkipCertificateCheck

    # Exchange Online asks for an extra confirmation without -Force, and -Force would turn failures into forced removals.
    $accounts = @(Find-CasServiceAccount | Where-Object { $_.Service -and $_.Kind -eq 'AuthorizedAccount' -and $_.Service -ne 'ExchangeOnline' } |
        Register-CasServiceAccount -Confirm:$false)
}

AfterAll {
    $sandbox | Stop-CasSandbox -Confirm:$false -ErrorAction SilentlyContinue
    Remove-Module CasAdmin -Force -ErrorAction SilentlyContinue
}

Describe 'A bulk removal with failures' {
    It 'writes every job before the first error ends the cmdlet under -ErrorAction Stop' {
        $accounts.Count | Should -BeGreaterThan 4
        $fabrikamCount = @($accounts | Where-Object TenantId -EQ $fabrikam.TenantId).Count
        $fabrikamCount | Should -BeGreaterThan 0

        $stopped = $null
        try {
            $accounts | Remove-CasServiceAccount -Confirm:$false -ThrottleLimit 4 -ErrorAction Stop -OutVariable jobs | Out-Null
        }
        catch {
            $stopped = $_
        }

        $stopped | Should -Not -BeNullOrEmpty
        $stopped.FullyQualifiedErrorId | Should -Not -BeLike 'UnexpectedError*'
        $stopped.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        $jobs.Count | Should -Be $accounts.Count
        @($jobs | Where-Object TenantId -EQ $contoso.TenantId | Where-Object Status -EQ 'Succeeded').Count | Should -Be ($accounts.Count - $fabrikamCount)
        @($jobs | Where-Object TenantId -EQ $fabrikam.TenantId | Where-Object Status -EQ 'Failed').Count | Should -Be $fabrikamCount
    }

    It 'reports each failed job as its own non-terminating error otherwise' {
        # The fabrikam jobs resume (finished steps are not repeated) and fail again at the refused step.
        $failed = @(Get-CasServiceAccount | Where-Object TenantId -EQ $fabrikam.TenantId)
        $jobs = $failed | Remove-CasServiceAccount -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue

        @($jobs).Count | Should -Be $failed.Count
        $errors.Count | Should -Be $failed.Count
        foreach ($e in $errors) {
            $e.CategoryInfo.Category | Should -Not -Be 'NotSpecified'
            $e.TargetObject | Should -Not -BeNullOrEmpty
            $e.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        }
    }
}
