using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// The $filter subset Graph supports on directory objects: eq, ne, gt, ge, lt, le, in, startswith, endswith,
/// and/or/not and parentheses, evaluated against an entity's JSON. Anything else is Request_UnsupportedQuery.
/// </summary>
internal sealed class ODataFilter
{
    private readonly List<string> _tokens;
    private int _pos;

    private ODataFilter(List<string> tokens) => _tokens = tokens;

    public static Func<JsonObject, bool> Parse(string filter)
    {
        var parser = new ODataFilter(Tokenize(filter));
        var expr = parser.Or();
        if (parser._pos != parser._tokens.Count)
        {
            throw Invalid(filter);
        }

        return expr;
    }

    /// <summary>For the fast path: "prop eq 'value'" with nothing else.</summary>
    public static (string Property, string Value)? SimpleEquality(string filter)
    {
        var t = Tokenize(filter);
        return t.Count == 3 && t[1].Equals("eq", StringComparison.OrdinalIgnoreCase) && t[2].StartsWith('\'') ? (t[0], Unquote(t[2])) : null;
    }

    private Func<JsonObject, bool> Or()
    {
        var left = And();
        while (Accept("or"))
        {
            var l = left;
            var r = And();
            left = o => l(o) || r(o);
        }
        return left;
    }

    private Func<JsonObject, bool> And()
    {
        var left = Unary();
        while (Accept("and"))
        {
            var l = left;
            var r = Unary();
            left = o => l(o) && r(o);
        }
        return left;
    }

    private Func<JsonObject, bool> Unary()
    {
        if (Accept("not"))
        {
            var inner = Unary();
            return o => !inner(o);
        }
        if (Accept("("))
        {
            var inner = Or();
            Expect(")");
            return inner;
        }
        var first = Next();
        if (first.EndsWith("/any", StringComparison.OrdinalIgnoreCase))
        {
            return AnyLambda(first[..^"/any".Length]);
        }

        if (first.Equals("startswith", StringComparison.OrdinalIgnoreCase) || first.Equals("endswith", StringComparison.OrdinalIgnoreCase))
        {
            Expect("(");
            var prop = Next();
            Expect(",");
            var value = Literal(Next()) as string ?? throw GraphException.UnsupportedQuery();
            Expect(")");
            var starts = first.Equals("startswith", StringComparison.OrdinalIgnoreCase);
            return o => Get(o, prop) is string s && (starts ? s.StartsWith(value, StringComparison.OrdinalIgnoreCase) : s.EndsWith(value, StringComparison.OrdinalIgnoreCase));
        }
        var op = Next().ToLowerInvariant();
        if (op == "in")
        {
            Expect("(");
            var values = new List<object?> { Literal(Next()) };
            while (Accept(","))
            {
                values.Add(Literal(Next()));
            }

            Expect(")");
            return o => values.Any(v => Compare(Get(o, first), v) == 0);
        }
        var literal = Literal(Next());
        return op switch
        {
            "eq" => o => Compare(Get(o, first), literal) == 0,
            "ne" => o => Compare(Get(o, first), literal) != 0,
            "gt" => o => Compare(Get(o, first), literal) > 0,
            "ge" => o => Compare(Get(o, first), literal) >= 0,
            "lt" => o => Compare(Get(o, first), literal) < 0,
            "le" => o => Compare(Get(o, first), literal) <= 0,
            _ => throw GraphException.UnsupportedQuery(),
        };
    }

    /// <summary>A lambda over a collection of primitives: tags/any(t:t eq 'x') (also "t: t eq", ne).</summary>
    private Func<JsonObject, bool> AnyLambda(string collection)
    {
        Expect("(");
        var lambda = Next();
        var colon = lambda.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw GraphException.UnsupportedQuery("Invalid filter clause: a lambda variable is expected after any(.");
        }

        var variable = lambda[..colon];
        var target = colon + 1 < lambda.Length ? lambda[(colon + 1)..] : Next();
        if (!target.Equals(variable, StringComparison.Ordinal))
        {
            throw GraphException.UnsupportedQuery($"Invalid filter clause: '{target}' is not the lambda variable '{variable}'.");
        }

        var op = Next().ToLowerInvariant();
        if (op is not ("eq" or "ne"))
        {
            throw GraphException.UnsupportedQuery();
        }

        var literal = Literal(Next());
        Expect(")");
        return o => Elements(o, collection).Any(e => op == "eq" ? Compare(e, literal) == 0 : Compare(e, literal) != 0);
    }

    private static IEnumerable<object?> Elements(JsonObject o, string property)
    {
        JsonNode? node = o;
        foreach (var part in property.Split('/'))
        {
            if (node is not JsonObject obj)
            {
                return [];
            }

            node = obj.FirstOrDefault(kv => kv.Key.Equals(part, StringComparison.OrdinalIgnoreCase)).Value;
        }
        return node is JsonArray a ? a.Select(e => e is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : (object?)e?.ToJsonString()) : [];
    }

    private static object? Get(JsonObject o, string property)
    {
        JsonNode? node = o;
        foreach (var part in property.Split('/'))
        {
            if (node is not JsonObject obj)
            {
                return null;
            }

            node = obj.FirstOrDefault(kv => kv.Key.Equals(part, StringComparison.OrdinalIgnoreCase)).Value;
        }
        if (node is not JsonValue v)
        {
            return null;
        }

        return v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => v.GetValue<double>(),
            _ => null,
        };
    }

    private static int Compare(object? a, object? b) => (a, b) switch
    {
        (null, null) => 0,
        (null, _) or (_, null) => a is null ? -1 : 1,
        (string x, string y) => string.Compare(x, y, StringComparison.OrdinalIgnoreCase),
        (bool x, bool y) => x.CompareTo(y),
        (double x, double y) => x.CompareTo(y),
        (string x, double y) => string.Compare(x, y.ToString(CultureInfo.InvariantCulture), StringComparison.OrdinalIgnoreCase),
        _ => string.Compare(a.ToString(), b.ToString(), StringComparison.OrdinalIgnoreCase),
    };

    private static object? Literal(string token)
    {
        if (token.StartsWith('\''))
        {
            return Unquote(token);
        }

        if (token.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (token.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (token.Equals("null", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return d;
        }

        return token; // unquoted GUIDs
    }

    private static string Unquote(string token) => token[1..^1].Replace("''", "'", StringComparison.Ordinal);

    private bool Accept(string token)
    {
        if (_pos < _tokens.Count && _tokens[_pos].Equals(token, StringComparison.OrdinalIgnoreCase))
        {
            _pos++;
            return true;
        }
        return false;
    }

    private void Expect(string token)
    {
        if (!Accept(token))
        {
            throw GraphException.UnsupportedQuery($"Invalid filter clause: expected '{token}'.");
        }
    }

    private string Next() => _pos < _tokens.Count ? _tokens[_pos++] : throw GraphException.UnsupportedQuery("Invalid filter clause: unexpected end of expression.");

    private static GraphException Invalid(string filter) => GraphException.UnsupportedQuery($"Invalid filter clause: '{filter}'.");

    private static List<string> Tokenize(string s)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c is '(' or ')' or ',') { tokens.Add(c.ToString()); i++; continue; }
            if (c == '\'')
            {
                var j = i + 1;
                while (j < s.Length)
                {
                    if (s[j] == '\'' && j + 1 < s.Length && s[j + 1] == '\'') { j += 2; continue; }
                    if (s[j] == '\'')
                    {
                        break;
                    }

                    j++;
                }
                if (j >= s.Length)
                {
                    throw GraphException.UnsupportedQuery("Invalid filter clause: unterminated string literal.");
                }

                tokens.Add(s[i..(j + 1)]);
                i = j + 1;
                continue;
            }
            var k = i;
            while (k < s.Length && !char.IsWhiteSpace(s[k]) && s[k] is not '(' and not ')' and not ',' and not '\'')
            {
                k++;
            }

            tokens.Add(s[i..k]);
            i = k;
        }
        return tokens;
    }
}
