#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: dependency isolation in a real PowerShell. Another module's MSAL (Microsoft.Identity.Client 4.61.3, from
    the NuGet cache) is loaded first with Add-Type, as Az or Microsoft.Graph would; then CasAdmin is imported and
    connects to the sandbox with its own MSAL. Runs in a fresh pwsh process so that nothing loaded before interferes.
#>

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    # The module tests' PackageDownload (build/TestTools) puts this MSAL into the NuGet cache.
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $otherMsal = Get-ChildItem -Path (Join-Path $packages 'microsoft.identity.client/4.61.3/lib') -Filter Microsoft.Identity.Client.dll -Recurse -ErrorAction SilentlyContinue |
        Where-Object { $_.Directory.Name -like 'net6*' -or $_.Directory.Name -like 'net8*' } |
        Select-Object -First 1
}

AfterAll {
    Remove-Item -LiteralPath $TestRoot -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'CasAdmin next to another module''s MSAL' {
    It 'connects to the sandbox with its own MSAL while MSAL 4.61.3 stays in the default context' {
        # Not skipped when missing: the build restores it, so its absence is a failure of the build.
        $otherMsal | Should -Not -BeNullOrEmpty -Because "Microsoft.Identity.Client 4.61.3 must be in $packages (build/TestTools restores it)"

        $script = @'
param($MsalPath, $Manifest, $StorePath)
$ErrorActionPreference = 'Stop'
Add-Type -Path $MsalPath
$other = [Microsoft.Identity.Client.PublicClientApplicationBuilder].Assembly
Import-Module $Manifest
$sandbox, $connections = Start-CasSandbox -Connect -StorePath $StorePath -TimeoutSeconds 180 -Confirm:$false
try {
    $accounts = @(Find-CasServiceAccount).Count
    # Every CasAdmin and MSAL assembly of the process, with the load context it lives in.
    $loaded = foreach ($context in [System.Runtime.Loader.AssemblyLoadContext]::All) {
        foreach ($assembly in $context.Assemblies | Where-Object { $_.GetName().Name -like 'CasAdmin*' -or $_.GetName().Name -eq 'Microsoft.Identity.Client' }) {
            [pscustomobject]@{ Name = $assembly.GetName().Name; Context = $context.Name; Version = $assembly.GetName().Version.ToString(); Location = $assembly.Location }
        }
    }
    [pscustomobject]@{
        OtherVersion    = $other.GetName().Version.ToString()
        OtherContext    = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($other).Name
        Connected       = @($connections).Count
        TenantIds       = @($connections | ForEach-Object TenantId)
        SandboxTenants  = @($sandbox.Tenants | ForEach-Object TenantId)
        Loaded          = @($loaded)
        Accounts        = $accounts
    } | ConvertTo-Json -Depth 4 -Compress
}
finally {
    Disconnect-CasTenant -All -Confirm:$false
    $sandbox | Stop-CasSandbox -Confirm:$false
}
'@
        $file = Join-Path $TestDrive 'isolation.ps1'
        Set-Content -LiteralPath $file -Value $script
        # A fresh pwsh of the same installation (dotnet <PSHOME>/pwsh.dll under the .NET tool): nothing loaded before.
        $run = Invoke-TestPwsh -File $file -ArgumentList '-MsalPath', $otherMsal.FullName, '-Manifest', $Manifest, '-StorePath', (Join-Path $TestRoot 'isolation.db')
        $run.ExitCode | Should -Be 0 -Because ($run.Text + $run.Errors)
        $result = ($run.Output | Where-Object { $_.StartsWith('{') } | Select-Object -Last 1) | ConvertFrom-Json

        $result.OtherVersion | Should -Be '4.61.3.0'
        $result.OtherContext | Should -Be 'Default'
        $result.Connected | Should -Be @($result.SandboxTenants).Count
        $result.TenantIds | Should -Be $result.SandboxTenants
        $result.Accounts | Should -BeGreaterThan 0

        function Get-Loaded([string] $Name) { @($result.Loaded | Where-Object Name -EQ $Name) }
        # The surface PowerShell sees on the default side; the engine and its dependencies isolated.
        (Get-Loaded 'CasAdmin').Context | Should -Be @('Default')
        (Get-Loaded 'CasAdmin.Model').Context | Should -Be @('Default')
        (Get-Loaded 'CasAdmin.Engine').Context | Should -Be @('CasAdmin.Engine')
        $msal = Get-Loaded 'Microsoft.Identity.Client'
        $msal | Should -HaveCount 2
        ($msal | Where-Object Context -EQ 'Default').Version | Should -Be '4.61.3.0'
        $engineMsal = $msal | Where-Object Context -EQ 'CasAdmin.Engine'
        [version]$engineMsal.Version | Should -BeGreaterOrEqual ([version]'4.92.0.0')
        $engineMsal.Location | Should -BeLike '*dependencies*'
    }
}
