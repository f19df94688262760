using System.Reflection;
using CasAdmin.Docs;
using CasAdmin.Module.Tests.Infrastructure;

namespace CasAdmin.Module.Tests;

/// <summary>
/// The help pages (docs/en-US, platyPS markdown) against the compiled cmdlets: a page that parses can still
/// describe parameter sets, positions or pipeline binding that the cmdlet does not have.
/// </summary>
public sealed class HelpContractTests(ModuleMetadata module) : IClassFixture<ModuleMetadata>
{
    private static readonly string[] ShouldProcessParameters = ["Confirm", "WhatIf"];

    [Fact]
    public void EveryCompiledCmdlet_IsCheckedHere()
    {
        var listed = ((IEnumerable<object[]>)CmdletContractTests.ExpectedCmdlets).Select(row => (string)row[0]).Order(StringComparer.Ordinal);
        Assert.Equal(module.Cmdlets.Select(c => c.Name).Order(StringComparer.Ordinal), listed);
    }

    [Theory]
    [MemberData(nameof(CmdletContractTests.ExpectedCmdlets), MemberType = typeof(CmdletContractTests))]
    public void HelpPage_SyntaxSets_MatchTheCmdlet(string name)
    {
        var (cmdlet, help) = Load(name);
        var compiled = cmdlet.ParameterSets.Order(StringComparer.OrdinalIgnoreCase).ToArray();
        Assert.Equal(compiled, help.Syntax.Select(s => s.ParameterSetName).Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
        if (compiled.Length > 1)
        {
            Assert.Equal(cmdlet.DefaultParameterSetName, help.DefaultParameterSet, StringComparer.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [MemberData(nameof(CmdletContractTests.ExpectedCmdlets), MemberType = typeof(CmdletContractTests))]
    public void HelpPage_DocumentsExactlyTheParameters_WithWhatIfAndConfirmWhenSupported(string name)
    {
        var (cmdlet, help) = Load(name);
        var expected = cmdlet.Parameters.Select(p => p.Name)
            .Concat(cmdlet.SupportsShouldProcess ? ShouldProcessParameters : [])
            .Order(StringComparer.OrdinalIgnoreCase);
        Assert.Equal(expected, help.Parameters.Select(p => p.Name).Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
        Assert.True(help.SupportsCommonParameters);
    }

    [Theory]
    [MemberData(nameof(CmdletContractTests.ExpectedCmdlets), MemberType = typeof(CmdletContractTests))]
    public void HelpPage_RequiredPositionAndPipeline_MatchTheCmdlet_PerSet(string name)
    {
        var (cmdlet, help) = Load(name);
        var problems = new List<string>();
        foreach (var set in cmdlet.ParameterSets)
        {
            var docSet = set == ModuleMetadata.AllParameterSets ? CommandHelpParser.AllParameterSets : set;
            foreach (var (parameter, declaration) in cmdlet.InSet(set))
            {
                var usage = help.FindParameter(parameter.Name)?.UsageFor(docSet);
                if (usage is null)
                {
                    problems.Add($"-{parameter.Name} is in set '{set}' but its help does not say so.");
                    continue;
                }

                var pipeline = (declaration.ValueFromPipeline ? PipelineInput.ByValue : PipelineInput.None)
                    | (declaration.ValueFromPipelineByPropertyName ? PipelineInput.ByPropertyName : PipelineInput.None);
                int? position = declaration.IsPositional ? declaration.Position : null;
                if (usage.Required != declaration.Mandatory || usage.Position != position || usage.PipelineInput != pipeline)
                {
                    problems.Add($"-{parameter.Name} in '{set}': help says Required={usage.Required}, Position={usage.Position?.ToString() ?? "Named"}, " +
                        $"pipeline={usage.PipelineInputText}; the cmdlet has Required={declaration.Mandatory}, Position={position?.ToString() ?? "Named"}, pipeline={pipeline}.");
                }
            }
        }

        Assert.Empty(problems);
    }

    [Theory]
    [MemberData(nameof(CmdletContractTests.ExpectedCmdlets), MemberType = typeof(CmdletContractTests))]
    public void HelpPage_ListsTheParameterAliases(string name)
    {
        var (cmdlet, help) = Load(name);
        foreach (var parameter in cmdlet.Parameters)
        {
            var aliases = parameter.Property.GetCustomAttributesData()
                .Where(a => a.AttributeType.FullName == "System.Management.Automation.AliasAttribute")
                .SelectMany(a => a.ConstructorArguments)
                .SelectMany(arg => arg.Value is System.Collections.ObjectModel.ReadOnlyCollection<CustomAttributeTypedArgument> items ? items.Select(i => (string)i.Value!) : [(string)arg.Value!])
                .Order(StringComparer.OrdinalIgnoreCase);
            Assert.Equal(aliases, help.FindParameter(parameter.Name)!.Aliases.Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [MemberData(nameof(CmdletContractTests.ExpectedCmdlets), MemberType = typeof(CmdletContractTests))]
    public void HelpPage_HasTwoExamples_AndNamesItsOutputType(string name)
    {
        var (cmdlet, help) = Load(name);
        Assert.True(help.Examples.Count >= 2, $"{name} has {help.Examples.Count} example(s); give at least an interactive one and a runbook or bulk one.");
        var outputs = help.Outputs.Select(o => o.TypeName).ToArray();
        foreach (var type in cmdlet.OutputTypes)
        {
            Assert.Contains(type, outputs);
        }
    }

    [Fact]
    public void AboutCasAdmin_Troubleshooting_ExplainsEveryErrorId()
    {
        var ids = module.PublicType("CasAdmin.Engine.Errors.ErrorIds")
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToArray();
        var text = File.ReadAllText(Path.Combine(ModuleLayout.RepoRoot, "docs", "en-US", "about_CasAdmin.md"));
        var troubleshooting = text[text.IndexOf("## TROUBLESHOOTING NOTE", StringComparison.Ordinal)..];
        Assert.NotEmpty(ids);
        var missing = ids.Where(id => !troubleshooting.Contains("- " + id + ":", StringComparison.Ordinal)).ToArray();
        Assert.Empty(missing);
    }

    private (ModuleMetadata.CmdletModel Cmdlet, CommandHelp Help) Load(string name) =>
        (module.Cmdlets.Single(c => c.Name == name), CommandHelpParser.Load(Path.Combine(ModuleLayout.RepoRoot, "docs", "en-US", name + ".md")));
}
