using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// GET /roleManagement/directory/roleEligibilitySchedules ($filter principalId eq '…'): the tenant's PIM-eligible
/// directory roles. App-only callers need a role-management permission; a signed-in user may always read their own.
/// </summary>
internal static class RoleEligibilityEndpoints
{
    public static readonly GraphPermission Read = new(
        ["RoleEligibilitySchedule.Read.Directory", "RoleEligibilitySchedule.ReadWrite.Directory", "RoleManagement.Read.Directory", "RoleManagement.Read.All", "RoleManagement.ReadWrite.Directory"],
        ["RoleEligibilitySchedule.Read.Directory", "RoleEligibilitySchedule.ReadWrite.Directory", "RoleManagement.Read.Directory", "RoleManagement.Read.All", "RoleManagement.ReadWrite.Directory"]);

    public static void Map(GraphRouter r)
    {
        // Permission checked in the handler: a delegated caller reading their own eligibilities needs no admin scope.
        r.MapGet("/roleManagement/directory/roleEligibilitySchedules", RequestCost.Read(1), null, call =>
        {
            var t = call.Tenant;
            List<JsonObject> all;
            lock (t.Sync)
            {
                all = t.RoleAssignments.Where(a => a.State == RoleAssignmentState.Eligible)
                    .OrderBy(a => a.Id, StringComparer.Ordinal).Select(a => Json(t, a)).ToList();
            }
            var items = ApplicationEndpoints.Filter(call, all).ToList();
            if (call.Principal.IsApp || items.Any(i => !i["principalId"]!.GetValue<string>().Equals(call.Principal.ObjectId, StringComparison.OrdinalIgnoreCase)))
            {
                GraphBodies.Demand(call, Read);
            }
            return GraphCall.Ok(ODataPaging.Page(call.Request, "roleManagement/directory/roleEligibilitySchedules", "unifiedRoleEligibilitySchedule", offset => items.Skip(offset)));
        });
    }

    public static JsonObject Json(TenantState t, DirectoryRoleAssignment a) => new()
    {
        ["id"] = a.Id,
        ["principalId"] = a.PrincipalId,
        ["roleDefinitionId"] = a.RoleTemplateId,
        ["directoryScopeId"] = a.DirectoryScopeId,
        ["appScopeId"] = null,
        ["createdUsing"] = a.Id,
        ["createdDateTime"] = GraphJson.Date(t.CreatedDateTime),
        ["modifiedDateTime"] = null,
        ["status"] = "Provisioned",
        ["memberType"] = "Direct",
        ["scheduleInfo"] = new JsonObject
        {
            ["startDateTime"] = GraphJson.Date(t.CreatedDateTime),
            ["recurrence"] = null,
            ["expiration"] = new JsonObject { ["type"] = "noExpiration", ["endDateTime"] = null, ["duration"] = null },
        },
    };
}
