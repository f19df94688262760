using System.Text;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CasAdmin.Docs;

/// <summary>
/// A help page parsed by Markdig (CommonMark, with YAML front matter and pipe tables): its front matter, its
/// top-level headings with their lines, and the blocks between two lines in the shape the help model keeps
/// (paragraph and list text joined into one line, code lines as written, table rows one per line). Get-Help shows
/// text, not markdown: like platyPS, headings, paragraphs, list items and table cells keep the text of their
/// inlines (code spans without backticks, emphasis without stars, a link as its text) and lose the syntax.
/// </summary>
internal sealed class MarkdownPage
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseYamlFrontMatter()
        .UsePipeTables()
        .UsePreciseSourceLocation()
        .Build();

    private readonly List<HelpIssue> _issues;
    private readonly string _text;
    private readonly MarkdownDocument _document;

    public MarkdownPage(string path, string text, List<HelpIssue> issues)
    {
        Path = path;
        _issues = issues;

        // One line end, so that Markdig's source spans and our line numbers index the same text.
        _text = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        LineCount = _text.Split('\n').Length;
        _document = Markdown.Parse(_text, Pipeline);
        foreach (var heading in _document.OfType<HeadingBlock>())
        {
            var title = PlainText(heading.Inline);
            Headings.Add(new Heading(heading.Level, title, heading.Line));
        }
    }

    public string Path { get; }

    /// <summary>The number of lines of the page: the end of the last section.</summary>
    public int LineCount { get; }

    /// <summary>Front matter keys and values (empty when the page has none).</summary>
    public Dictionary<string, string> FrontMatter { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Index of the first line after the front matter.</summary>
    public int BodyStart { get; private set; }

    /// <summary>Every top-level heading, in order.</summary>
    public List<Heading> Headings { get; } = [];

    public void Error(int line, string message) => _issues.Add(new HelpIssue(Path, line, message));

    /// <summary>Reads the <c>---</c> … <c>---</c> block at the top; reports a missing or unterminated block.</summary>
    public void ReadFrontMatter(bool required)
    {
        var yaml = _document.OfType<YamlFrontMatterBlock>().FirstOrDefault();
        if (yaml is null)
        {
            // Markdig only recognises a closed block; an opening '---' alone is a thematic break to it.
            if (_text.Split('\n', 2)[0].Trim() == "---")
            {
                Error(1, "The front matter block is not closed by a '---' line.");
                BodyStart = LineCount;
            }
            else if (required)
            {
                Error(1, "The page must start with a front matter block ('---' line, 'key: value' lines, '---' line).");
            }

            return;
        }

        BodyStart = yaml.Line + Source(yaml.Span).Split('\n').Length;

        // The block's first line is the opening '---'.
        var map = ReadYamlMapping(yaml.Lines.ToString(), yaml.Line + 2, "Front matter");
        foreach (var (key, value, _) in map ?? [])
        {
            FrontMatter[key] = value;
        }
    }

    /// <summary>
    /// Reads a YAML block that must be a flat mapping of scalars (platyPS's front matter and parameter blocks), with
    /// YamlDotNet; each entry keeps its 1-based line. Null, with the problem reported, when the block is not one.
    /// </summary>
    public List<(string Key, string Value, int Line)>? ReadYamlMapping(string yaml, int firstLine, string what)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            Error(firstLine + (int)ex.Start.Line - 1, $"{what}: {ex.Message}");
            return null;
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet 16.3 throws this, without a position, for a flow collection left open at the end of the text.
            Error(firstLine, $"{what}: the YAML is malformed ({ex.Message}).");
            return null;
        }

        if (stream.Documents.Count == 0)
        {
            return [];
        }

        if (stream.Documents.Count > 1 || stream.Documents[0].RootNode is not YamlMappingNode mapping)
        {
            Error(firstLine, $"{what} is not a list of 'key: value' lines.");
            return null;
        }

        var result = new List<(string, string, int)>();
        foreach (var (key, value) in mapping.Children)
        {
            var line = firstLine + (int)key.Start.Line - 1;
            if (key is not YamlScalarNode { Value: { } name } || value is not YamlScalarNode scalar)
            {
                Error(line, $"{what}: '{key}' is not a 'key: value' line.");
                continue;
            }

            result.Add((name, scalar.Value ?? string.Empty, line));
        }

        return result;
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

    /// <summary>The blocks that start on lines [start, end); a heading there, or markdown help cannot show, is an error.</summary>
    public List<MarkdownBlock> ReadBlocks(int start, int end)
    {
        var blocks = new List<MarkdownBlock>();
        foreach (var block in _document.Where(b => b.Line >= start && b.Line < end))
        {
            var line = block.Line + 1;
            switch (block)
            {
                case FencedCodeBlock fence:
                    if (fence.ClosingFencedCharCount == 0)
                    {
                        Error(line, "Code fence is not closed.");
                    }

                    blocks.Add(new MarkdownBlock(MarkdownBlockKind.Code, fence.Lines.ToString(), line) { Language = fence.Info ?? string.Empty });
                    break;
                case ParagraphBlock paragraph:
                    blocks.Add(new MarkdownBlock(MarkdownBlockKind.Paragraph, PlainText(paragraph.Inline), line) { Links = OnlyLinks(paragraph) });
                    break;
                case ListBlock list:
                    blocks.AddRange(list.OfType<ListItemBlock>().Select(item => new MarkdownBlock(MarkdownBlockKind.ListItem, ItemText(item), item.Line + 1)
                    {
                        Links = item is [ParagraphBlock only] ? OnlyLinks(only) : null,
                    }));
                    break;
                case Table table:
                    blocks.Add(new MarkdownBlock(MarkdownBlockKind.Table, TableText(table), line));
                    break;
                case HtmlBlock { Type: HtmlBlockType.Comment } comment:
                    if (!Source(comment.Span).Contains("-->", StringComparison.Ordinal))
                    {
                        Error(line, "HTML comment is not closed.");
                    }

                    break;
                case HeadingBlock:
                    Error(line, $"Unexpected heading '{Source(block.Span).Trim()}' here.");
                    break;
                case LinkReferenceDefinitionGroup or BlankLineBlock:
                    break;
                default:
                    // Indented code, block quotes, rules, raw HTML: Get-Help would show them as stray text.
                    Error(line, $"Markdown '{Source(block.Span).Split('\n')[0].Trim()}' ({block.GetType().Name}) has no place in help; use paragraphs, '-' lists, pipe tables or fenced code.");
                    break;
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

    // The links of a paragraph that holds links and nothing else but white space; otherwise null.
    private List<RelatedLink>? OnlyLinks(ParagraphBlock paragraph)
    {
        var links = new List<RelatedLink>();
        foreach (var inline in paragraph.Inline ?? [])
        {
            switch (inline)
            {
                case LinkInline { IsImage: false } link:
                    var text = link.FirstChild is null ? string.Empty : Source(new SourceSpan(link.FirstChild.Span.Start, link.LastChild!.Span.End));
                    links.Add(new RelatedLink(text.Trim(), link.Url ?? string.Empty));
                    break;
                case LineBreakInline:
                case LiteralInline literal when literal.Content.IsEmptyOrWhitespace():
                    break;
                default:
                    return null;
            }
        }

        return links.Count > 0 ? links : null;
    }

    private string Source(SourceSpan span) =>
        span.IsEmpty || span.Start < 0 ? string.Empty : _text.Substring(span.Start, Math.Min(span.Length, _text.Length - span.Start));

    /// <summary>
    /// The text of inlines on one line, as Get-Help should show it: literal text as written (escapes resolved), a code
    /// span's code without its backticks, emphasis without its stars or underscores, a link's text (followed by its
    /// address in parentheses when that is a web address other than the text, since help has no hyperlinks; a link
    /// to a sibling .md page keeps its text only), an autolink's address, and a line break (soft or hard) as a space.
    /// Runs of white space become one space.
    /// </summary>
    internal static string PlainText(ContainerInline? inlines)
    {
        var sb = new StringBuilder();
        AppendChildren(sb, inlines);
        return string.Join(' ', sb.ToString().Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
    }

    private static void AppendPlain(StringBuilder sb, Inline? inline)
    {
        switch (inline)
        {
            case null:
                break;
            case LiteralInline literal:
                sb.Append(literal.Content.AsSpan());
                break;
            case CodeInline code:
                sb.Append(code.Content);
                break;
            case AutolinkInline autolink:
                sb.Append(autolink.Url);
                break;
            case LinkInline link:
                var text = PlainText(link);
                sb.Append(text);
                if (!link.IsImage && link.Url is { } url && !string.Equals(url, text, StringComparison.OrdinalIgnoreCase)
                    && Uri.TryCreate(url, UriKind.Absolute, out var address) && (address.Scheme == Uri.UriSchemeHttps || address.Scheme == Uri.UriSchemeHttp))
                {
                    sb.Append(" (").Append(url).Append(')');
                }

                break;
            case LineBreakInline:
                sb.Append(' ');
                break;
            case HtmlEntityInline entity:
                sb.Append(entity.Transcoded.AsSpan());
                break;
            case HtmlInline html:
                // A bare <placeholder> in prose reads as written.
                sb.Append(html.Tag);
                break;
            case ContainerInline container:
                // Emphasis (and a delimiter Markdig left unmatched, which it keeps as a container of its text).
                if (container is EmphasisDelimiterInline delimiter)
                {
                    sb.Append(delimiter.ToLiteral());
                }

                AppendChildren(sb, container);
                break;
            default:
                sb.Append(inline.ToString());
                break;
        }
    }

    private static void AppendChildren(StringBuilder sb, ContainerInline? container)
    {
        for (var child = container?.FirstChild; child is not null; child = child.NextSibling)
        {
            AppendPlain(sb, child);
        }
    }

    /// <summary>A list item as one line: its marker ("-", "1.") and the text of its paragraphs and nested items.</summary>
    private string ItemText(ListItemBlock item)
    {
        var source = Source(item.Span).TrimStart();
        var marker = source[..Math.Max(0, source.IndexOfAny([' ', '\t', '\n']))];
        var parts = new List<string> { marker.Length > 0 ? marker : "-" };
        foreach (var child in item)
        {
            switch (child)
            {
                case ParagraphBlock paragraph:
                    parts.Add(PlainText(paragraph.Inline));
                    break;
                case ListBlock nested:
                    parts.AddRange(nested.OfType<ListItemBlock>().Select(ItemText));
                    break;
                case LeafBlock leaf:
                    parts.Add(string.Join(' ', leaf.Lines.ToString().Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)));
                    break;
            }
        }

        return string.Join(' ', parts.Where(p => p.Length > 0));
    }

    /// <summary>A pipe table as text: one line per row, cells as plain text between pipes, a rule under the header.</summary>
    private static string TableText(Table table)
    {
        var lines = new List<string>();
        foreach (var row in table.OfType<TableRow>())
        {
            var cells = row.OfType<TableCell>().Select(cell => string.Join(' ', cell.OfType<ParagraphBlock>().Select(p => PlainText(p.Inline)))).ToList();
            lines.Add("| " + string.Join(" | ", cells) + " |");
            if (row.IsHeader)
            {
                lines.Add("|" + string.Join('|', cells.Select(c => new string('-', c.Length + 2))) + "|");
            }
        }

        return string.Join('\n', lines);
    }

    /// <summary>A top-level heading.</summary>
    /// <param name="Level">Number of <c>#</c>.</param>
    /// <param name="Text">The heading text.</param>
    /// <param name="Index">The 0-based line index.</param>
    public sealed record Heading(int Level, string Text, int Index)
    {
        public int Line => Index + 1;
    }
}
