using System.Globalization;
using System.Text.Json.Nodes;

namespace CasAdmin.Sandbox.Graph;

/// <summary>A Graph request as the pipeline sees it: from the wire, or one inner request of a $batch.</summary>
internal sealed class GraphRequest
{
    public required string Method { get; init; }

    /// <summary>Decoded path starting with /v1.0.</summary>
    public required string Path { get; init; }

    /// <summary>Decoded query options; OData options always carry their "$".</summary>
    public required IReadOnlyDictionary<string, string> Query { get; init; }
    public JsonNode? Body { get; init; }
    public string? Authorization { get; init; }
    public required string BaseUrl { get; init; }
    public required string RequestId { get; init; }
    public required string ClientRequestId { get; init; }
    public bool IsBatchInner { get; init; }
    public CancellationToken Aborted { get; init; }

    public static Dictionary<string, string> ParseQuery(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var q = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in pairs)
        {
            // Graph accepts OData options with or without the "$" prefix.
            var key = k is "select" or "filter" or "top" or "skiptoken" or "expand" or "count" or "orderby" or "search" ? "$" + k : k;
            q[key] = v;
        }
        return q;
    }

    public static Dictionary<string, string> ParseQueryString(string query)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var k = eq < 0 ? part : part[..eq];
            var v = eq < 0 ? "" : part[(eq + 1)..];
            pairs.Add(new(Uri.UnescapeDataString(k.Replace('+', ' ')), Uri.UnescapeDataString(v.Replace('+', ' '))));
        }
        return ParseQuery(pairs);
    }
}

/// <summary>What to do with the connection after (or instead of) answering.</summary>
internal enum ConnectionFate { Respond, AbortBeforeResponse, AbortAfterExecute }

internal sealed class GraphResponse
{
    public int Status { get; set; }
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
    public JsonNode? Body { get; set; }
    public ConnectionFate Fate { get; set; }

    /// <summary>The request tried to create an object that already existed (same name, appId, principal name…): counted in stats.</summary>
    public bool DuplicateCreate { get; set; }

    public static GraphResponse Json(int status, JsonNode? body) => new() { Status = status, Body = body };
}

/// <summary>Graph's error body: {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.</summary>
internal static class GraphErrors
{
    public static GraphResponse Create(GraphRequest req, int status, string code, string message, DateTimeOffset now) =>
        GraphResponse.Json(status, new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = code,
                ["message"] = message,
                ["innerError"] = new JsonObject
                {
                    ["date"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
                    ["request-id"] = req.RequestId,
                    ["client-request-id"] = req.ClientRequestId,
                },
            },
        });

    public static (string Code, string Message) ForStatus(int status) => status switch
    {
        400 => ("BadRequest", "Bad request."),
        401 => ("InvalidAuthenticationToken", "Access token validation failure."),
        403 => ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
        404 => ("Request_ResourceNotFound", "Resource not found."),
        409 => ("Request_MultipleObjectsWithSameKeyValue", "Another object with the same value for property exists."),
        423 => ("resourceLocked", "The resource is locked."),
        429 => ("TooManyRequests", "Too many requests."),
        500 => ("InternalServerError", "An internal server error occurred."),
        502 => ("BadGateway", "Bad gateway."),
        503 => ("ServiceUnavailable", "The service is temporarily unavailable. Please try again later."),
        504 => ("GatewayTimeout", "The gateway timed out."),
        _ => ("UnknownError", "An error occurred."),
    };
}

/// <summary>A Graph request-level failure a handler can throw instead of building the response by hand.</summary>
internal sealed class GraphException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;

    public static GraphException BadRequest(string message) => new(400, "BadRequest", message);

    public static GraphException NotFound(string id) =>
        new(404, "Request_ResourceNotFound", $"Resource '{id}' does not exist or one of its queried reference-property objects are not present.");

    public static GraphException UnsupportedQuery(string message = "Unsupported query.") => new(400, "Request_UnsupportedQuery", message);
}
