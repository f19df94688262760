#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: what Get-Help shows for every cmdlet and about topic of the built module, compared with the committed
    text in tests/pester/help/<Name>.txt. The help is generated from docs/en-US by tools/CasAdmin.HelpBuilder; a change
    to the markdown parser or the MAML writer that changes one character of the rendered help fails here.

    After an intended change to docs/en-US: the failing test writes what it rendered to TestResults/help/<Name>.txt;
    review the difference and copy the file over tests/pester/help/<Name>.txt.
#>

BeforeDiscovery {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $cmdlets = @((Import-PowerShellDataFile -LiteralPath (Join-Path $repo 'CasAdmin.psd1')).CmdletsToExport)
}

BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $props = [xml](Get-Content -Raw -LiteralPath (Join-Path $repo 'Directory.Build.props'))
    $version = @($props.Project.PropertyGroup | ForEach-Object { $_.CasAdminVersion } | Where-Object { $_ })[0]
    $manifest = Join-Path $repo "out/CasAdmin/$version/CasAdmin.psd1"
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "The module is not built: $manifest is missing. Run 'dotnet build CasAdmin.sln -c Release' first."
    }
    Import-Module $manifest -Force -ErrorAction Stop
    $expectations = Join-Path $PSScriptRoot 'help'
    $rendered = Join-Path $repo 'TestResults/help'
    $maml = [xml](Get-Content -Raw -LiteralPath (Join-Path $repo "out/CasAdmin/$version/en-US/CasAdmin.dll-Help.xml"))
    $ns = [System.Xml.XmlNamespaceManager]::new($maml.NameTable)
    $ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
    $ns.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')

    # A fixed width and LF line ends, without trailing spaces: the text no longer depends on the console.
    function Get-RenderedHelp([string] $Name, [switch] $Full) {
        $text = if ($Full) { Get-Help $Name -Full | Out-String -Width 120 } else { Get-Help $Name | Out-String -Width 120 }
        (($text -replace "`r`n", "`n") -split "`n" | ForEach-Object TrimEnd) -join "`n"
    }

    # Code spans, bold and links of the markdown pages must reach Get-Help as plain text (issue 18): name the line.
    # Rendered without wrapping, so that no "](" or "**" hides across a line break.
    function Assert-NoMarkdown([string] $Name, [switch] $Full) {
        $text = Get-Help $Name -Full:$Full | Out-String -Width 4096
        $markdown = @($text -split "`r?`n" | Where-Object { $_.Contains('`') -or $_.Contains('**') -or $_.Contains('](') } | ForEach-Object Trim)
        $markdown | Should -BeNullOrEmpty -Because "Get-Help $Name shows text; markdown syntax (a backtick, ** or a link's '](') is left on these lines"
    }

    function Assert-RenderedAsCommitted([string] $Name, [string] $Text) {
        $file = Join-Path $expectations "$Name.txt"
        $expected = if (Test-Path -LiteralPath $file) { (Get-Content -Raw -LiteralPath $file) -replace "`r`n", "`n" } else { $null }
        if ($Text -cne $expected) {
            $null = New-Item -ItemType Directory -Force -Path $rendered
            [System.IO.File]::WriteAllText((Join-Path $rendered "$Name.txt"), $Text)
        }
        $expected | Should -Not -BeNullOrEmpty -Because "tests/pester/help/$Name.txt holds what Get-Help showed (see TestResults/help/$Name.txt)"
        $Text | Should -BeExactly $expected -Because "Get-Help $Name must render as tests/pester/help/$Name.txt (what it rendered is in TestResults/help/$Name.txt)"
    }
}

AfterAll {
    Remove-Module CasAdmin -ErrorAction SilentlyContinue
}

Describe 'Get-Help <_> -Full' -ForEach $cmdlets {
    BeforeAll {
        $name = $_
        $text = Get-RenderedHelp $name -Full
        $command = $maml.SelectSingleNode("//command:command[command:details/command:name='$name']", $ns)
    }

    It 'comes from the module''s MAML: synopsis, every parameter and every example' {
        $command | Should -Not -BeNullOrEmpty -Because "en-US/CasAdmin.dll-Help.xml documents $name"
        $synopsis = $command.SelectSingleNode('command:details/maml:description/maml:para', $ns).InnerText
        ($text -replace '\s+', ' ') | Should -BeLike "*$([WildcardPattern]::Escape(($synopsis -replace '\s+', ' ')))*"
        foreach ($parameter in $command.SelectNodes('command:parameters/command:parameter/maml:name', $ns)) {
            $text | Should -Match "(?m)^\s+-$($parameter.InnerText) "
        }
        $examples = $command.SelectNodes('command:examples/command:example', $ns).Count
        $examples | Should -BeGreaterThan 0
        ([regex]::Matches($text, '(?m)^\s*-+ Example \d+')).Count | Should -Be $examples
    }

    It 'renders exactly as tests/pester/help/<_>.txt' {
        Assert-RenderedAsCommitted $name $text
    }

    It 'shows text, not markdown: no backtick, no ** and no ](' {
        Assert-NoMarkdown $name -Full
    }
}

Describe 'Get-Help about_CasAdmin' {
    It 'renders exactly as tests/pester/help/about_CasAdmin.txt' {
        $text = Get-RenderedHelp about_CasAdmin
        $text | Should -BeLike '*about_casadmin*'
        Assert-RenderedAsCommitted 'about_CasAdmin' $text
    }

    It 'shows text, not markdown: no backtick, no ** and no ](' {
        Assert-NoMarkdown about_CasAdmin
    }
}
