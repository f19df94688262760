using System.Text;
using CasAdmin.Docs;

// CasAdmin.HelpBuilder — build-time tool (see build/Module.targets).
//   help  --docs <docs/en-US> --out <dir>        MAML + about_*.help.txt from platyPS markdown
//   check --docs <docs/en-US>                    parse and validate only
// Exit codes: 0 done, 1 malformed input (each problem printed as "file(line): error CASHELP: …"), 2 usage.
try
{
    return Run(args);
}
catch (HelpFormatException ex)
{
    foreach (var issue in ex.Issues)
    {
        Console.Error.WriteLine(issue);
    }

    Console.Error.WriteLine($"error CASHELP: {ex.Issues.Count} problem(s) in the help pages; no help was written.");
    return 1;
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error CASHELP: {ex.Message}");
    return 1;
}

static int Run(string[] args)
{
    if (args.Length == 0)
    {
        return Usage();
    }

    var options = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 1; i < args.Length; i += 2)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
        {
            return Usage();
        }

        options[args[i][2..]] = args[i + 1];
    }

    switch (args[0])
    {
        case "help" when options.ContainsKey("docs") && options.ContainsKey("out"):
            WriteHelp(HelpDocs.Load(options["docs"]), options["out"]);
            return 0;
        case "check" when options.ContainsKey("docs"):
            var set = HelpDocs.Load(options["docs"]);
            Console.WriteLine($"{set.Commands.Count} cmdlet page(s) and {set.AboutTopics.Count} about topic(s) are well formed.");
            return 0;
        default:
            return Usage();
    }
}

static void WriteHelp(HelpSet set, string outDir)
{
    if (set.Commands.Count == 0)
    {
        throw new HelpFormatException("docs", 0, "No cmdlet page was found.");
    }

    Directory.CreateDirectory(outDir);
    var utf8 = new UTF8Encoding(false);
    var helpFile = set.Commands[0].Metadata["external help file"];
    File.WriteAllText(Path.Combine(outDir, helpFile), MamlWriter.Render(set.Commands), utf8);
    foreach (var topic in set.AboutTopics)
    {
        File.WriteAllText(Path.Combine(outDir, topic.Name + ".help.txt"), AboutTextWriter.Render(topic), utf8);
    }

    Console.WriteLine($"Help: {set.Commands.Count} cmdlet(s) -> {helpFile}; {set.AboutTopics.Count} about topic(s).");
}

static int Usage()
{
    Console.Error.WriteLine("""
        usage: CasAdmin.HelpBuilder help  --docs <docs/en-US> --out <dir>
               CasAdmin.HelpBuilder check --docs <docs/en-US>
        """);
    return 2;
}
