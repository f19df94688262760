using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>GET /policies/defaultAppManagementPolicy: the tenant-wide secret lifetime restriction addPassword enforces.</summary>
internal static class PolicyEndpoints
{
    public static readonly GraphPermission Read = new(
        ["Policy.Read.All", "Policy.Read.ApplicationConfiguration", "Policy.ReadWrite.ApplicationConfiguration"],
        ["Policy.Read.All", "Policy.Read.ApplicationConfiguration", "Policy.ReadWrite.ApplicationConfiguration"]);

    // Restrictions are dated like a long-standing policy so they apply to every app the sandbox creates.
    private static readonly DateTimeOffset DefaultRestrictFrom = new(2019, 10, 19, 10, 37, 0, TimeSpan.Zero);

    public static void Map(GraphRouter r)
    {
        r.MapGet("/policies/defaultAppManagementPolicy", RequestCost.Read(1), Read, call =>
        {
            AppManagementPolicy p;
            lock (call.Tenant.Sync)
            {
                p = call.Tenant.AppManagementPolicy;
            }

            return GraphCall.Ok(ODataPaging.Entity(call.Request, "policies/defaultAppManagementPolicy", Json(p), "tenantAppManagementPolicy"));
        });
    }

    public static JsonObject Json(AppManagementPolicy p)
    {
        var passwords = new JsonArray();
        if (p.MaxPasswordLifetime is { } max)
        {
            passwords.Add(new JsonObject
            {
                ["restrictionType"] = "passwordLifetime",
                ["state"] = "enabled",
                ["maxLifetime"] = AppManagementPolicy.FormatDuration(max),
                ["restrictForAppsCreatedAfterDateTime"] = GraphJson.Date(p.RestrictForAppsCreatedAfter ?? DefaultRestrictFrom),
                ["excludeActors"] = null,
            });
        }
        return new JsonObject
        {
            ["id"] = AppManagementPolicy.DefaultId,
            ["deletedDateTime"] = null,
            ["displayName"] = "Default app management tenant policy",
            ["description"] = "Default tenant policy that enforces app management restrictions on applications and service principals. To apply policy to targeted resources, create a new policy under appManagementPolicies collection.",
            ["isEnabled"] = p.IsEnabled,
            ["applicationRestrictions"] = new JsonObject { ["passwordCredentials"] = passwords, ["keyCredentials"] = new JsonArray() },
            ["servicePrincipalRestrictions"] = new JsonObject { ["passwordCredentials"] = new JsonArray(), ["keyCredentials"] = new JsonArray() },
        };
    }
}
