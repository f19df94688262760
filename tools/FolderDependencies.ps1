<#
.SYNOPSIS
    Prints which folders of src/CasAdmin.Engine use which others, the loops among them, and SQL text outside Store/.
.DESCRIPTION
    Reads the sources with the same code the guard tests use (tests/CasAdmin.Engine.Tests/Unit/EngineSource.cs, see
    its remarks for what counts as a use and as SQL), so the figures here are the ones ArchitectureTests checks.

    Two measures are printed. Namespaces: the engine namespaces a folder's files import (using CasAdmin.Engine.X) or
    name fully qualified; CasAdmin.Model declares the output types in the same namespaces, so this one also counts a
    folder that only names those. Folders: the engine folders whose types or extension methods a folder's files use;
    the guard tests apply this one.
.PARAMETER Engine
    The engine folder to read; another checkout's (for a before/after comparison) works too.
.EXAMPLE
    dotnet pwsh -NoProfile -File tools/FolderDependencies.ps1
#>
param([string] $Engine = (Join-Path $PSScriptRoot '../src/CasAdmin.Engine'))

$ErrorActionPreference = 'Stop'
$usings = "#nullable enable`nusing System; using System.Collections.Generic; using System.IO; using System.Linq;`n"
$source = Join-Path $PSScriptRoot '../tests/CasAdmin.Engine.Tests/Unit/EngineSource.cs'
if (-not ('CasAdmin.Engine.Tests.Unit.EngineSource' -as [type])) {
    Add-Type -TypeDefinition ($usings + (Get-Content $source -Raw))
}

$scan = [CasAdmin.Engine.Tests.Unit.EngineSource]::Load((Resolve-Path $Engine).Path)

# Every elementary loop of up to four folders, each once (rotated to start at its smallest folder).
function Get-Loop($edges) {
    $seen = [Collections.Generic.HashSet[string]]::new()
    $found = [Collections.Generic.List[string]]::new()
    function Walk([string] $start, [string] $at, [string[]] $path) {
        foreach ($next in $edges[$at]) {
            if ($next -eq $start) {
                $min = ($path | Sort-Object)[0]
                $i = [array]::IndexOf($path, $min)
                $rotated = @($path[$i..($path.Count - 1)]) + @(if ($i -gt 0) { $path[0..($i - 1)] })
                $key = ($rotated + $min) -join ' -> '
                if ($seen.Add($key)) { $found.Add($key) }
            } elseif ($path -notcontains $next -and $path.Count -lt 4) {
                Walk $start $next ($path + $next)
            }
        }
    }
    foreach ($folder in $edges.Keys) { Walk $folder $folder @($folder) }
    if ($found.Count) { $found | Sort-Object { ($_ -split ' -> ').Count }, { $_ } } else { '(none)' }
}

foreach ($measure in @(
        @{ Title = 'Namespaces imported (using CasAdmin.Engine.X, or fully qualified)'; Uses = $scan.NamespaceUses; Detail = $false },
        @{ Title = 'Engine folders used (types and extension methods declared in src/CasAdmin.Engine/X)'; Uses = $scan.FolderUses; Detail = $true })) {
    "$($measure.Title):"
    foreach ($folder in $scan.Folders) {
        $targets = if ($measure.Uses.ContainsKey($folder)) { $measure.Uses[$folder] } else { @{} }
        $line = foreach ($to in $targets.Keys) {
            if ($measure.Detail) {
                $names = $targets[$to] | ForEach-Object { ($_ -split ': ', 2)[1] } | Sort-Object -Unique
                "$to [$($names -join ' ')]"
            } else { $to }
        }
        '  {0,-15} -> {1}' -f $folder, ($line -join '; ')
    }
    $edges = $scan.Edges($measure.Uses)
    '  Loops (every one of up to four folders):'
    Get-Loop $edges | ForEach-Object { "    $_" }
    '  Loops (one path per group of folders that reach each other):'
    $groups = [CasAdmin.Engine.Tests.Unit.EngineSource]::Loops($edges)
    if ($groups.Count) { $groups | ForEach-Object { '    ' + ($_ -join ' -> ') } } else { '    (none)' }
    ''
}

'SQL text outside Store/ (string literals, per file):'
$sql = foreach ($file in $scan.Files | Where-Object Folder -ne 'Store') {
    $count = @($file.Literals | Where-Object { [CasAdmin.Engine.Tests.Unit.SqlText]::IsSql($_.Text) }).Count
    if ($count) { '  {0,-50} {1}' -f $file.RelativePath, $count }
}
if ($sql) { $sql } else { '  (none)' }
