<#
.SYNOPSIS
    Parses every PowerShell file of the repository with PowerShell's own parser; fails on any parse error.

.DESCRIPTION
    Every *.ps1, *.psm1 and *.psd1 under the repository root, except build output and restored tools (bin, obj,
    out, .tools, TestResults), goes through [System.Management.Automation.Language.Parser]::ParseFile of the pwsh
    that runs this script (the pinned .NET tool: dotnet pwsh). Each error is written as "file(line,column): error
    ID: message", the form MSBuild, editors and CI logs understand; the exit code is 1 when any file has an error.

.EXAMPLE
    dotnet pwsh -NoProfile -File build/Test-Syntax.ps1
#>
[CmdletBinding()]
param(
    # The folder to search; the repository root by default.
    [string] $Path = (Split-Path -Parent $PSScriptRoot)
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$root = (Resolve-Path -LiteralPath $Path).ProviderPath
$skipped = @('bin', 'obj', 'out', '.tools', 'TestResults', '.git')
$files = @(Get-ChildItem -LiteralPath $root -Recurse -File -Include '*.ps1', '*.psm1', '*.psd1' |
    Where-Object {
        $segments = [System.IO.Path]::GetRelativePath($root, $_.FullName).Split([System.IO.Path]::DirectorySeparatorChar)
        -not ($segments | Where-Object { $_ -in $skipped })
    } |
    Sort-Object FullName)
if ($files.Count -eq 0) {
    # An empty run proves nothing: a wrong root must not pass silently.
    Write-Error "No PowerShell files were found under $root."
    exit 1
}

$failed = 0
foreach ($file in $files) {
    $tokens = $null
    $errors = $null
    $null = [System.Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref] $tokens, [ref] $errors)
    $relative = [System.IO.Path]::GetRelativePath($root, $file.FullName)
    foreach ($e in $errors) {
        $start = $e.Extent.StartScriptPosition
        [Console]::Error.WriteLine("${relative}($($start.LineNumber),$($start.ColumnNumber)): error $($e.ErrorId): $($e.Message)")
    }
    if ($errors.Count -gt 0) {
        $failed++
    }
}

if ($failed -gt 0) {
    [Console]::Error.WriteLine("$failed of $($files.Count) PowerShell file(s) do not parse.")
    exit 1
}
Write-Host "$($files.Count) PowerShell file(s) parse without errors."
exit 0
