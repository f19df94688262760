using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Scenarios;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// Directory RBAC: GET/POST /roleManagement/directory/roleAssignments (active assignments, the same ones wids and
/// /me/transitiveMemberOf show), GET/DELETE …/roleAssignments/{id}. PIM-eligible ones are in RoleEligibilityEndpoints.
/// </summary>
internal static class RoleAssignmentEndpoints
{
    public static readonly GraphPermission Read = new(
        ["RoleManagement.Read.Directory", "RoleManagement.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.Read.All", "Directory.ReadWrite.All"],
        ["RoleManagement.Read.Directory", "RoleManagement.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"]);

    public static readonly GraphPermission Write = new(["RoleManagement.ReadWrite.Directory"], ["RoleManagement.ReadWrite.Directory"]);

    private const string Base = "/roleManagement/directory";

    public static void Map(GraphRouter r)
    {
        r.MapGet(Base + "/roleAssignments", RequestCost.Read(1), Read, call => List(call, RoleAssignmentState.Active, "roleManagement/directory/roleAssignments", "unifiedRoleAssignment"));
        r.Map("POST", Base + "/roleAssignments", RequestCost.Write(), Write, call => Task.FromResult(Create(call)));
        r.MapGet(Base + "/roleAssignments/{id}", RequestCost.Read(1), Read, call =>
        {
            JsonObject json;
            lock (call.Tenant.Sync)
            {
                json = Json(Find(call.Tenant, call.Values["id"]));
            }

            return GraphCall.Ok(ODataPaging.Entity(call.Request, "roleManagement/directory/roleAssignments", json, "unifiedRoleAssignment"));
        });
        r.Map("DELETE", Base + "/roleAssignments/{id}", RequestCost.Write(), Write, call =>
        {
            lock (call.Tenant.Sync)
            {
                var a = Find(call.Tenant, call.Values["id"]);
                call.Tenant.RoleAssignments.Remove(a); // role assignments are deleted for good, not soft-deleted
            }
            return Task.FromResult(GraphBodies.NoContent());
        });
    }

    private static DirectoryRoleAssignment Find(TenantState t, string id) =>
        t.RoleAssignments.FirstOrDefault(a => a.State == RoleAssignmentState.Active && a.Id.Equals(id, StringComparison.Ordinal)) ?? throw GraphException.NotFound(id);

    private static GraphResponse List(GraphCall call, RoleAssignmentState state, string entitySet, string typeName)
    {
        List<JsonObject> all;
        lock (call.Tenant.Sync)
        {
            all = call.Tenant.RoleAssignments.Where(a => a.State == state).Select(Json).ToList();
        }
        return GraphCall.Ok(ODataPaging.Page(call.Request, entitySet, typeName, offset => ApplicationEndpoints.Filter(call, all).Skip(offset)));
    }

    private static GraphResponse Create(GraphCall call)
    {
        var body = GraphBodies.Body(call);
        var roleDefinitionId = GraphBodies.String(body, "roleDefinitionId") ?? throw Invalid("roleDefinitionId");
        var principalId = GraphBodies.String(body, "principalId") ?? throw Invalid("principalId");
        var scope = GraphBodies.String(body, "directoryScopeId") ?? "/";
        if (!scope.StartsWith('/'))
        {
            throw Invalid("directoryScopeId");
        }

        if (!DirectoryRoleCatalog.Templates.ContainsKey(roleDefinitionId))
        {
            throw new GraphException(404, "Request_ResourceNotFound", $"The role definition with id '{roleDefinitionId}' was not found.");
        }
        var t = call.Tenant;
        var now = call.Runtime.Time.GetUtcNow();
        JsonObject json;
        lock (t.Sync)
        {
            if (GroupEndpoints.DirectoryObject(t, principalId) is null)
            {
                throw new GraphException(400, "Request_BadRequest", $"Invalid value specified for property 'principalId': '{principalId}' does not exist.");
            }
            if (t.Groups.TryGetValue(principalId, out var group) && group.IsAssignableToRole != true)
            {
                throw new GraphException(400, "Request_BadRequest", "Only groups that can be assigned to roles (isAssignableToRole) may hold a directory role.");
            }
            if (t.RoleAssignments.Any(a => a.State == RoleAssignmentState.Active && a.PrincipalId.Equals(principalId, StringComparison.OrdinalIgnoreCase)
                    && a.RoleTemplateId.Equals(roleDefinitionId, StringComparison.OrdinalIgnoreCase) && a.DirectoryScopeId == scope))
            {
                var conflict = GraphErrors.Create(call.Request, 400, "Request_BadRequest", "A conflicting object with one or more of the specified property values is present in the directory.", now);
                conflict.DuplicateCreate = true;
                return conflict;
            }
            var assignment = new DirectoryRoleAssignment
            {
                Id = ScenarioLoader.Base64UrlEncode(RandomNumberGenerator.GetBytes(32))[..43],
                PrincipalId = principalId.ToLowerInvariant(),
                RoleTemplateId = roleDefinitionId.ToLowerInvariant(),
                State = RoleAssignmentState.Active,
                DirectoryScopeId = scope,
            };
            t.RoleAssignments.Add(assignment);
            json = Json(assignment);
        }
        return GraphBodies.Created(call, "roleManagement/directory/roleAssignments", json);
    }

    public static JsonObject Json(DirectoryRoleAssignment a) => new()
    {
        ["id"] = a.Id,
        ["principalId"] = a.PrincipalId,
        ["directoryScopeId"] = a.DirectoryScopeId,
        ["roleDefinitionId"] = a.RoleTemplateId,
        ["appScopeId"] = null,
        ["condition"] = null,
    };

    private static GraphException Invalid(string property) =>
        new(400, "Request_BadRequest", $"Invalid value specified for property '{property}' of resource 'UnifiedRoleAssignment'.");
}
