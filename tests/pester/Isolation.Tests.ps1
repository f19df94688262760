#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: dependency isolation in a real PowerShell. Another module's MSAL (Microsoft.Identity.Client 4.61.3, from
    the NuGet cache) is loaded first with Add-Type, as Az or Microsoft.Graph would; then CasAdmin is imported and
    connects to the sandbox with its own MSAL. Runs in a fresh pwsh process so that nothing loaded before interferes.
#>

BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $props = [xml](Get-Content -Raw -LiteralPath (Join-Path $repo 'Directory.Build.props'))
    $version = @($props.Project.PropertyGroup | ForEach-Object { $_.CasAdminVersion } | Where-Object { $_ })[0]
    $manifest = Join-Path $repo "out/CasAdmin/$version/CasAdmin.psd1"
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "The module is not built: $manifest is missing. Run 'dotnet build CasAdmin.sln -c Release' first."
    }

    # The module tests' PackageDownload puts this MSAL into the NuGet cache.
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $otherMsal = Get-ChildItem -Path (Join-Path $packages 'microsoft.identity.client/4.61.3/lib') -Filter Microsoft.Identity.Client.dll -Recurse -ErrorAction SilentlyContinue |
        Where-Object { $_.Directory.Name -like 'net6*' -or $_.Directory.Name -like 'net8*' } |
        Select-Object -First 1
    $pwsh = (Get-Process -Id $PID).Path
}

Describe 'CasAdmin next to another module''s MSAL' {
    It 'connects to the sandbox with its own MSAL while MSAL 4.61.3 stays in the default context' {
        if (-not $otherMsal) {
            Set-ItResult -Skipped -Because "Microsoft.Identity.Client 4.61.3 is not in $packages (restore tests/CasAdmin.Module.Tests first)"
            return
        }

        $script = @'
param($MsalPath, $Manifest)
$ErrorActionPreference = 'Stop'
Add-Type -Path $MsalPath
$other = [Microsoft.Identity.Client.PublicClientApplicationBuilder].Assembly
Import-Module $Manifest
$sandbox, $connections = Start-CasSandbox -Connect -StorePath (Join-Path ([System.IO.Path]::GetTempPath()) "casadmin-isolation-$PID.db") -TimeoutSeconds 180 -Confirm:$false
try {
    $loaded = foreach ($context in [System.Runtime.Loader.AssemblyLoadContext]::All) {
        foreach ($assembly in $context.Assemblies | Where-Object { $_.GetName().Name -eq 'Microsoft.Identity.Client' }) {
            [pscustomobject]@{ Context = $context.Name; Version = $assembly.GetName().Version.ToString(); Location = $assembly.Location }
        }
    }
    [pscustomobject]@{
        OtherVersion    = $other.GetName().Version.ToString()
        OtherContext    = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($other).Name
        Connected       = @($connections).Count
        TenantIds       = @($connections | ForEach-Object TenantId)
        SandboxTenants  = @($sandbox.Tenants | ForEach-Object TenantId)
        Msal            = @($loaded)
        Accounts        = @(Find-CasServiceAccount).Count
    } | ConvertTo-Json -Depth 4 -Compress
}
finally {
    $sandbox | Stop-CasSandbox -Confirm:$false
}
'@
        $file = Join-Path $TestDrive 'isolation.ps1'
        Set-Content -LiteralPath $file -Value $script
        $json = & $pwsh -NoProfile -NonInteractive -File $file -MsalPath $otherMsal.FullName -Manifest $manifest
        $LASTEXITCODE | Should -Be 0 -Because ($json -join [Environment]::NewLine)
        $result = ($json | Select-Object -Last 1) | ConvertFrom-Json

        $result.OtherVersion | Should -Be '4.61.3.0'
        $result.OtherContext | Should -Be 'Default'
        $result.Connected | Should -Be @($result.SandboxTenants).Count
        $result.TenantIds | Should -Be $result.SandboxTenants
        $result.Accounts | Should -BeGreaterThan 0

        $engineMsal = @($result.Msal | Where-Object Context -NE 'Default')
        $engineMsal | Should -HaveCount 1
        [version]$engineMsal[0].Version | Should -BeGreaterOrEqual ([version]'4.92.0.0')
        $engineMsal[0].Location | Should -BeLike '*dependencies*'
        @($result.Msal | Where-Object Context -EQ 'Default').Version | Should -Be @('4.61.3.0')
    }
}
