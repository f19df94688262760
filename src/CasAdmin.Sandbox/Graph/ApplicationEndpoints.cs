using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>GET /applications ($filter appId eq '…'), GET /applications/{id} and /applications(appId='…').</summary>
internal static class ApplicationEndpoints
{
    public static readonly GraphPermission Read = new(
        ["Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All", "Directory.ReadWrite.All"],
        ["Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.AccessAsUser.All"]);

    public static void Map(GraphRouter r)
    {
        r.MapGet("/applications", RequestCost.Read(2), Read, call =>
        {
            List<JsonObject> all;
            lock (call.Tenant.Sync)
            {
                all = call.Tenant.Applications.Values.Where(x => GraphBodies.Visible(call, x)).OrderBy(a => a.CreatedDateTime).ThenBy(a => a.Id, StringComparer.Ordinal).Select(GraphJson.Application).ToList();
            }

            return GraphCall.Ok(ODataPaging.Page(call.Request, "applications", "application", offset => Filter(call, all).Skip(offset)));
        });
        r.MapGet("/applications(appId='{appId}')", RequestCost.Read(2), Read, call => Single(call, a => a.AppId.Equals(call.Values["appId"], StringComparison.OrdinalIgnoreCase), call.Values["appId"]));
        r.MapGet("/applications/{id}", RequestCost.Read(2), Read, call => Single(call, a => a.Id.Equals(call.Values["id"], StringComparison.OrdinalIgnoreCase), call.Values["id"], byId: true));
    }

    private static GraphResponse Single(GraphCall call, Func<Tenants.Application, bool> match, string key, bool byId = false)
    {
        JsonObject? json;
        lock (call.Tenant.Sync)
        {
            var found = call.Tenant.Applications.Values.Where(x => GraphBodies.Visible(call, x)).FirstOrDefault(match)
                ?? (byId ? GraphBodies.NotYetDeleted<Tenants.Application>(call, key) : null);
            json = found is null ? null : GraphJson.Application(found);
        }
        if (json is null)
        {
            throw GraphException.NotFound(key);
        }

        return GraphCall.Ok(ODataPaging.Entity(call.Request, "applications", json, "application"));
    }

    internal static IEnumerable<JsonObject> Filter(GraphCall call, IEnumerable<JsonObject> items) =>
        call.Request.Query.TryGetValue("$filter", out var f) && !string.IsNullOrWhiteSpace(f) ? items.Where(ODataFilter.Parse(f)) : items;
}
