using System.Text.RegularExpressions;

namespace CasAdmin.Engine.Tests.Deprovisioning;

/// <summary>
/// Who owns what, read from the sources: the Store owns the removal jobs' SQL, the Store depends on no type of the
/// Deprovisioning folder (no loop between the two), and the runner knows no test's crash.
/// </summary>
public sealed partial class OwnershipGuardTests
{
    private static readonly string Engine = Path.Combine(RepoRoot(), "src", "CasAdmin.Engine");

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CasAdmin.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("CasAdmin.sln was not found above " + AppContext.BaseDirectory);
    }

    private static IEnumerable<(string File, string Text)> Sources(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Engine, folder), "*.cs", SearchOption.AllDirectories).Select(f => (Path.GetFileName(f), File.ReadAllText(f)));

    [Fact]
    public void TheDeprovisioningFolder_WritesNoSql_TheStoreDoes()
    {
        var offenders = Sources("Deprovisioning")
            .SelectMany(s => Sql().Matches(s.Text).Select(m => $"{s.File}: {m.Value}"))
            .ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void TheStore_UsesNoTypeOfTheDeprovisioningFolder()
    {
        var declared = Sources("Deprovisioning")
            .SelectMany(s => Declaration().Matches(s.Text).Select(m => m.Groups["name"].Value))
            .ToHashSet(StringComparer.Ordinal);
        Assert.Contains("RemovalRunner", declared);

        var uses = Sources("Store")
            .SelectMany(s => Word().Matches(s.Text).Select(m => m.Value).Where(declared.Contains).Distinct().Select(name => $"{s.File}: {name}"))
            .ToList();

        Assert.Empty(uses);
    }

    [Fact]
    public void ProductionCode_KnowsNoSimulatedCrash()
    {
        var offenders = Directory.EnumerateFiles(Engine, "*.cs", SearchOption.AllDirectories)
            .Where(f => File.ReadAllText(f).Contains("SimulatedCrash", StringComparison.Ordinal))
            .Select(Path.GetFileName)
            .ToList();

        Assert.Empty(offenders);
    }

    // Statements as the engine writes them, and the ADO.NET types that carry them.
    [GeneratedRegex(@"\b(SELECT\s+[\w*]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|DbConnection|DbTransaction)\b")]
    private static partial Regex Sql();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+(?<name>[A-Z]\w*)")]
    private static partial Regex Declaration();

    [GeneratedRegex(@"\b[A-Z]\w*\b")]
    private static partial Regex Word();
}
