using CasAdmin.Sandbox.Hosting;
using CasAdmin.Sandbox.Tenants;

namespace CasAdmin.Sandbox.Control;

/// <summary>GET /_sandbox/tenants/{tenantId}/state (id or domain): a snapshot of the tenant's directory for diffs.</summary>
internal static class TenantStateEndpoint
{
    public static void Map(RouteGroupBuilder g, SandboxRuntime rt)
    {
        g.MapGet("/tenants/{tenantId}/state", (string tenantId) =>
        {
            var t = rt.Store.Find(tenantId);
            if (t is null)
            {
                return Results.Json(new { error = $"Unknown tenant '{tenantId}'." }, ControlJson.Options, statusCode: 404);
            }

            return Results.Json(Snapshot(t, rt.Time.GetUtcNow()), ControlJson.Options);
        });
    }

    public static SandboxTenantState Snapshot(TenantState t, DateTimeOffset now)
    {
        lock (t.Sync)
        {
            return new SandboxTenantState(t.Id, t.Domain)
            {
                UserCount = t.Users.Count,
                Users = t.Users.Explicit.Concat(t.Users.ChangedGenerated)
                    .Select(u => new SandboxStateUser(u.Id, u.UserPrincipalName, u.DisplayName, u.AccountEnabled)).ToList(),
                Applications = t.Applications.Values
                    .Select(a => new SandboxStateApplication(a.Id, a.AppId, a.DisplayName, a.PasswordCredentials.Count, a.KeyCredentials.Count)).ToList(),
                ServicePrincipals = t.ServicePrincipals.Values
                    .Select(s => new SandboxStateServicePrincipal(s.Id, s.AppId, s.DisplayName, s.ServicePrincipalType, s.AccountEnabled)).ToList(),
                AppRoleAssignments = t.AppRoleAssignments.Values
                    .Select(a => new SandboxStateAppRoleAssignment(a.Id, a.PrincipalId, a.ResourceId, a.AppRoleId)).ToList(),
                Oauth2PermissionGrants = t.PermissionGrants.Values
                    .Select(g => new SandboxStateGrant(g.Id, g.ClientId, g.ResourceId, g.ConsentType, g.Scope)).ToList(),
                Groups = t.Groups.Values.Select(g => new SandboxStateGroup(g.Id, g.DisplayName, [.. g.Members])).ToList(),
                RoleAssignments = t.RoleAssignments
                    .Select(r => new SandboxStateRoleAssignment(r.Id, r.PrincipalId, r.RoleTemplateId, r.State.ToString())).ToList(),
                DeletedItems = t.DeletedItems.List(null, now).Select(d => new SandboxStateDeletedItem(d.Id, d.TypeName, d.DisplayName)).ToList(),
            };
        }
    }
}
