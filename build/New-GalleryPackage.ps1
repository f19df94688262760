<#
.SYNOPSIS
    Packs a built module folder into <Name>.<Version>.nupkg for the PowerShell Gallery with PSResourceGet.

.DESCRIPTION
    Compress-PSResource (PSResourceGet 1.1+, shipped in pwsh 7.6) writes the package: the module files, and a nuspec
    made from the manifest with the tags the Gallery searches on (PSModule, PSEdition_*, PSCmdlet_*, PSCommand_*).
    The project's and the license's addresses are release inputs, not text in the source manifest, so a build never
    publishes an address nobody chose: given, they are written into PrivateData.PSData of a staged copy of the
    manifest, never into the module folder itself. Only absolute https addresses are accepted.
    Writes the package's path.

.EXAMPLE
    ./build/New-GalleryPackage.ps1 -ModulePath out/CasAdmin/0.1.0 -DestinationPath out -ProjectUri https://example.org/casadmin
#>
[CmdletBinding()]
param(
    # The module folder to pack: out/CasAdmin/<version> (holds <Name>.psd1).
    [Parameter(Mandatory)]
    [string] $ModulePath,

    # Where the .nupkg goes.
    [Parameter(Mandatory)]
    [string] $DestinationPath,

    [uri] $ProjectUri,

    [uri] $LicenseUri
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
Import-Module Microsoft.PowerShell.PSResourceGet -MinimumVersion 1.1.0

foreach ($address in @{ ProjectUri = $ProjectUri; LicenseUri = $LicenseUri }.GetEnumerator()) {
    $uri = $address.Value
    if ($uri -and -not ($uri.IsAbsoluteUri -and $uri.Scheme -eq [uri]::UriSchemeHttps)) {
        throw "$($address.Key) must be an absolute https:// address; '$($uri.OriginalString)' is not."
    }
}

# Sets PrivateData.PSData.<Key> = '<Value>' in a manifest, at the place PowerShell's parser finds; the rest of the
# text (comments, explicit empty export lists) stays as written. Not Update-PSModuleManifest: it regenerates the
# whole manifest and turns "VariablesToExport = @()" into a comment, i.e. export everything.
function Set-PSDataValue {
    param([string] $Path, [string] $Key, [string] $Value)
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref] $null, [ref] $errors)
    if ($errors) {
        throw "$Path does not parse: $($errors[0].Message)"
    }
    $hashtableOf = {
        param($hashtable, $name)
        $pair = @($hashtable.KeyValuePairs | Where-Object { $_.Item1.SafeGetValue() -eq $name })
        if ($pair) { $pair[0].Item2.Find({ $args[0] -is [System.Management.Automation.Language.HashtableAst] }, $true) }
    }
    $top = $ast.Find({ $args[0] -is [System.Management.Automation.Language.HashtableAst] }, $true)
    $privateData = & $hashtableOf $top 'PrivateData'
    $psData = if ($privateData) { & $hashtableOf $privateData 'PSData' }
    if (-not $psData) {
        throw "$Path has no PrivateData = @{ PSData = @{ ... } } to put $Key in."
    }
    $text = $ast.Extent.Text
    $quoted = "'" + $Value.Replace("'", "''") + "'"
    $existing = @($psData.KeyValuePairs | Where-Object { $_.Item1.SafeGetValue() -eq $Key })
    if ($existing) {
        $at = $existing[0].Item2.Extent
        $text = $text.Substring(0, $at.StartOffset) + $quoted + $text.Substring($at.EndOffset)
    }
    else {
        # On its own line right after PSData's "@{", indented like PSData's first key.
        $column = if ($psData.KeyValuePairs.Count -gt 0) { $psData.KeyValuePairs[0].Item1.Extent.StartColumnNumber } else { 13 }
        $at = $psData.Extent.StartOffset + 2
        $text = $text.Substring(0, $at) + [Environment]::NewLine + (' ' * ($column - 1)) + "$Key = $quoted" + $text.Substring($at)
    }
    [System.IO.File]::WriteAllText($Path, $text, [System.Text.UTF8Encoding]::new($false))
}

$source = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$manifest = @(Get-ChildItem -LiteralPath $source -Filter '*.psd1' -File)
if ($manifest.Count -ne 1) {
    throw "$source must hold exactly one module manifest (*.psd1); found $($manifest.Count)."
}
$name = $manifest[0].BaseName

# A staged copy named like the module: Compress-PSResource packs a folder, and the URIs must not touch the build output.
$staging = Join-Path ([System.IO.Path]::GetTempPath()) "casadmin-package-$PID-$([guid]::NewGuid().ToString('N'))"
$stagedModule = Join-Path $staging $name
try {
    $null = New-Item -ItemType Directory -Force -Path $stagedModule
    Copy-Item -Path (Join-Path $source '*') -Destination $stagedModule -Recurse -Force
    $stagedManifest = Join-Path $stagedModule $manifest[0].Name

    if ($ProjectUri) { Set-PSDataValue -Path $stagedManifest -Key ProjectUri -Value $ProjectUri.AbsoluteUri }
    if ($LicenseUri) { Set-PSDataValue -Path $stagedManifest -Key LicenseUri -Value $LicenseUri.AbsoluteUri }
    $null = Test-ModuleManifest -Path $stagedManifest

    $null = New-Item -ItemType Directory -Force -Path $DestinationPath
    $destination = (Resolve-Path -LiteralPath $DestinationPath).ProviderPath
    $version = (Import-PowerShellDataFile -LiteralPath $stagedManifest).ModuleVersion
    $package = Join-Path $destination "$name.$version.nupkg"
    Remove-Item -LiteralPath $package -Force -ErrorAction Ignore
    Compress-PSResource -Path $stagedModule -DestinationPath $destination
    if (-not (Test-Path -LiteralPath $package)) {
        throw "Compress-PSResource wrote no $package."
    }
    $package
}
finally {
    Remove-Item -LiteralPath $staging -Recurse -Force -ErrorAction Ignore
}
