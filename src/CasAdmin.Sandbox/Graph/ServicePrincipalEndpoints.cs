using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>GET /servicePrincipals ($filter appId eq '…', servicePrincipalType eq 'Legacy'), /{id}, (appId='…').</summary>
internal static class ServicePrincipalEndpoints
{
    public static readonly GraphPermission Read = ApplicationEndpoints.Read;

    public static void Map(GraphRouter r)
    {
        r.MapGet("/servicePrincipals", RequestCost.Read(1), Read, call =>
        {
            List<JsonObject> all;
            lock (call.Tenant.Sync)
            {
                all = call.Tenant.ServicePrincipals.Values.Where(x => GraphBodies.Visible(call, x)).OrderBy(s => s.CreatedDateTime).ThenBy(s => s.Id, StringComparer.Ordinal).Select(GraphJson.ServicePrincipal).ToList();
            }

            return GraphCall.Ok(ODataPaging.Page(call.Request, "servicePrincipals", "servicePrincipal", offset => ApplicationEndpoints.Filter(call, all).Skip(offset)));
        });
        r.MapGet("/servicePrincipals(appId='{appId}')", RequestCost.Read(1), Read, call => Single(call, s => s.AppId.Equals(call.Values["appId"], StringComparison.OrdinalIgnoreCase), call.Values["appId"]));
        r.MapGet("/servicePrincipals/{id}", RequestCost.Read(1), Read, call => Single(call, s => s.Id.Equals(call.Values["id"], StringComparison.OrdinalIgnoreCase), call.Values["id"], byId: true));
    }

    private static GraphResponse Single(GraphCall call, Func<Tenants.ServicePrincipal, bool> match, string key, bool byId = false)
    {
        JsonObject? json;
        lock (call.Tenant.Sync)
        {
            var found = call.Tenant.ServicePrincipals.Values.Where(x => GraphBodies.Visible(call, x)).FirstOrDefault(match)
                ?? (byId ? GraphBodies.NotYetDeleted<Tenants.ServicePrincipal>(call, key) : null);
            json = found is null ? null : GraphJson.ServicePrincipal(found);
        }
        if (json is null)
        {
            throw GraphException.NotFound(key);
        }

        return GraphCall.Ok(ODataPaging.Entity(call.Request, "servicePrincipals", json, "servicePrincipal"));
    }
}
