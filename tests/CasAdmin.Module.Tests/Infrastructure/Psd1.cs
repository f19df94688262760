using System.Text.RegularExpressions;

namespace CasAdmin.Module.Tests.Infrastructure;

/// <summary>Reads the values of a module manifest's keys from its text (no PowerShell here to evaluate it).</summary>
internal static partial class Psd1
{
    /// <summary>The manifest text without comments (line comments outside strings, and block comments).</summary>
    public static string StripComments(string text)
    {
        text = BlockComment().Replace(text, string.Empty);
        var lines = text.Split('\n').Select(line =>
        {
            char? quote = null;
            for (var i = 0; i < line.Length; i++)
            {
                var c = line[i];
                if (quote is null && c == '#')
                {
                    return line[..i];
                }

                if (c is '\'' or '"')
                {
                    quote = quote is null ? c : quote == c ? null : quote;
                }
            }

            return line;
        });
        return string.Join('\n', lines);
    }

    /// <summary>The strings assigned to <paramref name="key"/>: <c>Key = @('a', "b")</c>, <c>Key = 'a', 'b'</c> or <c>Key = 'a'</c>; null when absent.</summary>
    public static IReadOnlyList<string>? Strings(string manifestText, string key)
    {
        var text = StripComments(manifestText);
        var match = Regex.Match(text, $@"(?im)^\s*{Regex.Escape(key)}\s*=\s*(?:@\((?<body>[^)]*)\)|(?<body>(?:'[^']*'|""[^""]*"")(?:\s*,\s*(?:'[^']*'|""[^""]*""))*))");
        if (!match.Success)
        {
            return null;
        }

        return QuotedString().Matches(match.Groups["body"].Value).Select(m => m.Groups["s"].Success ? m.Groups["s"].Value : m.Groups["d"].Value).ToArray();
    }

    [GeneratedRegex(@"<#.*?#>", RegexOptions.Singleline)]
    private static partial Regex BlockComment();

    [GeneratedRegex(@"'(?<s>[^']*)'|""(?<d>[^""]*)""")]
    private static partial Regex QuotedString();
}
