using System.Text.Json;
using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Tenants;

namespace CasAdmin.Sandbox.Graph;

/// <summary>Request-body reading and response helpers shared by the write endpoints (applications, consent, chats, subscriptions).</summary>
internal static class GraphBodies
{
    /// <summary>The JSON object body, or 400 like Graph when there is none.</summary>
    public static JsonObject Body(GraphCall call) =>
        call.Request.Body as JsonObject ?? throw GraphException.BadRequest("Write requests (excluding DELETE) must contain the Content-Type header declaration.");

    public static string? String(JsonObject o, string name)
    {
        var node = Get(o, name);
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            return v.GetValue<string>();
        }

        throw GraphException.BadRequest($"Invalid value for property '{name}': a string is expected.");
    }

    public static bool? Bool(JsonObject o, string name)
    {
        var node = Get(o, name);
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetValue<bool>();
        }

        throw GraphException.BadRequest($"Invalid value for property '{name}': a boolean is expected.");
    }

    public static DateTimeOffset? Date(JsonObject o, string name)
    {
        var s = String(o, name);
        if (s is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var d)
            ? d
            : throw GraphException.BadRequest($"Cannot convert the literal '{s}' to the expected type 'Edm.DateTimeOffset'.");
    }

    public static List<string>? Strings(JsonObject o, string name)
    {
        var node = Get(o, name);
        if (node is null)
        {
            return null;
        }

        if (node is not JsonArray a)
        {
            throw GraphException.BadRequest($"Invalid value for property '{name}': a collection is expected.");
        }

        return a.Select(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw GraphException.BadRequest($"Invalid value in '{name}'.")).ToList();
    }

    /// <summary>A property by Graph's (case-insensitive) name; null when absent or JSON null.</summary>
    public static JsonNode? Get(JsonObject o, string name) =>
        o.FirstOrDefault(kv => kv.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public static bool Has(JsonObject o, string name) => o.Any(kv => kv.Key.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>A GUID-valued property; 400 when missing or malformed.</summary>
    public static string RequiredGuid(JsonObject o, string name)
    {
        var s = String(o, name) ?? throw GraphException.BadRequest($"Property '{name}' is required.");
        return Guid.TryParse(s, out var g) ? g.ToString() : throw GraphException.BadRequest($"Invalid value specified for property '{name}' of resource '{name}'.");
    }

    public static GraphResponse Created(GraphCall call, string entityContext, JsonObject entity, string? locationId = null)
    {
        var result = new JsonObject { ["@odata.context"] = $"{call.Request.BaseUrl}v1.0/$metadata#{entityContext}/$entity" };
        foreach (var (k, v) in entity)
        {
            result[k] = v?.DeepClone();
        }

        var r = GraphResponse.Json(201, result);
        if (locationId is not null)
        {
            r.Headers["Location"] = $"{call.Request.BaseUrl}v2/{call.Tenant.Id}/directoryObjects/{locationId}";
        }

        return r;
    }

    public static GraphResponse NoContent() => GraphResponse.Json(204, null);

    /// <summary>A route-level permission check inside a handler (for routes whose permission depends on the object).</summary>
    public static void Demand(GraphCall call, GraphPermission p)
    {
        var ok = call.Principal.IsApp ? p.AppRoles.Any(call.Principal.Roles.Contains) : p.Scopes.Any(call.Principal.Scopes.Contains);
        if (!ok)
        {
            throw new GraphException(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
        }
    }

    // ---- replication-aware lookups (PUT /_sandbox/replication) -----------------------------------------------

    private static bool Replicated(GraphCall call, DateTimeOffset since, double share, int boundMs) =>
        call.Runtime.Replication.HasReplicated(since, share, boundMs, call.Runtime.Time.GetUtcNow());

    public static bool Visible(GraphCall call, Application a) => Replicated(call, a.CreatedDateTime, a.ReplicationShare, a.ReplicationBoundMs);

    public static bool Visible(GraphCall call, ServicePrincipal s) => Replicated(call, s.CreatedDateTime, s.ReplicationShare, s.ReplicationBoundMs);

    public static bool Visible(GraphCall call, AppRoleAssignment a) => Replicated(call, a.CreatedDateTime, a.ReplicationShare, a.ReplicationBoundMs);

    /// <summary>An application by object id that this call can see (call under the tenant lock); 404 otherwise.</summary>
    public static Application Application(GraphCall call, string id) =>
        call.Tenant.Applications.TryGetValue(id, out var a) && Visible(call, a) ? a : throw GraphException.NotFound(id);

    /// <summary>A service principal by object id that this call can see (call under the tenant lock); 404 otherwise.</summary>
    public static ServicePrincipal ServicePrincipal(GraphCall call, string id) =>
        call.Tenant.ServicePrincipals.TryGetValue(id, out var s) && Visible(call, s) ? s : throw GraphException.NotFound(id);

    /// <summary>
    /// An object deleted so recently that the delete has not replicated: a GET by id may still return it. Only reads by
    /// id see it (lists and writes already answer as after the delete), which is the read-after-delete a client makes.
    /// </summary>
    public static T? NotYetDeleted<T>(GraphCall call, string id) where T : class =>
        call.Tenant.DeletedItems.Find(id, call.Runtime.Time.GetUtcNow()) is { Item: T item } d && !Replicated(call, d.DeletedDateTime, d.ReplicationShare, d.ReplicationBoundMs) ? item : null;
}
