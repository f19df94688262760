namespace CasAdmin.Docs;

/// <summary>Loads a docs folder (<c>docs/en-US</c>): every <c>&lt;Verb-Noun&gt;.md</c> and <c>about_*.md</c>.</summary>
public static class HelpDocs
{
    /// <summary>
    /// Parses every page of <paramref name="directory"/>; throws <see cref="HelpFormatException"/> with every
    /// problem of every page, or when the cmdlet pages disagree on the module or the external help file.
    /// </summary>
    public static HelpSet Load(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new HelpFormatException(directory, 0, "The docs folder does not exist.");
        }

        var issues = new List<HelpIssue>();
        var commands = new List<CommandHelp>();
        var abouts = new List<AboutTopic>();
        var files = Directory.EnumerateFiles(directory, "*.md", SearchOption.TopDirectoryOnly)
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (var file in files)
        {
            var name = Path.GetFileNameWithoutExtension(file);
            var text = File.ReadAllText(file);
            if (name.StartsWith("about_", StringComparison.OrdinalIgnoreCase))
            {
                var topic = AboutTopicParser.Parse(file, text, issues);
                if (topic is not null)
                {
                    abouts.Add(topic);
                }
            }
            else if (name.Contains('-', StringComparison.Ordinal))
            {
                var command = CommandHelpParser.Parse(file, text, issues);
                if (command is not null)
                {
                    commands.Add(command);
                }
            }
            else
            {
                issues.Add(new HelpIssue(file, 0, "A help page is named '<Verb-Noun>.md' or 'about_<Topic>.md'."));
            }
        }

        foreach (var key in new[] { "external help file", "Module Name" })
        {
            var values = commands.Select(c => c.Metadata.GetValueOrDefault(key, string.Empty)).Distinct(StringComparer.Ordinal).ToList();
            if (values.Count > 1)
            {
                issues.Add(new HelpIssue(directory, 0, $"The pages disagree on '{key}': {string.Join(", ", values)}."));
            }
        }

        if (issues.Count > 0)
        {
            throw new HelpFormatException(issues);
        }

        return new HelpSet(
            commands.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ToList(),
            abouts.OrderBy(a => a.Name, StringComparer.OrdinalIgnoreCase).ToList());
    }
}
