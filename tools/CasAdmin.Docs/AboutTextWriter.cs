using System.Text;

namespace CasAdmin.Docs;

/// <summary>
/// Renders an about topic as the plain text that <c>Get-Help about_Name</c> shows (<c>about_Name.help.txt</c>):
/// the topic name, then each section heading in capitals with its text indented and wrapped at 80 columns;
/// code and tables are indented but never wrapped. Deterministic: LF line ends, no trailing spaces.
/// </summary>
public static class AboutTextWriter
{
    private const int Width = 80;

    /// <summary>Renders the topic.</summary>
    public static string Render(AboutTopic topic)
    {
        var sb = new StringBuilder();
        sb.Append("TOPIC\n");
        sb.Append("    ").Append(topic.Name.ToLowerInvariant()).Append('\n');
        foreach (var section in topic.Sections)
        {
            sb.Append('\n');
            var headingIndent = section.Level switch { 2 => 0, 3 => 2, _ => 4 };
            var heading = section.Level == 2 ? section.Title.ToUpperInvariant() : section.Title;
            sb.Append(' ', headingIndent).Append(heading).Append('\n');
            if (section.Level > 2)
            {
                sb.Append(' ', headingIndent).Append(new string('-', heading.Length)).Append('\n');
            }

            MarkdownBlock? previous = null;
            foreach (var block in section.Blocks)
            {
                // A blank line between blocks, except between the items of one list.
                var sameList = previous?.Kind == MarkdownBlockKind.ListItem && block.Kind == MarkdownBlockKind.ListItem;
                if ((previous is not null || section.Level > 2) && !sameList)
                {
                    sb.Append('\n');
                }

                previous = block;
                switch (block.Kind)
                {
                    case MarkdownBlockKind.Code:
                    case MarkdownBlockKind.Table:
                        foreach (var line in block.Text.Split('\n'))
                        {
                            AppendLine(sb, 8, line);
                        }

                        break;
                    case MarkdownBlockKind.ListItem:
                        var marker = block.Text[..(block.Text.IndexOf(' ', StringComparison.Ordinal) + 1)];
                        Wrap(sb, 4, 4 + marker.Length, block.Text);
                        break;
                    default:
                        Wrap(sb, 4, 4, block.Text);
                        break;
                }
            }
        }

        return sb.ToString();
    }

    private static void AppendLine(StringBuilder sb, int indent, string line)
    {
        var trimmed = line.TrimEnd();
        if (trimmed.Length > 0)
        {
            sb.Append(' ', indent).Append(trimmed);
        }

        sb.Append('\n');
    }

    private static void Wrap(StringBuilder sb, int firstIndent, int nextIndent, string text)
    {
        var line = new StringBuilder();
        var indent = firstIndent;
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && indent + line.Length + 1 + word.Length > Width)
            {
                sb.Append(' ', indent).Append(line).Append('\n');
                line.Clear();
                indent = nextIndent;
            }

            if (line.Length > 0)
            {
                line.Append(' ');
            }

            line.Append(word);
        }

        if (line.Length > 0)
        {
            sb.Append(' ', indent).Append(line).Append('\n');
        }
    }
}
