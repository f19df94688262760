using System.Text;
using System.Text.RegularExpressions;

namespace CasAdmin.Docs;

/// <summary>
/// The small subset of markdown that platyPS pages use, read line by line: front matter, ATX headings
/// (never inside a code fence), fenced code blocks, paragraphs, list items and pipe tables.
/// </summary>
internal sealed partial class MarkdownReader
{
    private readonly List<HelpIssue> _issues;

    public MarkdownReader(string path, string text, List<HelpIssue> issues)
    {
        Path = path;
        _issues = issues;
        Lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');
        FindHeadings();
    }

    public string Path { get; }

    public string[] Lines { get; }

    /// <summary>Front matter keys and values (empty when the page has none).</summary>
    public Dictionary<string, string> FrontMatter { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Index of the first line after the front matter.</summary>
    public int BodyStart { get; private set; }

    /// <summary>Every heading outside code fences, in order.</summary>
    public List<Heading> Headings { get; } = [];

    public void Error(int line, string message) => _issues.Add(new HelpIssue(Path, line, message));

    /// <summary>Reads <c>---</c> … <c>---</c> at the top; reports a missing or unterminated block.</summary>
    public void ReadFrontMatter(bool required)
    {
        if (Lines.Length == 0 || Lines[0].Trim() != "---")
        {
            if (required)
            {
                Error(1, "The page must start with a front matter block ('---' line, 'key: value' lines, '---' line).");
            }

            return;
        }

        for (var i = 1; i < Lines.Length; i++)
        {
            var line = Lines[i];
            if (line.Trim() == "---")
            {
                BodyStart = i + 1;
                return;
            }

            if (line.Trim().Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                Error(i + 1, $"Front matter line '{line}' is not 'key: value'.");
                continue;
            }

            FrontMatter[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        Error(1, "The front matter block is not closed by a '---' line.");
        BodyStart = Lines.Length;
    }

    /// <summary>The headings of one level between two line indexes.</summary>
    public IEnumerable<Heading> HeadingsBetween(int level, int start, int end) =>
        Headings.Where(h => h.Level == level && h.Index >= start && h.Index < end);

    /// <summary>The line index where the content under a heading ends (next heading of the same or a higher level).</summary>
    public int EndOf(Heading heading, int limit)
    {
        foreach (var h in Headings)
        {
            if (h.Index > heading.Index && h.Level <= heading.Level)
            {
                return Math.Min(h.Index, limit);
            }
        }

        return limit;
    }

    /// <summary>Splits lines [start, end) into blocks; headings inside the range are reported as errors unless allowed.</summary>
    public List<MarkdownBlock> ReadBlocks(int start, int end)
    {
        var blocks = new List<MarkdownBlock>();
        var i = start;
        while (i < end)
        {
            var line = Lines[i];
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith("<!--", StringComparison.Ordinal))
            {
                i = SkipComment(i, end);
                continue;
            }

            if (IsFence(trimmed, out var fence))
            {
                var code = new List<string>();
                var first = i;
                i++;
                var closed = false;
                while (i < end)
                {
                    if (Lines[i].Trim() == fence)
                    {
                        closed = true;
                        i++;
                        break;
                    }

                    code.Add(Lines[i]);
                    i++;
                }

                if (!closed)
                {
                    Error(first + 1, "Code fence is not closed.");
                }

                blocks.Add(new MarkdownBlock(MarkdownBlockKind.Code, string.Join('\n', code), first + 1) { Language = trimmed[fence.Length..].Trim() });
                continue;
            }

            if (HeadingPattern().IsMatch(line))
            {
                Error(i + 1, $"Unexpected heading '{trimmed}' here.");
                i++;
                continue;
            }

            if (trimmed.StartsWith('|'))
            {
                var rows = new List<string>();
                var first = i;
                while (i < end && Lines[i].Trim().StartsWith('|'))
                {
                    rows.Add(Lines[i].Trim());
                    i++;
                }

                blocks.Add(new MarkdownBlock(MarkdownBlockKind.Table, string.Join('\n', rows), first + 1));
                continue;
            }

            if (ListItemPattern().IsMatch(line))
            {
                var first = i;
                var text = new StringBuilder(trimmed);
                i++;
                while (i < end && Lines[i].Length > 0 && char.IsWhiteSpace(Lines[i][0]) && Lines[i].Trim().Length > 0
                       && !ListItemPattern().IsMatch(Lines[i]) && !IsFence(Lines[i].Trim(), out _))
                {
                    text.Append(' ').Append(Lines[i].Trim());
                    i++;
                }

                blocks.Add(new MarkdownBlock(MarkdownBlockKind.ListItem, text.ToString(), first + 1));
                continue;
            }

            {
                var first = i;
                var text = new StringBuilder();
                while (i < end)
                {
                    var t = Lines[i].Trim();
                    if (t.Length == 0 || IsFence(t, out _) || t.StartsWith('|') || ListItemPattern().IsMatch(Lines[i])
                        || HeadingPattern().IsMatch(Lines[i]))
                    {
                        break;
                    }

                    if (text.Length > 0)
                    {
                        text.Append(' ');
                    }

                    // A markdown hard break (two trailing spaces or a backslash) is just a space in help text.
                    text.Append(t.EndsWith('\\') ? t[..^1].TrimEnd() : t);
                    i++;
                }

                blocks.Add(new MarkdownBlock(MarkdownBlockKind.Paragraph, text.ToString(), first + 1));
            }
        }

        foreach (var block in blocks)
        {
            if (block.Text.Contains("{{", StringComparison.Ordinal) && block.Text.Contains("}}", StringComparison.Ordinal)
                && block.Kind != MarkdownBlockKind.Code)
            {
                Error(block.Line, "The page still holds a platyPS placeholder ('{{ … }}'): write the text.");
            }
        }

        return blocks;
    }

    private int SkipComment(int i, int end)
    {
        if (!Lines[i].Trim().StartsWith("<!--", StringComparison.Ordinal))
        {
            return i + 1;
        }

        var first = i;
        while (i < end)
        {
            if (Lines[i].Contains("-->", StringComparison.Ordinal))
            {
                return i + 1;
            }

            i++;
        }

        Error(first + 1, "HTML comment is not closed.");
        return end;
    }

    private void FindHeadings()
    {
        string? fence = null;
        for (var i = 0; i < Lines.Length; i++)
        {
            var trimmed = Lines[i].Trim();
            if (fence is not null)
            {
                if (trimmed == fence)
                {
                    fence = null;
                }

                continue;
            }

            if (IsFence(trimmed, out var f))
            {
                fence = f;
                continue;
            }

            var m = HeadingPattern().Match(Lines[i]);
            if (m.Success)
            {
                Headings.Add(new Heading(m.Groups[1].Value.Length, m.Groups[2].Value.Trim(), i));
            }
        }
    }

    private static bool IsFence(string trimmed, out string fence)
    {
        if (trimmed.StartsWith("```", StringComparison.Ordinal))
        {
            fence = "```";
            return true;
        }

        if (trimmed.StartsWith("~~~", StringComparison.Ordinal))
        {
            fence = "~~~";
            return true;
        }

        fence = string.Empty;
        return false;
    }

    [GeneratedRegex(@"^(#{1,6})\s+(.*?)\s*#*\s*$")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"^\s*([-*+]|\d+[.)])\s+")]
    private static partial Regex ListItemPattern();

    /// <summary>An ATX heading outside code fences.</summary>
    /// <param name="Level">Number of <c>#</c>.</param>
    /// <param name="Text">The heading text.</param>
    /// <param name="Index">The 0-based line index.</param>
    public sealed record Heading(int Level, string Text, int Index)
    {
        public int Line => Index + 1;
    }
}
