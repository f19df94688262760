using System.Globalization;
using System.Text;

namespace CasAdmin.Docs;

/// <summary>
/// Reads a PowerShell data file (<c>.psd1</c>, e.g. a module manifest) without PowerShell: the restricted language
/// subset that manifests use — <c>@{ key = value }</c> (keys separated by newlines or <c>;</c>), <c>@( … )</c> and
/// comma lists, single- and double-quoted strings and here-strings, integers and decimals, <c>$true</c>,
/// <c>$false</c>, <c>$null</c>, <c>#</c> and <c>&lt;# #&gt;</c> comments. Anything else (variables, sub-expressions,
/// commands) is an error, as it is for <c>Import-PowerShellDataFile</c>.
/// </summary>
/// <remarks>
/// Values come back as <see cref="string"/>, <see cref="long"/>, <see cref="double"/>, <see cref="bool"/>, null,
/// <see cref="IReadOnlyList{T}"/> of object (arrays) and <see cref="IReadOnlyDictionary{TKey, TValue}"/> with
/// case-insensitive keys (hashtables).
/// </remarks>
public sealed class PowerShellDataFile
{
    private readonly string _text;
    private readonly string _path;
    private int _pos;

    private PowerShellDataFile(string path, string text)
    {
        _path = path;
        _text = text;
    }

    /// <summary>Reads the top-level hashtable of a file.</summary>
    public static IReadOnlyDictionary<string, object?> Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses the top-level hashtable of a data file's text; <paramref name="path"/> names it in errors.</summary>
    public static IReadOnlyDictionary<string, object?> Parse(string text, string path = "<psd1>")
    {
        var reader = new PowerShellDataFile(path, text);
        reader.SkipTrivia(newlines: true);
        if (!reader.Peek("@{"))
        {
            throw reader.Error("A data file holds one hashtable: '@{ … }'.");
        }

        var result = reader.ReadHashtable();
        reader.SkipTrivia(newlines: true);
        if (reader._pos < reader._text.Length)
        {
            throw reader.Error("Unexpected text after the closing '}'.");
        }

        return result;
    }

    /// <summary>Reads a value that should be a list of strings (a single string counts as a list of one); empty when absent.</summary>
    public static IReadOnlyList<string> StringList(IReadOnlyDictionary<string, object?> table, string key) =>
        table.TryGetValue(key, out var value) ? value switch
        {
            null => [],
            string s => [s],
            IReadOnlyList<object?> list => list.Select(x => x as string ?? throw new FormatException($"'{key}' holds a value that is not a string.")).ToList(),
            _ => throw new FormatException($"'{key}' is not a string or a list of strings."),
        } : [];

    private Dictionary<string, object?> ReadHashtable()
    {
        Expect("@{");
        var table = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            SkipTrivia(newlines: true);
            while (Peek(";"))
            {
                _pos++;
                SkipTrivia(newlines: true);
            }

            if (Peek("}"))
            {
                _pos++;
                return table;
            }

            if (_pos >= _text.Length)
            {
                throw Error("The hashtable is not closed by '}'.");
            }

            var key = ReadKey();
            SkipTrivia(newlines: false);
            Expect("=");
            SkipTrivia(newlines: true);
            var value = ReadValue();
            if (!table.TryAdd(key, value))
            {
                throw Error($"Duplicate key '{key}'.");
            }

            SkipTrivia(newlines: false);
            if (!(Peek(";") || Peek("}") || PeekNewline()))
            {
                throw Error("Expected a newline, ';' or '}' after a hashtable entry.");
            }
        }
    }

    private string ReadKey()
    {
        if (Peek("'") || Peek("\""))
        {
            return ReadString();
        }

        var start = _pos;
        while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] is '_' or '-' or '.'))
        {
            _pos++;
        }

        if (start == _pos)
        {
            throw Error("Expected a hashtable key.");
        }

        return _text[start.._pos];
    }

    /// <summary>A value, or a comma list of values (which is an array).</summary>
    private object? ReadValue()
    {
        var first = ReadSingle();
        SkipTrivia(newlines: false);
        if (!Peek(","))
        {
            return first;
        }

        var list = new List<object?> { first };
        while (Peek(","))
        {
            _pos++;
            SkipTrivia(newlines: true);
            list.Add(ReadSingle());
            SkipTrivia(newlines: false);
        }

        return list;
    }

    private object? ReadSingle()
    {
        if (Peek("@{"))
        {
            return ReadHashtable();
        }

        if (Peek("@("))
        {
            return ReadArray();
        }

        if (Peek("@'") || Peek("@\""))
        {
            return ReadHereString();
        }

        if (Peek("'") || Peek("\""))
        {
            return ReadString();
        }

        if (Peek("$"))
        {
            var start = _pos++;
            while (_pos < _text.Length && char.IsLetter(_text[_pos]))
            {
                _pos++;
            }

            return _text[(start + 1).._pos].ToLowerInvariant() switch
            {
                "true" => true,
                "false" => false,
                "null" => null,
                var other => throw Error($"Variable '${other}' is not allowed in a data file."),
            };
        }

        var numStart = _pos;
        if (_pos < _text.Length && _text[_pos] is '-' or '+')
        {
            _pos++;
        }

        while (_pos < _text.Length && (char.IsDigit(_text[_pos]) || _text[_pos] == '.'))
        {
            _pos++;
        }

        var number = _text[numStart.._pos];
        if (long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return l;
        }

        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return d;
        }

        _pos = numStart;
        throw Error("Expected a value: a string, a number, $true, $false, $null, @( … ) or @{ … }.");
    }

    private List<object?> ReadArray()
    {
        Expect("@(");
        var list = new List<object?>();
        while (true)
        {
            SkipTrivia(newlines: true);
            if (Peek(")"))
            {
                _pos++;
                return list;
            }

            if (_pos >= _text.Length)
            {
                throw Error("The array is not closed by ')'.");
            }

            var value = ReadValue();
            if (value is List<object?> inner)
            {
                list.AddRange(inner);
            }
            else
            {
                list.Add(value);
            }

            SkipTrivia(newlines: false);
            if (Peek(";"))
            {
                _pos++;
            }
            else if (!(Peek(")") || PeekNewline()))
            {
                throw Error("Expected a newline, ',' or ')' in the array.");
            }
        }
    }

    private string ReadString()
    {
        var quote = _text[_pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length)
            {
                throw Error("The string is not closed.");
            }

            var c = _text[_pos++];
            if (IsQuote(c, quote))
            {
                if (_pos < _text.Length && IsQuote(_text[_pos], quote))
                {
                    sb.Append(c);
                    _pos++;
                    continue;
                }

                return sb.ToString();
            }

            if (quote == '"' && c == '`' && _pos < _text.Length)
            {
                var e = _text[_pos++];
                sb.Append(e switch { 'n' => '\n', 'r' => '\r', 't' => '\t', '0' => '\0', _ => e });
                continue;
            }

            if (quote == '"' && c == '$' && _pos < _text.Length && (char.IsLetter(_text[_pos]) || _text[_pos] is '(' or '{' or '_'))
            {
                throw Error("Variables and sub-expressions are not allowed in a data file's strings; use single quotes.");
            }

            sb.Append(c);
        }
    }

    private string ReadHereString()
    {
        var quote = _text[_pos + 1];
        _pos += 2;
        SkipTrivia(newlines: false);
        if (!PeekNewline())
        {
            throw Error("A here-string's opening '@'' or '@\"' must end its line.");
        }

        _pos += _text[_pos] == '\r' ? 2 : 1;
        var start = _pos;
        while (_pos < _text.Length)
        {
            var lineStart = _pos;
            var eol = _text.IndexOf('\n', _pos);
            var lineEnd = eol < 0 ? _text.Length : eol;
            if (lineEnd - lineStart >= 2 && _text[lineStart] == quote && _text[lineStart + 1] == '@')
            {
                var body = _text[start..Math.Max(start, lineStart - 1)].TrimEnd('\r');
                _pos = lineStart + 2;
                if (quote == '"' && body.Contains('$', StringComparison.Ordinal))
                {
                    throw Error("Variables are not allowed in a data file's here-strings; use @' '@.");
                }

                return body;
            }

            _pos = eol < 0 ? _text.Length : eol + 1;
        }

        throw Error("The here-string is not closed.");
    }

    private static bool IsQuote(char c, char quote) =>
        quote == '\'' ? c is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B' : c is '"' or '\u201C' or '\u201D' or '\u201E';

    private void SkipTrivia(bool newlines)
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c is ' ' or '\t' || (newlines && c is '\r' or '\n'))
            {
                _pos++;
            }
            else if (c == '`' && _pos + 1 < _text.Length && _text[_pos + 1] is '\r' or '\n')
            {
                _pos += _text[_pos + 1] == '\r' ? 3 : 2;
            }
            else if (Peek("<#"))
            {
                var end = _text.IndexOf("#>", _pos + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw Error("The block comment is not closed by '#>'.");
                }

                _pos = end + 2;
            }
            else if (c == '#')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private bool Peek(string s) => string.CompareOrdinal(_text, _pos, s, 0, s.Length) == 0;

    private bool PeekNewline() => _pos < _text.Length && _text[_pos] is '\r' or '\n';

    private void Expect(string s)
    {
        if (!Peek(s))
        {
            throw Error($"Expected '{s}'.");
        }

        _pos += s.Length;
    }

    private FormatException Error(string message)
    {
        var line = 1;
        var col = 1;
        for (var i = 0; i < Math.Min(_pos, _text.Length); i++)
        {
            if (_text[i] == '\n')
            {
                line++;
                col = 1;
            }
            else
            {
                col++;
            }
        }

        return new FormatException($"{_path}({line},{col}): {message}");
    }
}
