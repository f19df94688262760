#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: the Gallery package, made by PSResourceGet (build/New-GalleryPackage.ps1, what build.ps1 -Task Package
    and CI run) from the built module folder; then installed by name from a local file repository into an empty
    module path, and imported and used in a fresh pwsh, as an administrator would after Install-PSResource CasAdmin.
#>

BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $props = [xml](Get-Content -Raw -LiteralPath (Join-Path $repo 'Directory.Build.props'))
    $version = @($props.Project.PropertyGroup | ForEach-Object { $_.CasAdminVersion } | Where-Object { $_ })[0]
    $moduleDir = Join-Path $repo "out/CasAdmin/$version"
    $manifest = Join-Path $moduleDir 'CasAdmin.psd1'
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "The module is not built: $manifest is missing. Run 'dotnet build CasAdmin.sln -c Release' first."
    }
    $newPackage = Join-Path $repo 'build/New-GalleryPackage.ps1'

    # A child pwsh: as a .NET tool pwsh runs inside dotnet, so the child is "dotnet <PSHOME>/pwsh.dll".
    $pwsh = if ([System.IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') {
        @([Environment]::ProcessPath, (Join-Path $PSHOME 'pwsh.dll'))
    }
    else {
        @([Environment]::ProcessPath)
    }

    function Read-PackageEntry([string] $Package, [string] $Name) {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Package)
        try {
            $entry = $zip.GetEntry($Name)
            if (-not $entry) { throw "$Package has no $Name." }
            $reader = [System.IO.StreamReader]::new($entry.Open())
            try { $reader.ReadToEnd() } finally { $reader.Dispose() }
        }
        finally {
            $zip.Dispose()
        }
    }

    function Get-PackageEntryName([string] $Package) {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Package)
        try { @($zip.Entries | ForEach-Object { [uri]::UnescapeDataString($_.FullName) }) } finally { $zip.Dispose() }
    }

    # The packaged manifest, read the way PowerShell reads it.
    function Read-PackagedManifest([string] $Package) {
        $file = Join-Path $TestDrive "manifest-$([guid]::NewGuid().ToString('N')).psd1"
        Set-Content -LiteralPath $file -Value (Read-PackageEntry $Package 'CasAdmin.psd1') -NoNewline
        Import-PowerShellDataFile -LiteralPath $file
    }

    # A data file's hashtables with their keys sorted, as JSON: two manifests compare equal when their data does.
    function ConvertTo-SortedJson($Data) {
        function Sort-Keys($Value) {
            if ($Value -is [System.Collections.IDictionary]) {
                $sorted = [ordered]@{}
                foreach ($key in $Value.Keys | Sort-Object) { $sorted[$key] = Sort-Keys $Value[$key] }
                return $sorted
            }
            , $Value
        }
        Sort-Keys $Data | ConvertTo-Json -Depth 6
    }

    $plainDir = Join-Path $TestDrive 'plain'
    $plain = & $newPackage -ModulePath $moduleDir -DestinationPath $plainDir
    $releaseDir = Join-Path $TestDrive 'release'
    $projectUri = 'https://example.org/casadmin'
    $licenseUri = 'https://example.org/casadmin/license'
    $release = & $newPackage -ModulePath $moduleDir -DestinationPath $releaseDir -ProjectUri $projectUri -LicenseUri $licenseUri
}

Describe 'The built module manifest' {
    It 'passes Test-ModuleManifest' {
        $info = Test-ModuleManifest -Path $manifest -ErrorAction Stop
        $info.Name | Should -Be 'CasAdmin'
        $info.Version | Should -Be ([version]$version)
        @($info.ExportedCmdlets.Keys | Sort-Object) | Should -Be @((Import-PowerShellDataFile -LiteralPath $manifest).CmdletsToExport | Sort-Object)
    }
}

Describe 'The Gallery package (Compress-PSResource)' {
    It 'is out/CasAdmin.<version>.nupkg' {
        $plain | Should -Be (Join-Path $plainDir "CasAdmin.$version.nupkg")
        $plain | Should -Exist
    }

    It 'holds every file of the module folder' {
        $entries = Get-PackageEntryName $plain
        $files = Get-ChildItem -LiteralPath $moduleDir -Recurse -File |
            ForEach-Object { [System.IO.Path]::GetRelativePath($moduleDir, $_.FullName).Replace('\', '/') }
        $files.Count | Should -BeGreaterThan 10
        $files | Where-Object { $_ -notin $entries } | Should -BeNullOrEmpty
    }

    It 'has a nuspec made from the manifest' {
        $nuspec = [xml](Read-PackageEntry $plain 'CasAdmin.nuspec')
        $data = Import-PowerShellDataFile -LiteralPath $manifest
        $nuspec.package.metadata.id | Should -Be 'CasAdmin'
        $nuspec.package.metadata.version | Should -Be $version
        $nuspec.package.metadata.authors | Should -Be $data.Author
        $nuspec.package.metadata.description | Should -Be $data.Description
        $nuspec.package.metadata.releaseNotes | Should -BeLike '*Remove-CasServiceAccount*'
        $tags = $nuspec.package.metadata.tags -split ' '
        $tags | Should -Contain 'PSModule'
        foreach ($tag in $data.PrivateData.PSData.Tags) {
            $tags | Should -Contain $tag
        }
    }

    It 'names no project or license when none is given' {
        $nuspec = [xml](Read-PackageEntry $plain 'CasAdmin.nuspec')
        $nuspec.package.metadata.projectUrl | Should -BeNullOrEmpty
        $nuspec.package.metadata.licenseUrl | Should -BeNullOrEmpty
        (Read-PackageEntry $plain 'CasAdmin.psd1') | Should -Be (Get-Content -Raw -LiteralPath $manifest)
    }

    It 'writes the given addresses into the nuspec and the packaged manifest, and nothing else changes' {
        $nuspec = [xml](Read-PackageEntry $release 'CasAdmin.nuspec')
        $nuspec.package.metadata.projectUrl | Should -Be $projectUri
        $nuspec.package.metadata.licenseUrl | Should -Be $licenseUri

        $packaged = Read-PackagedManifest $release
        $packaged.PrivateData.PSData.ProjectUri | Should -Be $projectUri
        $packaged.PrivateData.PSData.LicenseUri | Should -Be $licenseUri
        $built = Import-PowerShellDataFile -LiteralPath $manifest
        $packaged.PrivateData.PSData.Remove('ProjectUri')
        $packaged.PrivateData.PSData.Remove('LicenseUri')
        ConvertTo-SortedJson $packaged | Should -Be (ConvertTo-SortedJson $built)
        $packaged.Keys | Should -Contain 'VariablesToExport'

        Get-Content -Raw -LiteralPath $manifest | Should -Not -Match 'ProjectUri|LicenseUri'
    }

    It 'refuses <_>, and writes no package' -ForEach @('http://example.org/casadmin', 'file:///tmp/license.txt') {
        $dir = Join-Path $TestDrive "refused-$([guid]::NewGuid().ToString('N'))"
        { & $newPackage -ModulePath $moduleDir -DestinationPath $dir -LicenseUri $_ } | Should -Throw '*https://*'
        Join-Path $dir "CasAdmin.$version.nupkg" | Should -Not -Exist
    }
}

Describe 'Installed by name with PSResourceGet' {
    BeforeAll {
        # A local file repository holding only this package; a unique name, unregistered afterwards, since
        # PSResourceGet keeps repositories in the user's settings.
        $feed = Join-Path $TestDrive 'feed'
        $null = New-Item -ItemType Directory -Path $feed
        Copy-Item -LiteralPath $plain -Destination $feed
        $repositoryName = "CasAdminTest$PID$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        Register-PSResourceRepository -Name $repositoryName -Uri $feed -Trusted
        $modules = Join-Path $TestDrive 'Modules'
        $null = New-Item -ItemType Directory -Path $modules
        Save-PSResource -Name CasAdmin -Repository $repositoryName -Path $modules -TrustRepository -ErrorAction Stop
        $installed = Join-Path $modules "CasAdmin/$version/CasAdmin.psd1"
    }

    AfterAll {
        Unregister-PSResourceRepository -Name $repositoryName -ErrorAction SilentlyContinue
    }

    It 'finds CasAdmin <version> by name in the repository' {
        $found = Find-PSResource -Name CasAdmin -Repository $repositoryName
        $found.Name | Should -Be 'CasAdmin'
        $found.Version | Should -Be ([version]$version)
    }

    It 'installs into <Modules>/CasAdmin/<version>, with a manifest that passes Test-ModuleManifest' {
        $installed | Should -Exist
        $info = Test-ModuleManifest -Path $installed -ErrorAction Stop
        $info.Version | Should -Be ([version]$version)
        Join-Path $modules "CasAdmin/$version/en-US/CasAdmin.dll-Help.xml" | Should -Exist
        # The package's own files (nuspec, OPC parts) stay out of the module folder.
        Join-Path $modules "CasAdmin/$version/[Content_Types].xml" | Should -Not -Exist
    }

    It 'imports by name in a fresh pwsh, again with -Force, removes, and runs against the sandbox' {
        $script = @'
param($StorePath)
$ErrorActionPreference = 'Stop'
Import-Module CasAdmin
$base = (Get-Module CasAdmin).ModuleBase
Import-Module CasAdmin -Force
Remove-Module CasAdmin
$removed = @(Get-Module CasAdmin).Count
Import-Module CasAdmin
$sandbox, $connections = Start-CasSandbox -Connect -StorePath $StorePath -TimeoutSeconds 180 -Confirm:$false
try {
    [pscustomobject]@{
        ModuleBase  = $base
        Removed     = $removed
        Connected   = @(Get-CasConnection).Count
        Tenants     = @($sandbox.Tenants).Count
        Accounts    = @(Find-CasServiceAccount).Count
        Synopsis    = (Get-Help Find-CasServiceAccount).Synopsis
    } | ConvertTo-Json -Compress
}
finally {
    $sandbox | Stop-CasSandbox -Confirm:$false
}
'@
        $file = Join-Path $TestDrive 'installed.ps1'
        Set-Content -LiteralPath $file -Value $script
        $saved = $env:PSModulePath
        try {
            # Only the installed copy (pwsh adds its own $PSHOME/Modules): the import must find it by name.
            $env:PSModulePath = $modules
            $output = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File $file -StorePath (Join-Path $TestDrive 'store.db') 2>&1
        }
        finally {
            $env:PSModulePath = $saved
        }
        $LASTEXITCODE | Should -Be 0 -Because ($output -join [Environment]::NewLine)
        $result = ($output | Select-Object -Last 1) | ConvertFrom-Json

        $result.ModuleBase | Should -Be (Join-Path $modules "CasAdmin/$version")
        $result.Removed | Should -Be 0
        $result.Connected | Should -BeGreaterThan 0
        $result.Connected | Should -Be $result.Tenants
        $result.Accounts | Should -BeGreaterThan 0
        $result.Synopsis | Should -Not -BeNullOrEmpty
    }
}
