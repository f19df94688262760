using System.Text.RegularExpressions;

namespace CasAdmin.Engine.Tests.Unit;

/// <summary>
/// The house rules of the engine: the Store owns the SQL, and the folders use each other without loops, as
/// docs/architecture.md draws them. EngineSource says what counts as a use and as SQL.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Lazy<EngineSource> Engine = new(() => EngineSource.Load(EngineSource.FindEngineFolder()));

    [Fact]
    public void NoSqlText_OutsideTheStore()
    {
        var engine = Engine.Value;
        var found = engine.Files.Where(f => f.Folder != "Store")
            .SelectMany(f => f.Literals.Where(l => SqlText.IsSql(l.Text)).Select(l => $"  {f.RelativePath}:{l.Line}: {FirstLine(l.Text)}"))
            .Concat(Directory.EnumerateFiles(engine.EngineFolder, "*.sql", SearchOption.AllDirectories)
                .Select(p => Path.GetRelativePath(engine.EngineFolder, p).Replace('\\', '/'))
                .Where(p => !p.StartsWith("Store/", StringComparison.Ordinal) && !Regex.IsMatch(p, "^(bin|obj)/"))
                .Select(p => $"  {p}: an SQL file"))
            .ToList();

        Assert.True(found.Count == 0,
            $"{found.Count} SQL text(s) outside src/CasAdmin.Engine/Store/; move each into the Store repository named for what it does:\n{string.Join("\n", found)}");
    }

    [Fact]
    public void TheSqlCheck_SeesTheStoresSql()
    {
        // Without this, a lexer or pattern that found nothing would pass the rule above for the wrong reason.
        var store = Engine.Value.Files.Where(f => f.Folder == "Store").ToList();
        Assert.True(store.Sum(f => f.Literals.Count(l => SqlText.IsSql(l.Text))) >= 40);
        Assert.All(store.Where(f => f.RelativePath.EndsWith("Repository.cs", StringComparison.Ordinal)), f => Assert.Contains(f.Literals, l => SqlText.IsSql(l.Text)));
        Assert.Contains(store.SelectMany(f => f.Literals), l => l.Text == "DELETE FROM subscriptions WHERE subscription_id = $id" && SqlText.IsSql(l.Text));
    }

    /// <summary>
    /// The Store owns the transactions too: outside Store/ nothing names a connection or a transaction, or hands the
    /// store a lambda to run in one; a feature calls a repository method that is one whole read or write.
    /// </summary>
    [Fact]
    public void NoTransactionLambda_OutsideTheStore()
    {
        var transactions = new Regex(
            @"\bDb(?:Connection|Transaction)\b|\.(?:Read|Write|WriteOnce|WriteWindingDown)Async\s*(?:<[^<>()]*>)?\s*\(\s*(?:async\s+)?(?:\(\s*\w+\s*(?:,\s*\w+\s*)*\)|\w+)\s*=>");
        var engine = Engine.Value;
        var found = engine.Files.Where(f => f.Folder != "Store")
            .SelectMany(f => transactions.Matches(f.Code).Select(m => $"  {f.RelativePath}: {m.Value}"))
            .ToList();

        Assert.True(found.Count == 0,
            $"{found.Count} use(s) of a connection or transaction outside src/CasAdmin.Engine/Store/; give the Store a method named for what it records:\n{string.Join("\n", found)}");

        // Without this, a pattern that matched nothing would pass the rule above for the wrong reason.
        var store = engine.Files.Where(f => f.Folder == "Store").ToList();
        Assert.Contains(store, f => f.RelativePath == "Store/AccountRepository.cs" && transactions.Matches(f.Code).Count >= 3);
        Assert.Contains(store, f => f.RelativePath == "Store/SubscriptionRepository.cs" && transactions.IsMatch(f.Code));
    }

    [Theory]
    [InlineData("SELECT COUNT(*) FROM inventory_users WHERE account_id = $a", true)]
    [InlineData("select user_id from inventory_users where done = 0", true)]
    [InlineData("DELETE FROM subscriptions WHERE subscription_id = $id", true)]
    [InlineData("delete from subscriptions", true)]
    [InlineData("UPDATE inventory_runs SET status = 'Completed'", true)]
    [InlineData("INSERT INTO notifications (tenant_id) VALUES ($t)", true)]
    [InlineData("  WHERE account_id = $a", true)]
    [InlineData(" ON CONFLICT (account_id) DO NOTHING", true)]
    [InlineData("SELECT user_id FROM inventory_users WHERE account_id = $a AND done = 0 AND user_id > $after ORDER BY user_id LIMIT $limit", true)]
    [InlineData("ORDER BY created", true)]
    [InlineData("CREATE TABLE IF NOT EXISTS tenants (tenant_id TEXT)", true)]
    [InlineData("CREATE UNIQUE INDEX ix ON t (c)", true)]
    [InlineData("WITH due AS (SELECT 1)", true)]
    [InlineData("PRAGMA journal_mode = WAL", true)]
    [InlineData("Update the Teams Chat data", false)]
    [InlineData("Updating the Teams Chat data", false)]
    [InlineData("Select the app from the list, then update its settings.", false)]
    [InlineData("Delete the groups '{}' and '{}' in Entra ID > Groups.", false)]
    [InlineData("Get-TenantAllowBlockListSpoofItems -Identity Default | Where-Object SendingInfrastructure -like '*trendmicro*'", false)]
    [InlineData("Remove the old secret {} from app {}? Anything still using it stops working.", false)]
    [InlineData("startswith(displayName,'{}')", false)]
    [InlineData("The registry recorded the change although the write reported an error; the COMMITs were lost.", false)]
    public void SqlText_TellsSqlFromProse(string text, bool isSql) => Assert.Equal(isSql, SqlText.IsSql(text));

    [Fact]
    public void TheLexer_KeepsCode_AndTakesLiteralsOut()
    {
        var (code, literals) = CSharpLexer.Split(
            "var a = $\"x {Store.SecureStrings.Reveal(s)} and {string.Join(\", \", ids):u} {{not}}\"; // SELECT * FROM comment\n"
            + "var b = @\"say \"\"DELETE FROM t\"\"\"; /* UPDATE t SET c = 1 */ var c = '\"'; var d = '\\'';\n"
            + "var e = $$\"\"\"\n    SELECT {{Columns}} FROM {x} WHERE id = $id\n    \"\"\";\n");

        Assert.Contains("Store.SecureStrings.Reveal(s)", code, StringComparison.Ordinal);
        Assert.Contains("string.Join(", code, StringComparison.Ordinal);
        Assert.Contains("(Columns)", code, StringComparison.Ordinal);
        Assert.DoesNotContain("SELECT", code, StringComparison.Ordinal);
        Assert.DoesNotContain("DELETE", code, StringComparison.Ordinal);
        Assert.DoesNotContain("UPDATE", code, StringComparison.Ordinal);
        Assert.Contains("var d", code, StringComparison.Ordinal);
        // A literal inside an interpolation is recorded before the one around it.
        Assert.Equal(
            [", ", "x {} and {} {not}", "say \"DELETE FROM t\"", "\n    SELECT {} FROM {x} WHERE id = $id\n    "],
            literals.Select(l => l.Text));
        Assert.Equal([1, 1, 2, 3], literals.Select(l => l.Line));
    }

    [Fact]
    public void EveryEngineFile_IsInItsFoldersNamespace()
    {
        // The folder measure reads a folder as the namespace CasAdmin.Engine.Folder; a file elsewhere would hide its uses.
        var wrong = Engine.Value.Files
            .Where(f => f.Namespace is not null && f.Namespace != (f.Folder == EngineSource.Root ? "CasAdmin.Engine" : "CasAdmin.Engine." + f.Folder))
            .Select(f => $"  {f.RelativePath}: namespace {f.Namespace}")
            .ToList();
        Assert.True(wrong.Count == 0, "Files outside their folder's namespace:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void TheLoopCheck_NamesTheLoopsPath()
    {
        var edges = new Dictionary<string, IReadOnlyCollection<string>>
        {
            ["Store"] = ["Errors", "Deprovisioning"],
            ["Deprovisioning"] = ["Store", "Graph"],
            ["Graph"] = ["Connections"],
            ["Connections"] = ["Graph", "Errors"],
            ["Errors"] = [],
        };

        var loops = EngineSource.Loops(edges);

        Assert.Equal([["Connections", "Graph", "Connections"], ["Deprovisioning", "Store", "Deprovisioning"]], loops.OrderBy(l => l[0]));
        Assert.Empty(EngineSource.Loops(new Dictionary<string, IReadOnlyCollection<string>> { ["A"] = ["B"], ["B"] = ["C"], ["C"] = [] }));
    }

    /// <summary>
    /// The engine's folders use each other without a loop, and docs/architecture.md draws every folder and every use
    /// (a use it does not draw is a new dependency to decide on, not to slip in).
    /// </summary>
    [Fact]
    public void EngineFolders_FormNoLoop_AndTheArchitectureDocDrawsThem()
    {
        var engine = Engine.Value;
        var problems = new List<string>();
        foreach (var loop in EngineSource.Loops(engine.Edges(engine.FolderUses)))
        {
            problems.Add("Folder loop: " + string.Join(" -> ", loop));
            for (var i = 0; i + 1 < loop.Count; i++)
            {
                var why = engine.FolderUses[loop[i]][loop[i + 1]];
                problems.Add($"  {loop[i]} -> {loop[i + 1]}: {string.Join("; ", why.Take(4))}{(why.Count > 4 ? $"; and {why.Count - 4} more" : string.Empty)}");
            }
        }

        var doc = ArchitectureDoc.Read(Path.Combine(engine.EngineFolder, "..", "..", "docs", "architecture.md"));
        foreach (var folder in engine.Folders.Where(f => !doc.Nodes.Contains(f)))
        {
            problems.Add($"docs/architecture.md does not draw the engine folder {folder}.");
        }

        foreach (var folder in engine.Folders.Where(f => f != EngineSource.Root && !doc.Text.Contains($"`{f}/`", StringComparison.Ordinal)))
        {
            problems.Add($"docs/architecture.md does not say what the folder {folder}/ owns (a line naming `{folder}/`).");
        }

        foreach (var (from, targets) in engine.FolderUses)
        {
            foreach (var (to, why) in targets.Where(t => !doc.Edges.Contains((from, t.Key))))
            {
                problems.Add($"docs/architecture.md does not draw {from} --> {to} ({why.First()}).");
            }
        }

        foreach (var loop in EngineSource.Loops(doc.Edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => (IReadOnlyCollection<string>)g.Select(e => e.To).ToList())))
        {
            problems.Add("docs/architecture.md draws a loop: " + string.Join(" -> ", loop));
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static string FirstLine(string text)
    {
        var line = text.Trim().Split('\n')[0].Trim();
        return line.Length > 100 ? line[..100] + "…" : line;
    }

    /// <summary>The folder diagram of docs/architecture.md: the first mermaid block, its nodes and its arrows.</summary>
    private sealed record ArchitectureDoc(string Text, HashSet<string> Nodes, HashSet<(string From, string To)> Edges)
    {
        public static ArchitectureDoc Read(string path)
        {
            var text = File.ReadAllText(path);
            var block = Regex.Match(text, @"```mermaid\s*\n(.*?)```", RegexOptions.Singleline);
            Assert.True(block.Success, $"{path} has no ```mermaid block with the folder diagram.");
            var nodes = new HashSet<string>(StringComparer.Ordinal);
            var edges = new HashSet<(string, string)>();
            foreach (var line in block.Groups[1].Value.Split('\n').Select(l => l.Trim()))
            {
                if (Regex.Match(line, @"^(\w+)(?:\[[^\]]*\])?\s*-->\s*(.+)$") is { Success: true } arrow)
                {
                    var from = arrow.Groups[1].Value;
                    nodes.Add(from);
                    foreach (var to in arrow.Groups[2].Value.Split('&').Select(t => Regex.Match(t.Trim(), @"^\w+").Value))
                    {
                        nodes.Add(to);
                        edges.Add((from, to));
                    }
                }
                else if (Regex.Match(line, @"^(\w+)\[") is { Success: true } node)
                {
                    nodes.Add(node.Groups[1].Value);
                }
            }

            return new ArchitectureDoc(text, nodes, edges);
        }
    }
}
