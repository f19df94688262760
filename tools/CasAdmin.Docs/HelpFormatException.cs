namespace CasAdmin.Docs;

/// <summary>One problem found in a help page: where, and what is wrong.</summary>
/// <param name="Path">The file.</param>
/// <param name="Line">The 1-based line, or 0 when the problem is the whole file.</param>
/// <param name="Message">What is wrong, in words that say how to fix it.</param>
public sealed record HelpIssue(string Path, int Line, string Message)
{
    /// <summary>The canonical <c>file(line): error CODE: message</c> form that MSBuild and editors understand.</summary>
    public override string ToString() =>
        Line > 0 ? $"{Path}({Line}): error CASHELP: {Message}" : $"{Path}: error CASHELP: {Message}";
}

/// <summary>Thrown when one or more help pages are malformed; <see cref="Issues"/> lists every problem found.</summary>
public sealed class HelpFormatException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    public HelpFormatException(IReadOnlyList<HelpIssue> issues)
        : base(Describe(issues)) => Issues = issues;

    /// <summary>Creates the exception for a single problem.</summary>
    public HelpFormatException(string path, int line, string message)
        : this([new HelpIssue(path, line, message)])
    {
    }

    /// <summary>Every problem found, in file and line order.</summary>
    public IReadOnlyList<HelpIssue> Issues { get; }

    private static string Describe(IReadOnlyList<HelpIssue> issues) =>
        issues.Count == 1 ? issues[0].ToString() : $"{issues.Count} problems in help pages:\n" + string.Join('\n', issues);
}
