using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace CasAdmin.Sandbox.Graph;

/// <summary>$select, $top and $skiptoken paging with absolute @odata.nextLink back to the sandbox.</summary>
internal static class ODataPaging
{
    public const int MaxPageSize = 999;

    public static int PageSize(GraphRequest req, int defaultSize)
    {
        if (!req.Query.TryGetValue("$top", out var raw))
        {
            return defaultSize;
        }

        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var top) || top < 1 || top > MaxPageSize)
        {
            throw GraphException.BadRequest($"Invalid page size specified: '{raw}'. Must be between 1 and {MaxPageSize} inclusive.");
        }
        return top;
    }

    public static int Offset(GraphRequest req)
    {
        if (!req.Query.TryGetValue("$skiptoken", out var token))
        {
            return 0;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token.Replace('-', '+').Replace('_', '/').PadRight((token.Length + 3) / 4 * 4, '=')));
            if (text.StartsWith("X'", StringComparison.Ordinal) && int.TryParse(text.AsSpan(2), NumberStyles.Integer, CultureInfo.InvariantCulture, out var offset) && offset >= 0)
            {
                return offset;
            }
        }
        catch (FormatException)
        {
        }
        throw GraphException.BadRequest("The specified page token value has expired or is invalid.");
    }

    public static IReadOnlyList<string>? Select(GraphRequest req) =>
        req.Query.TryGetValue("$select", out var s) ? s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null;

    /// <summary>Projects an entity to the $select list (Graph's casing), keeping @odata.type; unknown names are a 400 like Graph's.</summary>
    public static JsonObject Project(JsonObject full, IReadOnlyList<string>? select, string typeName)
    {
        if (select is null)
        {
            return full;
        }

        var result = new JsonObject();
        if (full.TryGetPropertyValue("@odata.type", out var type))
        {
            result["@odata.type"] = type?.DeepClone();
        }

        foreach (var name in select)
        {
            var match = full.FirstOrDefault(kv => kv.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (match.Key is null)
            {
                throw GraphException.BadRequest($"Could not find a property named '{name}' on type 'microsoft.graph.{typeName}'.");
            }

            result[match.Key] = match.Value?.DeepClone();
        }
        return result;
    }

    /// <summary>
    /// One page of a collection. <paramref name="fromOffset"/> yields full entities starting at an offset, so unfiltered
    /// generated collections skip without building the skipped objects.
    /// </summary>
    public static JsonObject Page(GraphRequest req, string entitySet, string typeName, Func<int, IEnumerable<JsonObject>> fromOffset,
        IReadOnlyList<string>? defaultProperties = null, int defaultPageSize = 100)
    {
        var top = PageSize(req, defaultPageSize);
        var offset = Offset(req);
        var select = Select(req) ?? defaultProperties;
        var items = fromOffset(offset).Take(top + 1).ToList();
        var value = new JsonArray();
        foreach (var item in items.Take(top))
        {
            value.Add(Project(item, select, typeName));
        }

        var context = $"{req.BaseUrl}v1.0/$metadata#{entitySet}" + (Select(req) is { } chosen ? $"({string.Join(',', chosen)})" : "");
        var page = new JsonObject { ["@odata.context"] = context };
        if (req.Query.TryGetValue("$count", out var count) && count.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            page["@odata.count"] = offset + fromOffset(offset).Count();
        }
        if (items.Count > top)
        {
            page["@odata.nextLink"] = NextLink(req, offset + top);
        }

        page["value"] = value;
        return page;
    }

    private static string NextLink(GraphRequest req, int nextOffset)
    {
        var sb = new StringBuilder(req.BaseUrl.TrimEnd('/')).Append(req.Path).Append('?');
        foreach (var (k, v) in req.Query)
        {
            if (k.Equals("$skiptoken", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            sb.Append(Uri.EscapeDataString(k).Replace("%24", "$", StringComparison.Ordinal)).Append('=').Append(Uri.EscapeDataString(v)).Append('&');
        }
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes("X'" + nextOffset.ToString(CultureInfo.InvariantCulture))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return sb.Append("$skiptoken=").Append(token).ToString();
    }

    public static JsonObject Entity(GraphRequest req, string entitySet, JsonObject full, string typeName, IReadOnlyList<string>? defaultProperties = null)
    {
        var select = Select(req) ?? defaultProperties;
        var result = new JsonObject { ["@odata.context"] = $"{req.BaseUrl}v1.0/$metadata#{entitySet}/$entity" };
        foreach (var (k, v) in Project(full, select, typeName))
        {
            result[k] = v?.DeepClone();
        }

        return result;
    }
}
