using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Scenarios;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// Delegated permission grants: GET/POST /oauth2PermissionGrants ($filter clientId eq '…'), GET/PATCH/DELETE
/// /oauth2PermissionGrants/{id}, GET /servicePrincipals/{id}/oauth2PermissionGrants. Tokens for users issued after a
/// change carry the new scp (the token endpoint reads the grants).
/// </summary>
internal static class ConsentEndpoints
{
    public static readonly GraphPermission Read = new(
        ["DelegatedPermissionGrant.Read.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
        ["DelegatedPermissionGrant.Read.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All", "Directory.AccessAsUser.All"]);

    public static readonly GraphPermission Write = new(
        ["DelegatedPermissionGrant.ReadWrite.All"],
        ["DelegatedPermissionGrant.ReadWrite.All", "Directory.AccessAsUser.All"]);

    public static void Map(GraphRouter r)
    {
        r.MapGet("/oauth2PermissionGrants", RequestCost.Read(2), Read, call => List(call, null));
        r.MapGet("/oauth2PermissionGrants/{id}", RequestCost.Read(2), Read, Get);
        r.MapGet("/servicePrincipals/{id}/oauth2PermissionGrants", RequestCost.Read(2), Read, call => List(call, call.Values["id"]));
        r.Map("POST", "/oauth2PermissionGrants", RequestCost.Write(), Write, call => Task.FromResult(Create(call)));
        r.Map("PATCH", "/oauth2PermissionGrants/{id}", RequestCost.Write(), Write, call => Task.FromResult(Update(call)));
        r.Map("DELETE", "/oauth2PermissionGrants/{id}", RequestCost.Write(), Write, call => Task.FromResult(Delete(call)));
    }

    private static GraphResponse List(GraphCall call, string? clientId)
    {
        List<JsonObject> items;
        lock (call.Tenant.Sync)
        {
            if (clientId is not null)
            {
                GraphBodies.ServicePrincipal(call, clientId);
            }

            items = call.Tenant.PermissionGrants.Values
                .Where(g => clientId is null || g.ClientId.Equals(clientId, StringComparison.OrdinalIgnoreCase))
                .OrderBy(g => g.Id, StringComparer.Ordinal).Select(Json).ToList();
        }
        var set = clientId is null ? "oauth2PermissionGrants" : $"servicePrincipals('{clientId}')/oauth2PermissionGrants";
        return GraphCall.Ok(ODataPaging.Page(call.Request, set, "oAuth2PermissionGrant", offset => ApplicationEndpoints.Filter(call, items).Skip(offset)));
    }

    private static GraphResponse Get(GraphCall call)
    {
        JsonObject json;
        lock (call.Tenant.Sync)
        {
            json = call.Tenant.PermissionGrants.TryGetValue(call.Values["id"], out var g) ? Json(g) : throw GraphException.NotFound(call.Values["id"]);
        }
        return GraphCall.Ok(ODataPaging.Entity(call.Request, "oauth2PermissionGrants", json, "oAuth2PermissionGrant"));
    }

    private static GraphResponse Create(GraphCall call)
    {
        var body = GraphBodies.Body(call);
        var clientId = GraphBodies.RequiredGuid(body, "clientId");
        var resourceId = GraphBodies.RequiredGuid(body, "resourceId");
        var consentType = GraphBodies.String(body, "consentType") ?? throw GraphException.BadRequest("Property 'consentType' is required.");
        if (consentType is not ("AllPrincipals" or "Principal"))
        {
            throw GraphException.BadRequest("Invalid value specified for property 'consentType' of resource 'OAuth2PermissionGrant'.");
        }

        var principalId = GraphBodies.String(body, "principalId");
        if (consentType == "Principal" && principalId is null)
        {
            throw GraphException.BadRequest("Property 'principalId' is required when consentType is 'Principal'.");
        }

        if (consentType == "AllPrincipals" && principalId is not null)
        {
            throw GraphException.BadRequest("Property 'principalId' must be null when consentType is 'AllPrincipals'.");
        }

        var scope = (GraphBodies.String(body, "scope") ?? "").Trim();
        var t = call.Tenant;
        JsonObject json;
        lock (t.Sync)
        {
            GraphBodies.ServicePrincipal(call, clientId);
            var resource = GraphBodies.ServicePrincipal(call, resourceId);
            foreach (var s in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!resource.Oauth2PermissionScopes.Any(p => p.Value.Equals(s, StringComparison.Ordinal)))
                {
                    throw new GraphException(400, "Request_BadRequest", $"Invalid scope '{s}': the resource '{resource.AppId}' does not expose it.");
                }
            }
            if (principalId is not null && t.Users.Find(principalId) is null)
            {
                throw GraphException.NotFound(principalId);
            }

            if (t.PermissionGrants.Values.Any(g => g.ClientId.Equals(clientId, StringComparison.OrdinalIgnoreCase) && g.ResourceId.Equals(resourceId, StringComparison.OrdinalIgnoreCase)
                    && g.ConsentType == consentType && string.Equals(g.PrincipalId, principalId, StringComparison.OrdinalIgnoreCase)))
            {
                var conflict = GraphErrors.Create(call.Request, 409, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists.", call.Runtime.Time.GetUtcNow());
                conflict.DuplicateCreate = true;
                return conflict;
            }
            var grant = new OAuth2PermissionGrant
            {
                Id = ScenarioLoader.Base64UrlEncode(RandomNumberGenerator.GetBytes(32))[..43],
                ClientId = clientId,
                ConsentType = consentType,
                PrincipalId = principalId,
                ResourceId = resourceId,
                Scope = scope,
            };
            t.PermissionGrants[grant.Id] = grant;
            json = Json(grant);
        }
        return GraphBodies.Created(call, "oauth2PermissionGrants", json);
    }

    private static GraphResponse Update(GraphCall call)
    {
        var body = GraphBodies.Body(call);
        lock (call.Tenant.Sync)
        {
            if (!call.Tenant.PermissionGrants.TryGetValue(call.Values["id"], out var g))
            {
                throw GraphException.NotFound(call.Values["id"]);
            }

            if (GraphBodies.String(body, "scope") is { } scope)
            {
                g.Scope = scope.Trim();
            }
        }
        return GraphBodies.NoContent();
    }

    private static GraphResponse Delete(GraphCall call)
    {
        lock (call.Tenant.Sync)
        {
            if (!call.Tenant.PermissionGrants.Remove(call.Values["id"]))
            {
                throw GraphException.NotFound(call.Values["id"]);
            }
        }
        return GraphBodies.NoContent();
    }

    public static JsonObject Json(OAuth2PermissionGrant g) => new()
    {
        ["clientId"] = g.ClientId,
        ["consentType"] = g.ConsentType,
        ["id"] = g.Id,
        ["principalId"] = g.PrincipalId,
        ["resourceId"] = g.ResourceId,
        ["scope"] = g.Scope,
    };
}
