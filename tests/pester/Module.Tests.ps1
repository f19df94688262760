#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: the module as PowerShell loads it. Import, Import -Force and Remove-Module in a fresh pwsh; PowerShell's
    real order (the exported types of CasAdmin.dll read before any resolver exists); help for every cmdlet and
    about_CasAdmin; and that the Pester suites call every exported cmdlet at least once.
#>

BeforeDiscovery {
    # The cmdlets the manifest exports (Connection.Tests checks that they equal the compiled ones); read without
    # importing the module, which discovery must not do.
    . $PSScriptRoot/TestHelpers.ps1
    $exported = @((Import-PowerShellDataFile -LiteralPath $Manifest).CmdletsToExport)
}

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    Import-TestModule
    $cmdlets = @((Get-Command -Module CasAdmin -CommandType Cmdlet).Name | Sort-Object)
    $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
}

AfterAll {
    Remove-Module CasAdmin -Force -ErrorAction SilentlyContinue
    Remove-Item -LiteralPath $TestRoot -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Loading the module in a fresh pwsh' {
    It 'imports the built folder, imports it again with -Force, and removes it' {
        $script = Join-Path $TestDrive 'import.ps1'
        Set-Content -LiteralPath $script -Value @'
param($Folder)
$ErrorActionPreference = 'Stop'
Import-Module $Folder
"first=$(@(Get-Command -Module CasAdmin).Count)"
Import-Module $Folder -Force
"force=$(@(Get-Command -Module CasAdmin).Count)"
"type=$([CasAdmin.Engine.Accounts.CasService]::Teams)"
Remove-Module CasAdmin
"removed=$(@(Get-Module CasAdmin).Count)"
'@
        # The module's folder (out/CasAdmin, holding <version>/), as an installed module's folder would be imported.
        $result = Invoke-TestPwsh -File $script -ArgumentList '-Folder', (Split-Path -Parent $ModuleFolder)
        $result.ExitCode | Should -Be 0 -Because ($result.Text + $result.Errors)
        $result.Output | Should -Contain "first=$($cmdlets.Count)"
        $result.Output | Should -Contain "force=$($cmdlets.Count)"
        $result.Output | Should -Contain 'type=Teams'
        $result.Output | Should -Contain 'removed=0'
    }

    It 'reads every exported type of CasAdmin.dll before any resolver exists, without loading CasAdmin.Engine' {
        # PowerShell's order for a binary module: RequiredAssemblies
        # (CasAdmin.Model), then the RootModule's exported types, and only then IModuleAssemblyInitializer.OnImport.
        $script = Join-Path $TestDrive 'order.ps1'
        Set-Content -LiteralPath $script -Value @'
param($Folder)
$ErrorActionPreference = 'Stop'
$null = [Reflection.Assembly]::LoadFrom((Join-Path $Folder 'CasAdmin.Model.dll'))
$types = [Reflection.Assembly]::LoadFrom((Join-Path $Folder 'CasAdmin.dll')).GetExportedTypes()
"types=$($types.Count)"
"cmdlets=$(@($types | Where-Object { -not $_.IsAbstract -and $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) }).Count)"
"engine=$(@([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'CasAdmin.Engine' }).Count)"
'@
        $result = Invoke-TestPwsh -File $script -ArgumentList '-Folder', $ModuleFolder
        $result.ExitCode | Should -Be 0 -Because ($result.Text + $result.Errors)
        $result.Output | Should -Contain "cmdlets=$($cmdlets.Count)"
        $result.Output | Should -Contain 'engine=0'
    }
}

Describe 'Help' {
    It 'has full help for <_>: synopsis, description, every parameter, an example' -ForEach $exported {
        $name = $_
        $help = Get-Help $name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis.Trim() | Should -Not -BeLike "$name *" -Because 'a synopsis, not the generated syntax line'
        ($help.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 1
        ($help.examples.example[0].code | Out-String) | Should -Match ([regex]::Escape($name))
        $documented = @($help.parameters.parameter | ForEach-Object Name)
        foreach ($parameter in (Get-Command $name).Parameters.Keys | Where-Object { $_ -notin $common }) {
            $documented | Should -Contain $parameter -Because "-$parameter of $name needs help"
            ($help.parameters.parameter | Where-Object Name -EQ $parameter).description | Out-String |
                ForEach-Object Trim | Should -Not -BeNullOrEmpty -Because "-$parameter of $name needs a description"
        }
    }

    It 'has about_CasAdmin' {
        $about = Get-Help about_CasAdmin | Out-String
        $about | Should -Match 'CasAdmin'
        $about.Length | Should -BeGreaterThan 500
        $about | Should -Match 'Start-CasSandbox'
    }
}

Describe 'Coverage of the Pester suites' {
    BeforeAll {
        # Command names in the test files and helpers, in the scripts they give to child pwsh processes, and in the
        # samples they run.
        $files = @(Get-ChildItem -LiteralPath $PSScriptRoot -Filter *.ps1) + @(Get-ChildItem -LiteralPath (Join-Path $RepoRoot 'samples') -Filter *.ps1)
        $invoked = foreach ($file in $files) {
            $ast = [System.Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref]$null, [ref]$null)
            # Here-strings only: the scripts of child processes. A one-line string (a TabExpansion2 input) is no call.
            $asts = @($ast) + @($ast.FindAll({ param($n) ($n -is [System.Management.Automation.Language.StringConstantExpressionAst] -or $n -is [System.Management.Automation.Language.ExpandableStringExpressionAst]) -and $n.StringConstantType -in 'SingleQuotedHereString', 'DoubleQuotedHereString' }, $true) |
                    ForEach-Object { [System.Management.Automation.Language.Parser]::ParseInput($_.Value, [ref]$null, [ref]$null) })
            foreach ($a in $asts) {
                $a.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true) | ForEach-Object { $_.GetCommandName() }
            }
        }
        $invoked = @($invoked | Sort-Object -Unique)
    }

    It 'calls every exported cmdlet somewhere: <_>' -ForEach $exported {
        $invoked | Should -Contain $_
    }
}
