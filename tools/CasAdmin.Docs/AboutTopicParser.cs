namespace CasAdmin.Docs;

/// <summary>
/// Parses an about topic page (<c>about_&lt;Name&gt;.md</c>): a <c># about_Name</c> title, then <c>##</c> sections of
/// which <c>SHORT DESCRIPTION</c> (one paragraph) and <c>LONG DESCRIPTION</c> come first; <c>###</c> and
/// <c>####</c> headings make subsections.
/// </summary>
public static class AboutTopicParser
{
    /// <summary>Reads and parses a page; throws <see cref="HelpFormatException"/> listing every problem.</summary>
    public static AboutTopic Load(string path) => Parse(path, File.ReadAllText(path));

    /// <summary>Parses page text; <paramref name="path"/> names it in messages and must end in <c>about_&lt;Name&gt;.md</c>.</summary>
    public static AboutTopic Parse(string path, string text)
    {
        var issues = new List<HelpIssue>();
        var topic = Parse(path, text, issues);
        if (issues.Count > 0 || topic is null)
        {
            throw new HelpFormatException(issues);
        }

        return topic;
    }

    internal static AboutTopic? Parse(string path, string text, List<HelpIssue> issues)
    {
        var md = new MarkdownPage(path, text, issues);
        md.ReadFrontMatter(required: false);
        var expected = Path.GetFileNameWithoutExtension(path);
        var titles = md.Headings.Where(h => h.Level == 1).ToList();
        if (titles.Count != 1)
        {
            md.Error(titles.Count == 0 ? md.BodyStart + 1 : titles[1].Line, $"An about topic has exactly one '# {expected}' title.");
            return null;
        }

        if (!string.Equals(titles[0].Text, expected, StringComparison.Ordinal))
        {
            md.Error(titles[0].Line, $"The title '# {titles[0].Text}' must equal the file name '{expected}'.");
        }

        var stray = md.ReadBlocks(titles[0].Index + 1, md.Headings.FirstOrDefault(h => h.Level >= 2)?.Index ?? md.LineCount);
        if (stray.Count > 0)
        {
            md.Error(stray[0].Line, "Text between the title and '## SHORT DESCRIPTION' is not allowed.");
        }

        var sections = new List<AboutSection>();
        foreach (var h in md.Headings.Where(h => h.Level >= 2))
        {
            if (h.Level > 4)
            {
                md.Error(h.Line, "Headings deeper than '####' are not supported in about topics.");
                continue;
            }

            var next = md.Headings.FirstOrDefault(x => x.Index > h.Index)?.Index ?? md.LineCount;
            sections.Add(new AboutSection(h.Level, h.Text, md.ReadBlocks(h.Index + 1, next)));
        }

        var top = sections.Where(s => s.Level == 2).Select(s => s.Title).ToList();
        if (top.Count < 2 || top[0] != "SHORT DESCRIPTION" || top[1] != "LONG DESCRIPTION")
        {
            md.Error(titles[0].Line, "An about topic starts with '## SHORT DESCRIPTION' then '## LONG DESCRIPTION'.");
        }
        else if (sections[0].Blocks.Count != 1 || sections[0].Blocks[0].Kind != MarkdownBlockKind.Paragraph)
        {
            md.Error(md.Headings.First(h => h.Level == 2).Line, "SHORT DESCRIPTION must be exactly one paragraph.");
        }

        foreach (var dup in top.GroupBy(t => t, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            md.Error(0, $"Section '## {dup.Key}' appears twice.");
        }

        return new AboutTopic(titles[0].Text, path, sections);
    }
}
