using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Scenarios;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// POST /servicePrincipals {appId}, DELETE /servicePrincipals/{id} (to deleted items), app-role assignments both ways
/// (GET/POST …/appRoleAssignedTo on the resource, GET/POST …/appRoleAssignments on the principal, DELETE either).
/// A new principal and a new assignment replicate after their own delay (<see cref="ReplicationLag"/>): until then the
/// principal reads 404 and the assignment is missing from lists and from the roles of the tokens issued.
/// </summary>
internal static class ServicePrincipalWriteEndpoints
{
    public static readonly GraphPermission AssignmentRead = new(
        ["Application.Read.All", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
        ["Application.Read.All", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "Directory.Read.All", "Directory.AccessAsUser.All"]);

    public static readonly GraphPermission AssignmentWrite = new(
        ["AppRoleAssignment.ReadWrite.All"],
        ["AppRoleAssignment.ReadWrite.All", "Directory.AccessAsUser.All"]);

    private const string DefaultAccess = "00000000-0000-0000-0000-000000000000";

    public static void Map(GraphRouter r)
    {
        r.Map("POST", "/servicePrincipals", RequestCost.Write(), ApplicationWriteEndpoints.Write, call => Task.FromResult(Create(call)));
        r.Map("DELETE", "/servicePrincipals/{id}", RequestCost.Write(), ApplicationWriteEndpoints.Write, call => Task.FromResult(Delete(call)));

        r.MapGet("/servicePrincipals/{id}/appRoleAssignedTo", RequestCost.Read(2), AssignmentRead, call => List(call, byResource: true));
        r.MapGet("/servicePrincipals/{id}/appRoleAssignments", RequestCost.Read(2), AssignmentRead, call => List(call, byResource: false));
        r.Map("POST", "/servicePrincipals/{id}/appRoleAssignedTo", RequestCost.Write(), AssignmentWrite, call => Task.FromResult(Assign(call, pathIsResource: true)));
        r.Map("POST", "/servicePrincipals/{id}/appRoleAssignments", RequestCost.Write(), AssignmentWrite, call => Task.FromResult(Assign(call, pathIsResource: false)));
        r.Map("DELETE", "/servicePrincipals/{id}/appRoleAssignedTo/{assignmentId}", RequestCost.Write(), AssignmentWrite, call => Task.FromResult(Unassign(call, pathIsResource: true)));
        r.Map("DELETE", "/servicePrincipals/{id}/appRoleAssignments/{assignmentId}", RequestCost.Write(), AssignmentWrite, call => Task.FromResult(Unassign(call, pathIsResource: false)));
    }

    private static GraphResponse Create(GraphCall call)
    {
        var body = GraphBodies.Body(call);
        var appId = GraphBodies.String(body, "appId") ?? throw GraphException.BadRequest("Property 'appId' is required for resource 'servicePrincipal'.");
        var t = call.Tenant;
        var app = call.Runtime.Store.FindApplication(appId, t);
        JsonObject json;
        string id;
        lock (t.Sync)
        {
            // The application must exist (and be replicated); a multi-tenant app of another tenant may be installed too.
            if (app is null || (ReferenceEquals(t.Applications.GetValueOrDefault(app.Id), app) && !GraphBodies.Visible(call, app)))
            {
                return NoBackingApplicationObject(call, appId);
            }
            if (t.FindServicePrincipalByAppId(appId) is not null)
            {
                var conflict = GraphErrors.Create(call.Request, 409, "Request_MultipleObjectsWithSameKeyValue",
                    $"The service principal cannot be created, updated, or restored because the service principal name {appId} is already in use.", call.Runtime.Time.GetUtcNow());
                conflict.DuplicateCreate = true;
                return conflict;
            }
            var sp = new ServicePrincipal
            {
                Id = Guid.NewGuid().ToString(),
                AppId = app.AppId,
                DisplayName = app.DisplayName,
                AccountEnabled = GraphBodies.Bool(body, "accountEnabled") ?? true,
                AppOwnerOrganizationId = app.HomeTenantId,
                SignInAudience = app.SignInAudience,
                CreatedDateTime = call.Runtime.Time.GetUtcNow(),
                ReplicationShare = ReplicationLag.Draw(),
                ReplicationBoundMs = call.Runtime.Replication.LagMs,
            };
            sp.ServicePrincipalNames.Add(app.AppId);
            sp.ReplyUrls.AddRange(app.WebRedirectUris);
            sp.Tags.AddRange(GraphBodies.Strings(body, "tags") ?? []);
            t.ServicePrincipals[sp.Id] = sp;
            json = GraphJson.ServicePrincipal(sp);
            id = sp.Id;
        }
        return GraphBodies.Created(call, "servicePrincipals", json, $"{id}/Microsoft.DirectoryServices.ServicePrincipal");
    }

    /// <summary>
    /// The answer Entra gives for an app it does not know, or has not replicated yet. Microsoft's reference documents no
    /// body for it; the shape (code Request_BadRequest, details[] with code NoBackingApplicationObject and target appId)
    /// is a real answer quoted on Microsoft Q&amp;A (learn.microsoft.com/answers/questions/5883620) and in public issue reports.
    /// </summary>
    private static GraphResponse NoBackingApplicationObject(GraphCall call, string appId)
    {
        var message = $"The appId '{appId}' of the service principal does not reference a valid application object.";
        var r = GraphErrors.Create(call.Request, 400, "Request_BadRequest", message, call.Runtime.Time.GetUtcNow());
        r.Body!["error"]!["details"] = new JsonArray(new JsonObject { ["code"] = "NoBackingApplicationObject", ["message"] = message, ["target"] = "appId" });
        return r;
    }

    private static GraphResponse Delete(GraphCall call)
    {
        lock (call.Tenant.Sync)
        {
            var sp = GraphBodies.ServicePrincipal(call, call.Values["id"]);
            DirectoryRecycler.DeleteServicePrincipal(call.Tenant, sp, call.Runtime.Time.GetUtcNow(), call.Runtime.Replication.LagMs);
        }
        return GraphBodies.NoContent();
    }

    private static GraphResponse List(GraphCall call, bool byResource)
    {
        var id = call.Values["id"];
        List<JsonObject> items;
        lock (call.Tenant.Sync)
        {
            GraphBodies.ServicePrincipal(call, id);
            items = call.Tenant.AppRoleAssignments.Values
                .Where(a => (byResource ? a.ResourceId : a.PrincipalId).Equals(id, StringComparison.OrdinalIgnoreCase) && GraphBodies.Visible(call, a))
                .OrderBy(a => a.CreatedDateTime).ThenBy(a => a.Id, StringComparer.Ordinal)
                .Select(Json).ToList();
        }
        var set = $"servicePrincipals('{id}')/{(byResource ? "appRoleAssignedTo" : "appRoleAssignments")}";
        return GraphCall.Ok(ODataPaging.Page(call.Request, set, "appRoleAssignment", offset => ApplicationEndpoints.Filter(call, items).Skip(offset)));
    }

    private static GraphResponse Assign(GraphCall call, bool pathIsResource)
    {
        var body = GraphBodies.Body(call);
        var principalId = GraphBodies.RequiredGuid(body, "principalId");
        var resourceId = GraphBodies.RequiredGuid(body, "resourceId");
        var appRoleId = GraphBodies.RequiredGuid(body, "appRoleId");
        var pathId = call.Values["id"];
        if (!(pathIsResource ? resourceId : principalId).Equals(pathId, StringComparison.OrdinalIgnoreCase))
        {
            throw new GraphException(400, "Request_BadRequest", $"The {(pathIsResource ? "resourceId" : "principalId")} in the request body must match the service principal in the request URL.");
        }
        var t = call.Tenant;
        JsonObject json;
        lock (t.Sync)
        {
            var resource = GraphBodies.ServicePrincipal(call, resourceId);
            var principal = GraphBodies.ServicePrincipal(call, principalId);
            if (!appRoleId.Equals(DefaultAccess, StringComparison.Ordinal) && !resource.AppRoles.Any(r => r.Id.Equals(appRoleId, StringComparison.OrdinalIgnoreCase)))
            {
                throw new GraphException(400, "Request_BadRequest", $"Permission being assigned was not found on application '{resource.AppId}'.");
            }
            if (t.AppRoleAssignments.Values.Any(a => a.PrincipalId.Equals(principalId, StringComparison.OrdinalIgnoreCase)
                    && a.ResourceId.Equals(resourceId, StringComparison.OrdinalIgnoreCase) && a.AppRoleId.Equals(appRoleId, StringComparison.OrdinalIgnoreCase)))
            {
                throw new GraphException(400, "Request_BadRequest", "Permission being assigned already exists on the object.");
            }
            var assignment = new AppRoleAssignment
            {
                Id = ScenarioLoader.Base64UrlEncode(RandomNumberGenerator.GetBytes(32))[..43],
                PrincipalId = principal.Id,
                PrincipalDisplayName = principal.DisplayName,
                PrincipalType = "ServicePrincipal",
                ResourceId = resource.Id,
                ResourceDisplayName = resource.DisplayName,
                AppRoleId = appRoleId,
                CreatedDateTime = call.Runtime.Time.GetUtcNow(),
                ReplicationShare = ReplicationLag.Draw(),
                ReplicationBoundMs = call.Runtime.Replication.LagMs,
            };
            t.AppRoleAssignments[assignment.Id] = assignment;
            json = Json(assignment);
        }
        return GraphBodies.Created(call, $"servicePrincipals('{pathId}')/{(pathIsResource ? "appRoleAssignedTo" : "appRoleAssignments")}", json);
    }

    private static GraphResponse Unassign(GraphCall call, bool pathIsResource)
    {
        var id = call.Values["id"];
        var assignmentId = call.Values["assignmentId"];
        lock (call.Tenant.Sync)
        {
            GraphBodies.ServicePrincipal(call, id);
            if (!call.Tenant.AppRoleAssignments.TryGetValue(assignmentId, out var a)
                || !(pathIsResource ? a.ResourceId : a.PrincipalId).Equals(id, StringComparison.OrdinalIgnoreCase))
            {
                throw GraphException.NotFound(assignmentId);
            }
            call.Tenant.AppRoleAssignments.Remove(assignmentId);
        }
        return GraphBodies.NoContent();
    }

    public static JsonObject Json(AppRoleAssignment a) => new()
    {
        ["id"] = a.Id,
        ["deletedDateTime"] = null,
        ["appRoleId"] = a.AppRoleId,
        ["createdDateTime"] = GraphJson.Date(a.CreatedDateTime),
        ["principalDisplayName"] = a.PrincipalDisplayName,
        ["principalId"] = a.PrincipalId,
        ["principalType"] = a.PrincipalType,
        ["resourceDisplayName"] = a.ResourceDisplayName,
        ["resourceId"] = a.ResourceId,
    };
}
