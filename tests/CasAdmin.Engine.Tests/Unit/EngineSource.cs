using System.Text;
using System.Text.RegularExpressions;

namespace CasAdmin.Engine.Tests.Unit;

/// <summary>
/// The engine's C# sources read the way the architecture rules need them: each file's code without comments and
/// string literals (an interpolation's expressions stay code), its string literals, the top-level types and
/// extension methods each folder declares, and which folders use which. ArchitectureTests checks the rules;
/// tools/FolderDependencies.ps1 loads this file to print the same figures.
/// </summary>
/// <remarks>
/// A folder of src/CasAdmin.Engine is a namespace, CasAdmin.Engine.Folder; the files directly in the engine folder are
/// "Root". Folder A uses folder B when a file of A names a type (or calls an extension method) declared in B: by its
/// simple name in a file that imports CasAdmin.Engine.B, or qualified (CasAdmin.Engine.B.Type, or B.Type from inside
/// CasAdmin.Engine). CasAdmin.Model declares the scriptable output types in the same namespaces; they are a separate,
/// engine-free assembly, so using them is not a use of the engine folder. Every folder sees Root's types unqualified.
/// </remarks>
public sealed class EngineSource
{
    public const string Root = "Root";

    private EngineSource(string engineFolder, List<SourceFile> files)
    {
        EngineFolder = engineFolder;
        Files = files;
        Folders = files.Select(f => f.Folder).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var folder in Folders)
        {
            var inFolder = files.Where(f => f.Folder == folder).ToList();
            Types[folder] = inFolder.SelectMany(f => f.DeclaredTypes).ToHashSet(StringComparer.Ordinal);
            ExtensionMethods[folder] = inFolder.SelectMany(f => f.ExtensionMethods).ToHashSet(StringComparer.Ordinal);
        }

        var globalImports = files.SelectMany(f => f.Imports.Where(i => i.Global)).Select(i => i.Folder).ToHashSet(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var to in Folders.Where(to => to != file.Folder))
            {
                var imported = to == Root || globalImports.Contains(to) || file.Imports.Any(i => i.Folder == to);
                if (to != Root && (imported || Regex.IsMatch(file.Code, @"\bCasAdmin\.Engine\." + to + @"\.")))
                {
                    Add(NamespaceUses, file.Folder, to, file.RelativePath);
                }

                foreach (var symbol in UsedSymbols(file, to, imported))
                {
                    Add(FolderUses, file.Folder, to, $"{file.RelativePath}: {symbol}");
                }
            }
        }
    }

    public string EngineFolder { get; }

    public IReadOnlyList<SourceFile> Files { get; }

    /// <summary>The engine's folders, Root included.</summary>
    public IReadOnlyList<string> Folders { get; }

    public Dictionary<string, HashSet<string>> Types { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, HashSet<string>> ExtensionMethods { get; } = new(StringComparer.Ordinal);

    /// <summary>Folder to folder, with the files and names that make the use; the measure the rules apply.</summary>
    public SortedDictionary<string, SortedDictionary<string, SortedSet<string>>> FolderUses { get; } = new(StringComparer.Ordinal);

    /// <summary>Folder to the engine namespaces its files import or name fully qualified (CasAdmin.Model's types included).</summary>
    public SortedDictionary<string, SortedDictionary<string, SortedSet<string>>> NamespaceUses { get; } = new(StringComparer.Ordinal);

    /// <summary>Reads every .cs file under the engine folder (bin and obj aside).</summary>
    public static EngineSource Load(string engineFolder)
    {
        var root = Path.GetFullPath(engineFolder);
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(p => !Regex.IsMatch(Path.GetRelativePath(root, p), @"^(bin|obj)[\\/]"))
            .Order(StringComparer.Ordinal)
            .Select(p => SourceFile.Read(root, p))
            .ToList();
        return new EngineSource(root, files);
    }

    /// <summary>The engine folder of this repository, found upwards from the running code.</summary>
    public static string FindEngineFolder(string? start = null)
    {
        for (var dir = new DirectoryInfo(start ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CasAdmin.sln")))
            {
                return Path.Combine(dir.FullName, "src", "CasAdmin.Engine");
            }
        }

        throw new DirectoryNotFoundException("No CasAdmin.sln above " + (start ?? AppContext.BaseDirectory));
    }

    /// <summary>
    /// Every loop among the folders: one path per group of folders that reach each other (a strongly connected
    /// component), each step with the files and names that make it. Empty when the folders form no loop.
    /// </summary>
    public static List<List<string>> Loops(IReadOnlyDictionary<string, IReadOnlyCollection<string>> edges)
    {
        // Tarjan's algorithm, then the shortest way round each component from its first folder.
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var components = new List<List<string>>();
        var nodes = edges.Keys.Concat(edges.Values.SelectMany(v => v)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        void Connect(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in Next(v))
            {
                if (!index.ContainsKey(w))
                {
                    Connect(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                {
                    low[v] = Math.Min(low[v], index[w]);
                }
            }

            if (low[v] == index[v])
            {
                var component = new List<string>();
                string w;
                do
                {
                    w = stack.Pop();
                    onStack.Remove(w);
                    component.Add(w);
                }
                while (w != v);
                if (component.Count > 1)
                {
                    components.Add(component);
                }
            }
        }

        IEnumerable<string> Next(string v) => edges.TryGetValue(v, out var to) ? to.Order(StringComparer.Ordinal) : [];

        foreach (var v in nodes.Where(v => !index.ContainsKey(v)))
        {
            Connect(v);
        }

        var loops = new List<List<string>>();
        foreach (var component in components)
        {
            var members = component.ToHashSet(StringComparer.Ordinal);
            var start = component.Min(StringComparer.Ordinal)!;
            var previous = new Dictionary<string, string>(StringComparer.Ordinal);
            var queue = new Queue<string>([start]);
            while (queue.Count > 0 && !previous.ContainsKey(start))
            {
                var v = queue.Dequeue();
                foreach (var w in Next(v).Where(members.Contains))
                {
                    if (!previous.ContainsKey(w))
                    {
                        previous[w] = v;
                        queue.Enqueue(w);
                    }
                }
            }

            var path = new List<string> { start };
            for (var v = previous[start]; v != start; v = previous[v])
            {
                path.Insert(0, v);
            }

            path.Insert(0, start);
            loops.Add(path);
        }

        return loops;
    }

    public Dictionary<string, IReadOnlyCollection<string>> Edges(SortedDictionary<string, SortedDictionary<string, SortedSet<string>>> uses) =>
        Folders.ToDictionary(f => f, f => (IReadOnlyCollection<string>)(uses.TryGetValue(f, out var to) ? to.Keys.ToList() : []), StringComparer.Ordinal);

    private IEnumerable<string> UsedSymbols(SourceFile file, string to, bool imported)
    {
        var types = 0;
        foreach (var type in Types[to])
        {
            // A name the file's own folder declares too is that folder's (it hides the imported one).
            var simple = imported && !Types[file.Folder].Contains(type) && Regex.IsMatch(file.Code, @"(?<![\w.])" + type + @"\b");
            var qualified = to != Root && Regex.IsMatch(file.Code, @"(?:\bCasAdmin\.Engine\.|(?<![\w.]))" + to + @"\." + type + @"\b");
            if (simple || qualified)
            {
                types++;
                yield return type;
            }
        }

        // Only where no type is named: a method of another library may share the name (MSAL's ExecuteAsync).
        if (imported && types == 0)
        {
            foreach (var method in ExtensionMethods[to].Where(m => Regex.IsMatch(file.Code, @"\." + m + @"\s*(?:<[^<>()]*>)?\s*\(")))
            {
                yield return "." + method + "()";
            }
        }
    }

    private static void Add(SortedDictionary<string, SortedDictionary<string, SortedSet<string>>> map, string from, string to, string why)
    {
        if (!map.TryGetValue(from, out var targets))
        {
            map[from] = targets = new(StringComparer.Ordinal);
        }

        if (!targets.TryGetValue(to, out var reasons))
        {
            targets[to] = reasons = new(StringComparer.Ordinal);
        }

        reasons.Add(why);
    }
}

/// <summary>One source file: its code without comments and literals, and its string literals.</summary>
public sealed class SourceFile
{
    private SourceFile(string relativePath, string folder, string text)
    {
        RelativePath = relativePath;
        Folder = folder;
        var (code, literals) = CSharpLexer.Split(text);
        Code = code;
        Literals = literals;
        Namespace = Regex.Match(code, @"^\s*namespace\s+([\w.]+)\s*([;{])", RegexOptions.Multiline) is { Success: true } m ? m.Groups[1].Value : null;
        var topDepth = Regex.IsMatch(code, @"^\s*namespace\s+[\w.]+\s*\{", RegexOptions.Multiline) ? 1 : 0;
        var depth = CSharpLexer.BraceDepths(code);
        DeclaredTypes = Regex.Matches(code, @"\b(?:record\s+(?:struct|class)|class|record|struct|interface|enum)\s+(\w+)|\bdelegate\s+[\w<>\[\]?,. ]+?\s(\w+)\s*[<(]")
            .Where(t => depth[t.Index] == topDepth)
            .Select(t => t.Groups[1].Success ? t.Groups[1].Value : t.Groups[2].Value)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        ExtensionMethods = Regex.Matches(code, @"\bstatic\s[^;{}()=]*?\b(\w+)\s*(?:<[^<>()]*>)?\s*\(\s*this\s").Select(x => x.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();
        Imports = Regex.Matches(code, @"^\s*(global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?CasAdmin\.Engine\.(\w+)\s*;", RegexOptions.Multiline)
            .Select(x => (x.Groups[1].Success, x.Groups[2].Value))
            .ToList();
    }

    /// <summary>The path under the engine folder, with forward slashes.</summary>
    public string RelativePath { get; }

    /// <summary>The engine folder the file is in, or Root.</summary>
    public string Folder { get; }

    public string? Namespace { get; }

    public string Code { get; }

    public IReadOnlyList<StringLiteral> Literals { get; }

    public IReadOnlyList<string> DeclaredTypes { get; }

    public IReadOnlyList<string> ExtensionMethods { get; }

    public IReadOnlyList<(bool Global, string Folder)> Imports { get; }

    public static SourceFile Read(string engineFolder, string path)
    {
        var relative = Path.GetRelativePath(engineFolder, path).Replace('\\', '/');
        var slash = relative.IndexOf('/', StringComparison.Ordinal);
        return new SourceFile(relative, slash < 0 ? EngineSource.Root : relative[..slash], File.ReadAllText(path));
    }
}

/// <summary>A string literal's text (an interpolation's expressions as <c>{}</c>) and the line it starts on.</summary>
public sealed record StringLiteral(int Line, string Text);

/// <summary>
/// Just enough of C#'s lexical grammar to tell code from comments and string literals: regular, verbatim, raw and
/// interpolated strings (with expressions, nested strings and format specifiers inside), and character literals.
/// </summary>
public static class CSharpLexer
{
    public static (string Code, IReadOnlyList<StringLiteral> Literals) Split(string text)
    {
        var code = new StringBuilder(text.Length);
        var literals = new List<StringLiteral>();
        var i = 0;
        LexCode(text, ref i, code, literals, inHole: false);
        return (code.ToString(), literals);
    }

    /// <summary>The brace depth at each position of code (comments and literals already removed).</summary>
    public static int[] BraceDepths(string code)
    {
        var depths = new int[code.Length + 1];
        var depth = 0;
        for (var i = 0; i < code.Length; i++)
        {
            depths[i] = depth;
            if (code[i] == '{')
            {
                depth++;
            }
            else if (code[i] == '}')
            {
                depth--;
            }
        }

        depths[code.Length] = depth;
        return depths;
    }

    private static void LexCode(string s, ref int i, StringBuilder code, List<StringLiteral> literals, bool inHole)
    {
        var nesting = 0;
        while (i < s.Length)
        {
            var ch = s[i];
            var next = i + 1 < s.Length ? s[i + 1] : '\0';
            if (ch == '/' && next == '/')
            {
                while (i < s.Length && s[i] != '\n')
                {
                    i++;
                }
            }
            else if (ch == '/' && next == '*')
            {
                var end = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                var stop = end < 0 ? s.Length : end + 2;
                code.Append('\n', s.AsSpan(i, stop - i).Count('\n'));
                i = stop;
            }
            else if (ch == '\'')
            {
                i++;
                while (i < s.Length && s[i] != '\'' && s[i] != '\n')
                {
                    i += s[i] == '\\' ? 2 : 1;
                }

                i++;
                code.Append("' '");
            }
            else if ((ch == '"' || ch == '$' || ch == '@') && StringStarts(s, i))
            {
                LexString(s, ref i, code, literals);
            }
            else if (inHole && nesting == 0 && (ch == '}' || ch == ':'))
            {
                // The end of an interpolation's expression, or its format specifier (literal text up to the brace).
                while (ch == ':' && i < s.Length && s[i] != '}')
                {
                    i++;
                }

                return;
            }
            else
            {
                if (ch is '(' or '[' or '{')
                {
                    nesting++;
                }
                else if (ch is ')' or ']' or '}')
                {
                    nesting--;
                }

                code.Append(ch);
                i++;
            }
        }
    }

    private static bool StringStarts(string s, int i)
    {
        while (i < s.Length && (s[i] == '$' || s[i] == '@'))
        {
            i++;
        }

        return i < s.Length && s[i] == '"';
    }

    private static void LexString(string s, ref int i, StringBuilder code, List<StringLiteral> literals)
    {
        var line = 1 + s.AsSpan(0, i).Count('\n');
        var dollars = 0;
        var verbatim = false;
        while (s[i] != '"')
        {
            dollars += s[i] == '$' ? 1 : 0;
            verbatim |= s[i] == '@';
            i++;
        }

        var quotes = 0;
        while (i + quotes < s.Length && s[i + quotes] == '"')
        {
            quotes++;
        }

        var text = new StringBuilder();
        code.Append('"');
        if (!verbatim && quotes >= 3)
        {
            // A raw string: it ends at as many quotes as it began with; with n dollars, n braces open an expression.
            i += quotes;
            var close = new string('"', quotes);
            while (i < s.Length && string.CompareOrdinal(s, i, close, 0, quotes) != 0)
            {
                if (dollars > 0 && s[i] == '{')
                {
                    var braces = 0;
                    while (i + braces < s.Length && s[i + braces] == '{')
                    {
                        braces++;
                    }

                    if (braces >= dollars)
                    {
                        text.Append('{', braces - dollars).Append("{}");
                        i += braces;
                        Hole(s, ref i, code, literals);
                        i += dollars - 1;
                        continue;
                    }
                }

                text.Append(s[i]);
                i++;
            }

            i += quotes;
        }
        else
        {
            i++;
            while (i < s.Length)
            {
                var ch = s[i];
                var next = i + 1 < s.Length ? s[i + 1] : '\0';
                if (ch == '"' && verbatim && next == '"')
                {
                    text.Append('"');
                    i += 2;
                }
                else if (ch == '"' || (ch == '\n' && !verbatim))
                {
                    i++;
                    break;
                }
                else if (ch == '\\' && !verbatim)
                {
                    text.Append(ch).Append(next);
                    i += 2;
                }
                else if (dollars > 0 && (ch == '{' || ch == '}') && next == ch)
                {
                    text.Append(ch);
                    i += 2;
                }
                else if (dollars > 0 && ch == '{')
                {
                    text.Append("{}");
                    i++;
                    Hole(s, ref i, code, literals);
                }
                else
                {
                    text.Append(ch);
                    i++;
                }
            }
        }

        code.Append('"');
        literals.Add(new StringLiteral(line, text.ToString()));
    }

    /// <summary>An interpolation's expression is code: it is kept, in parentheses, inside the literal's quotes.</summary>
    private static void Hole(string s, ref int i, StringBuilder code, List<StringLiteral> literals)
    {
        code.Append('(');
        LexCode(s, ref i, code, literals, inHole: true);
        code.Append(')');
        i++; // the closing brace
    }
}

/// <summary>
/// What counts as SQL text in a string literal: a statement (SELECT, INSERT INTO, UPDATE … SET, DELETE FROM,
/// CREATE/ALTER/DROP of a table, index or view, WITH … AS (, PRAGMA, TRUNCATE, VACUUM, BEGIN/COMMIT/ROLLBACK) or a
/// clause only SQL has (WHERE, ORDER BY, GROUP BY, JOIN, ON CONFLICT, RETURNING, VALUES (, FOR UPDATE, LIMIT n),
/// written in capitals as this code base writes SQL; and the same statements in any case when their shape is
/// unmistakably SQL (select … from table where, insert into table (, delete from table, update table set column =).
/// Prose such as "Update the Teams Chat data" or "Select-Object" is not SQL.
/// </summary>
public static class SqlText
{
    private static readonly Regex Capitals = new(
        @"\b(?:SELECT\s+\S|INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\w|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s+\w|(?:CREATE|ALTER|DROP)\s+(?:TEMP\w*\s+|UNIQUE\s+)?(?:TABLE|INDEX|VIEW|TRIGGER|SCHEMA|SEQUENCE)\b"
        + @"|WITH\s+(?:RECURSIVE\s+)?\w+(?:\s*\([^)]*\))?\s+AS\s*\(|PRAGMA\s+\w|TRUNCATE\s+\w|VACUUM\b|(?:BEGIN|COMMIT|ROLLBACK)(?:\s+(?:IMMEDIATE|EXCLUSIVE|DEFERRED|TRANSACTION))?\s*;?\s*$"
        + @"|WHERE\s+\w+\s*(?:=|<|>|IN\b|IS\b|LIKE\b|NOT\b)|ORDER\s+BY\s+\w|GROUP\s+BY\s+\w|(?:LEFT|RIGHT|INNER|OUTER|CROSS)\s+JOIN\s+\w|ON\s+CONFLICT\b|RETURNING\s+\w|VALUES\s*\(|FOR\s+UPDATE\b|LIMIT\s+(?:\d|\$|@))",
        RegexOptions.CultureInvariant);

    private static readonly Regex AnyCase = new(
        @"\bselect\s+[\w*,.\s()]+?\s+from\s+\w+\s*(?:$|where\b|order\b|group\b|limit\b|join\b|;)|\binsert\s+into\s+\w+\s*\(|\bdelete\s+from\s+\w+\s*(?:$|where\b|;)|\bupdate\s+\w+\s+set\s+\w+\s*=",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    public static bool IsSql(string text) => Capitals.IsMatch(text) || AnyCase.IsMatch(text);
}
