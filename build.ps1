<#
.SYNOPSIS
    Builds, tests, documents and packages CasAdmin; a thin wrapper over the dotnet commands.

.DESCRIPTION
    Build    dotnet build CasAdmin.sln: also assembles the module folder out/CasAdmin/<version>/ (build/Module.targets).
    Test     dotnet test CasAdmin.sln, then Pester 5 on tests/pester in a child pwsh when PowerShell 7.4+ and
             Pester 5 are installed (otherwise reported as skipped, with the reason).
    Pester   only the Pester part of Test (the module must be built).
    Docs     checks docs/en-US (platyPS markdown) and rebuilds the module's help.
    Package  out/CasAdmin.<version>.nupkg for the PowerShell Gallery (dotnet build src/CasAdmin -t:PackModule),
             with -ProjectUri and -LicenseUri written into the packaged manifest when given.
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
    [ValidateSet('Build', 'Test', 'Pester', 'Docs', 'Package', 'Sandbox')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    [uri] $ProjectUri,

    [uri] $LicenseUri
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot

# A simple function on purpose: its arguments (-c, -t:..., '--') reach dotnet untouched through $args.
function Invoke-Dotnet {
    Write-Host "dotnet $($args -join ' ')" -ForegroundColor Cyan
    & dotnet @args
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

# Returns $null when Pester can run, else the reason it cannot.
function Get-PesterSkipReason {
    $pwsh = Get-Command pwsh -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $pwsh) {
        return 'pwsh not found'
    }
    $version = & $pwsh.Source -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()'
    if ([version]($version -replace '-.*$', '') -lt [version]'7.4') {
        return "pwsh $version is older than 7.4"
    }
    $pester = & $pwsh.Source -NoProfile -NonInteractive -Command "Get-Module Pester -ListAvailable | Where-Object Version -ge '5.0.0' | Sort-Object Version -Descending | Select-Object -First 1 | ForEach-Object { `$_.Version.ToString() }"
    if (-not $pester) {
        return 'Pester 5 not installed (Install-Module Pester -MinimumVersion 5.0)'
    }
    return $null
}

function Invoke-Pester5 {
    $reason = Get-PesterSkipReason
    if ($reason) {
        Write-Host "Pester: skipped — $reason"
        return
    }
    $results = Join-Path $root 'TestResults'
    $null = New-Item -ItemType Directory -Force -Path $results
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module Pester -MinimumVersion 5.0
`$c = New-PesterConfiguration
`$c.Run.Path = '$(Join-Path $root 'tests/pester')'
`$c.Run.Exit = `$true
`$c.Output.Verbosity = 'Detailed'
`$c.TestResult.Enabled = `$true
`$c.TestResult.OutputFormat = 'NUnitXml'
`$c.TestResult.OutputPath = '$(Join-Path $results 'pester.xml')'
Invoke-Pester -Configuration `$c
"@
    # A child pwsh: the module under test loads into a clean session, never into this one.
    & pwsh -NoProfile -NonInteractive -Command $script
    if ($LASTEXITCODE -ne 0) {
        throw "Pester failed with exit code $LASTEXITCODE."
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
                Invoke-Dotnet test CasAdmin.sln -c $Configuration
                Invoke-Pester5
            }
            'Pester' {
                Invoke-Pester5
            }
            'Docs' {
                Invoke-Dotnet run --project tools/CasAdmin.HelpBuilder -c $Configuration '--' check --docs docs/en-US
                Invoke-Dotnet build src/CasAdmin/CasAdmin.csproj -c $Configuration
            }
            'Package' {
                Invoke-Dotnet build src/CasAdmin/CasAdmin.csproj -c $Configuration -t:PackModule "-p:CasAdminProjectUri=$ProjectUri" "-p:CasAdminLicenseUri=$LicenseUri"
                Write-Host "Package: $(Join-Path $root "out/CasAdmin.$(Get-CasAdminVersion).nupkg")"
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
