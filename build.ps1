<#
.SYNOPSIS
    Builds, tests, documents and packages CasAdmin; a thin wrapper over the dotnet commands.

.DESCRIPTION
    Build    dotnet build CasAdmin.sln: also assembles the module folder out/CasAdmin/<version>/ (build/Module.targets).
    Test     dotnet test CasAdmin.sln (which builds and assembles the module), then Pester 5.7.1 (restored from NuGet by build/TestTools) on tests/pester in a
             child pwsh 7.6.9 (the local .NET tool of .config/dotnet-tools.json). Never skipped.
    Pester   only the Pester part of Test (the module must be built).
    Demo     builds, then runs samples/Walkthrough.ps1 -NonInteractive through the module against the sandbox: the main job.
    Docs     checks docs/en-US (platyPS markdown) and rebuilds the module's help.
    Package  builds, then out/CasAdmin.<version>.nupkg for the PowerShell Gallery, made by PSResourceGet's
             Compress-PSResource from out/CasAdmin/<version> (build/New-GalleryPackage.ps1), with -ProjectUri and
             -LicenseUri (https only) written into the packaged manifest when given.
    Sandbox  runs the Microsoft 365 tenant emulator in the foreground (Ctrl+C stops it).

.EXAMPLE
    ./build.ps1 -Task Build, Test

.EXAMPLE
    ./build.ps1 -Task Package -Configuration Release

.EXAMPLE
    ./build.ps1 -Task Package -ProjectUri https://example.org/casadmin -LicenseUri https://example.org/casadmin/license

.PARAMETER ProjectUri
    The project's address for the Gallery (PrivateData.PSData.ProjectUri of the packaged manifest).

.PARAMETER LicenseUri
    The license's address for the Gallery (PrivateData.PSData.LicenseUri of the packaged manifest).
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'Demo', 'Docs', 'Package', 'Sandbox')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    [uri] $ProjectUri,

    [uri] $LicenseUri,

    [ValidateSet('None', 'Normal', 'Detailed', 'Diagnostic')]
    [string] $PesterVerbosity = 'Normal',

    # With -Task Test: where dotnet test writes its TRX files (CI sums them with Pester's NUnit report).
    [string] $ResultsDirectory
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$PesterVersion = '5.7.1'

# A simple function on purpose: its arguments (-c, -t:..., '--') reach dotnet untouched through $args.
function Invoke-Dotnet {
    Write-Host "dotnet $($args -join ' ')" -ForegroundColor Cyan
    & dotnet @args | Out-Host
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet $($args[0]) failed with exit code $LASTEXITCODE."
    }
}

function Get-CasAdminVersion {
    $props = [xml](Get-Content -Raw -LiteralPath (Join-Path $root 'Directory.Build.props'))
    $version = @($props.Project.PropertyGroup | ForEach-Object { $_.CasAdminVersion } | Where-Object { $_ })[0]
    if (-not $version) {
        throw 'Directory.Build.props has no CasAdminVersion.'
    }
    $version
}

# The pinned PowerShell of .config/dotnet-tools.json, as a command line: this very process when it is that pwsh
# (as a .NET tool pwsh runs inside dotnet, so the child is "dotnet <PSHOME>/pwsh.dll"), else "dotnet pwsh".
function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ([System.IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        return @($process, (Join-Path $PSHOME 'pwsh.dll'))
    }
    if ([System.IO.Path]::GetFileNameWithoutExtension($process) -eq 'pwsh') {
        return @($process)
    }
    return @('dotnet', 'pwsh')
}

# Pester 5.7.1 from NuGet (build/TestTools), laid out as .tools/Modules/Pester/5.7.1; returns the Modules folder.
function Initialize-TestTools {
    Invoke-Dotnet tool restore
    Invoke-Dotnet restore (Join-Path $root 'build/TestTools/TestTools.csproj') --nologo '-v:q'
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $modules = Join-Path $root '.tools/Modules'
    $pester = Join-Path $modules "Pester/$PesterVersion"
    if (-not (Test-Path -LiteralPath (Join-Path $pester 'Pester.psd1'))) {
        $source = Join-Path $packages "pester/$PesterVersion/tools"
        if (-not (Test-Path -LiteralPath (Join-Path $source 'Pester.psd1'))) {
            throw "Pester $PesterVersion was not restored to $source."
        }
        $null = New-Item -ItemType Directory -Force -Path $pester
        Copy-Item -Path (Join-Path $source '*') -Destination $pester -Recurse -Force
    }
    $modules
}

# Runs the Pester suites of tests/pester in a child pwsh (the module under test loads into a clean session) and
# writes TestResults/pester.xml (NUnit). Never skipped: a missing tool or a failed test is an error.
function Invoke-Pester5 {
    $modules = Initialize-TestTools
    $results = Join-Path $root 'TestResults'
    $null = New-Item -ItemType Directory -Force -Path $results
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module Pester -RequiredVersion $PesterVersion
`$c = New-PesterConfiguration
`$c.Run.Path = '$(Join-Path $root 'tests/pester')'
`$c.Run.Exit = `$true
`$c.Output.Verbosity = '$PesterVerbosity'
`$c.TestResult.Enabled = `$true
`$c.TestResult.OutputFormat = 'NUnitXml'
`$c.TestResult.OutputPath = '$(Join-Path $results 'pester.xml')'
Invoke-Pester -Configuration `$c
"@
    $pwsh = @(Get-PwshCommand)
    $saved = $env:PSModulePath
    try {
        $env:PSModulePath = $modules + [System.IO.Path]::PathSeparator + $env:PSModulePath
        & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $script
    }
    finally {
        $env:PSModulePath = $saved
    }
    if ($LASTEXITCODE -ne 0) {
        throw "Pester failed with exit code $LASTEXITCODE."
    }
}

# The main job: the walkthrough through the built module, in a child pwsh, against the sandbox it starts.
function Invoke-Demo {
    $pwsh = @(Get-PwshCommand)
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -File (Join-Path $root 'samples/Walkthrough.ps1') -NonInteractive -InformationAction Continue
    if ($LASTEXITCODE -ne 0) {
        throw "The walkthrough failed with exit code $LASTEXITCODE."
    }
}

Push-Location $root
try {
    foreach ($t in $Task) {
        switch ($t) {
            'Build' {
                Invoke-Dotnet build CasAdmin.sln -c $Configuration
                Write-Host "Module: $(Join-Path $root "out/CasAdmin/$(Get-CasAdminVersion)")"
            }
            'Test' {
                # dotnet test builds the solution, which assembles the module Pester imports. Pester runs even when
                # xUnit failed, so that one run reports both.
                $trx = if ($ResultsDirectory) { @('--logger', 'trx', '--results-directory', $ResultsDirectory) } else { @() }
                # A test that hangs is stopped after ten minutes and reported as aborted, naming it, instead of holding
                # the whole run until CI gives up on it (no test here needs a minute).
                $hang = @('--blame-hang-timeout', '10m', '--blame-hang-dump-type', 'none')
                $failures = @()
                try { Invoke-Dotnet test CasAdmin.sln -c $Configuration @trx @hang } catch { $failures += $_ }
                try { Invoke-Pester5 } catch { $failures += $_ }
                if ($failures) {
                    throw ($failures -join [Environment]::NewLine)
                }
            }
            'Pester' {
                Invoke-Pester5
            }
            'Demo' {
                Invoke-Dotnet build CasAdmin.sln -c $Configuration
                Invoke-Demo
            }
            'Docs' {
                Invoke-Dotnet run --project tools/CasAdmin.HelpBuilder -c $Configuration '--' check --docs docs/en-US
                Invoke-Dotnet build src/CasAdmin/CasAdmin.csproj -c $Configuration
            }
            'Package' {
                Invoke-Dotnet build src/CasAdmin/CasAdmin.csproj -c $Configuration
                $uris = @{}
                if ($ProjectUri) { $uris.ProjectUri = $ProjectUri }
                if ($LicenseUri) { $uris.LicenseUri = $LicenseUri }
                $package = & (Join-Path $root 'build/New-GalleryPackage.ps1') -ModulePath (Join-Path $root "out/CasAdmin/$(Get-CasAdminVersion)") -DestinationPath (Join-Path $root 'out') @uris
                Write-Host "Package: $package"
            }
            'Sandbox' {
                Invoke-Dotnet run --project src/CasAdmin.Sandbox -c $Configuration
            }
        }
    }
}
finally {
    Pop-Location
}
