using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>GET /users (filter, select, paging) and GET /users/{id | userPrincipalName}.</summary>
internal static class UserEndpoints
{
    public static readonly GraphPermission Read = new(
        ["User.Read.All", "User.ReadWrite.All", "User.ReadBasic.All", "Directory.Read.All", "Directory.ReadWrite.All"],
        ["User.ReadBasic.All", "User.Read.All", "Directory.Read.All", "Directory.AccessAsUser.All"]);

    public static void Map(GraphRouter r)
    {
        r.MapGet("/users", RequestCost.Read(2), Read, List);
        r.MapGet("/users/{id}", RequestCost.Read(2), Read, call =>
        {
            var user = Find(call.Tenant, call.Values["id"]) ?? throw GraphException.NotFound(call.Values["id"]);
            return GraphCall.Ok(ODataPaging.Entity(call.Request, "users", GraphJson.User(user), "user", GraphJson.UserDefaultProperties));
        });
    }

    public static DirectoryUser? Find(TenantState t, string idOrUpn)
    {
        lock (t.Sync)
        {
            return t.Users.Find(idOrUpn);
        }
    }

    private static GraphResponse List(GraphCall call)
    {
        var t = call.Tenant;
        Func<int, IEnumerable<JsonObject>> source;
        if (!call.Request.Query.TryGetValue("$filter", out var filter) || string.IsNullOrWhiteSpace(filter))
        {
            source = offset => Snapshot(t, offset).Select(GraphJson.User);
        }
        else if (ODataFilter.SimpleEquality(filter) is { } eq && (eq.Property.Equals("id", StringComparison.OrdinalIgnoreCase)
                     || eq.Property.Equals("userPrincipalName", StringComparison.OrdinalIgnoreCase)))
        {
            // Key lookups are the common case in big generated tenants: no scan.
            var hit = Find(t, eq.Value);
            source = offset => (hit is null ? [] : new[] { GraphJson.User(hit) }).Skip(offset);
        }
        else if (PrefixOutsideGenerated(t, filter))
        {
            // startswith(userPrincipalName,'tmcas'): generated users are all "user…@", so only the users in memory can match.
            var predicate = ODataFilter.Parse(filter);
            List<DirectoryUser> held;
            lock (t.Sync)
            {
                held = [.. t.Users.Explicit, .. t.Users.ChangedGenerated];
            }

            source = offset => held.Select(GraphJson.User).Where(predicate).Skip(offset);
        }
        else
        {
            var predicate = ODataFilter.Parse(filter);
            source = offset => Snapshot(t, 0).Select(GraphJson.User).Where(predicate).Skip(offset);
        }
        return GraphCall.Ok(ODataPaging.Page(call.Request, "users", "user", source, GraphJson.UserDefaultProperties));
    }

    private static readonly System.Text.RegularExpressions.Regex StartsWithUpn = new(
        @"^\s*startswith\(\s*userPrincipalName\s*,\s*'([^']*)'\s*\)\s*$", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static bool PrefixOutsideGenerated(TenantState t, string filter)
    {
        var m = StartsWithUpn.Match(filter);
        if (!m.Success)
        {
            return false;
        }

        var prefix = m.Groups[1].Value;
        var generated = UserDirectory.GeneratedPrefix;
        bool renamed;
        lock (t.Sync)
        {
            renamed = t.Users.GeneratedRenamed;
        }

        return !renamed && prefix.Length > 0 && !prefix.StartsWith(generated, StringComparison.OrdinalIgnoreCase) && !generated.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The sequence is captured under the lock (explicit users copied, generated ones built lazily after it).</summary>
    private static IEnumerable<DirectoryUser> Snapshot(TenantState t, int offset)
    {
        lock (t.Sync)
        {
            return t.Users.Enumerate(offset);
        }
    }
}
