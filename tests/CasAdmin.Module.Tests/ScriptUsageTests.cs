using System.Text.RegularExpressions;
using CasAdmin.Module.Tests.Infrastructure;

namespace CasAdmin.Module.Tests;

/// <summary>
/// The samples, the Pester tests, the help examples and the README call CasAdmin's cmdlets with parameters the
/// cmdlets have. PowerShell cannot run here, so this is what keeps a renamed parameter from silently breaking them.
/// </summary>
public sealed partial class ScriptUsageTests(ModuleMetadata module) : IClassFixture<ModuleMetadata>
{
    private static readonly string[] CommonParameters =
    [
        "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable", "WarningVariable",
        "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable",
    ];

    public static TheoryData<string> Scripts()
    {
        var root = ModuleLayout.RepoRoot;
        var data = new TheoryData<string>();
        foreach (var folder in new[] { "samples", Path.Combine("tests", "pester"), Path.Combine("docs", "en-US") })
        {
            var path = Path.Combine(root, folder);
            var files = Directory.Exists(path) ? Directory.GetFiles(path) : [];
            foreach (var file in files.Where(f => f.EndsWith(".ps1", StringComparison.Ordinal) || f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(root, file));
            }
        }

        data.Add("README.md");
        return data;
    }

    [Fact]
    public void TheSamples_AreThere()
    {
        foreach (var sample in new[] { "Walkthrough.ps1", "Runbook-BulkDeprovision.ps1", "Remove-CasTenantsBulk.ps1" })
        {
            Assert.True(File.Exists(Path.Combine(ModuleLayout.RepoRoot, "samples", sample)), $"samples/{sample} is missing.");
        }
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_CallsOnlyCasAdminCmdlets_WithTheirParameters(string relativePath)
    {
        var text = File.ReadAllText(Path.Combine(ModuleLayout.RepoRoot, relativePath));
        var cmdlets = module.Cmdlets.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();

        // Every Verb-CasNoun anywhere in the file (not a script's file name) must be a cmdlet of the module.
        foreach (Match m in CmdletName().Matches(text))
        {
            if (!cmdlets.ContainsKey(m.Value))
            {
                problems.Add($"{m.Value} is not a CasAdmin cmdlet");
            }
        }

        // Parameters: in scripts, and in the powershell code fences of markdown.
        var code = relativePath.EndsWith(".md", StringComparison.Ordinal)
            ? string.Join('\n', PowerShellFence().Matches(text).Select(f => f.Groups["code"].Value))
            : text;
        foreach (var line in LogicalLines(code))
        {
            var plain = QuotedString().Replace(line, "''");
            foreach (Match call in CmdletName().Matches(plain))
            {
                if (!cmdlets.TryGetValue(call.Value, out var cmdlet))
                {
                    continue;
                }

                var rest = plain[(call.Index + call.Length)..];
                var end = rest.IndexOfAny(['|', ';', '(', ')', '}', '{']);
                var arguments = end < 0 ? rest : rest[..end];
                var known = cmdlet.Parameters.Select(p => p.Name).Concat(CommonParameters)
                    .Concat(cmdlet.SupportsShouldProcess ? ["WhatIf", "Confirm"] : [])
                    .ToHashSet(StringComparer.OrdinalIgnoreCase);
                foreach (Match parameter in ParameterToken().Matches(arguments))
                {
                    var name = parameter.Groups["name"].Value;
                    if (!known.Contains(name))
                    {
                        problems.Add($"{cmdlet.Name} has no -{name}: {line.Trim()}");
                    }
                }
            }
        }

        Assert.Empty(problems);
    }

    /// <summary>Lines with backtick continuations joined, comments dropped.</summary>
    private static IEnumerable<string> LogicalLines(string code)
    {
        var current = string.Empty;
        foreach (var raw in code.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.TrimStart().StartsWith('#') ? string.Empty : raw;
            if (line.TrimEnd().EndsWith('`'))
            {
                current += line.TrimEnd()[..^1] + " ";
                continue;
            }

            yield return current + line;
            current = string.Empty;
        }

        if (current.Length > 0)
        {
            yield return current;
        }
    }

    [GeneratedRegex(@"(?<![\w/.-])(?:[A-Z][a-z]+)-Cas[A-Z][A-Za-z]+\b(?!\.ps1)")]
    private static partial Regex CmdletName();

    [GeneratedRegex(@"```powershell\s*\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex PowerShellFence();

    [GeneratedRegex(@"'[^']*'|""[^""]*""")]
    private static partial Regex QuotedString();

    [GeneratedRegex(@"(?<=\s)-(?<name>[A-Za-z][A-Za-z0-9]*)(?=[:\s]|$)")]
    private static partial Regex ParameterToken();
}
