using CasAdmin.Sandbox.Tenants;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// Moves applications and service principals to deleted items the way Entra does: a service principal takes its app-role
/// assignments (given and received) and delegated grants with it, and deleting an application deletes its service
/// principal in the home tenant too. Restore brings everything back. Call under the tenant lock.
/// </summary>
internal static class DirectoryRecycler
{
    public static void DeleteApplication(TenantState t, Application app, DateTimeOffset now, int replicationBoundMs = 0)
    {
        t.Applications.Remove(app.Id);
        var sp = t.FindServicePrincipalByAppId(app.AppId);
        if (sp is not null)
        {
            DeleteServicePrincipal(t, sp, now, replicationBoundMs);
        }

        t.DeletedItems.Add(new DeletedDirectoryObject
        {
            Id = app.Id,
            TypeName = "application",
            Item = app,
            DisplayName = app.DisplayName,
            DeletedDateTime = now,
            ReplicationShare = ReplicationLag.Draw(),
            ReplicationBoundMs = replicationBoundMs,
            Json = () => GraphJson.Application(app),
            Restore = () => t.Applications[app.Id] = app,
        });
    }

    public static void DeleteServicePrincipal(TenantState t, ServicePrincipal sp, DateTimeOffset now, int replicationBoundMs = 0)
    {
        t.ServicePrincipals.Remove(sp.Id);
        var assignments = t.AppRoleAssignments.Values
            .Where(a => a.PrincipalId.Equals(sp.Id, StringComparison.OrdinalIgnoreCase) || a.ResourceId.Equals(sp.Id, StringComparison.OrdinalIgnoreCase)).ToList();
        foreach (var a in assignments)
        {
            t.AppRoleAssignments.Remove(a.Id);
        }

        var grants = t.PermissionGrants.Values
            .Where(g => g.ClientId.Equals(sp.Id, StringComparison.OrdinalIgnoreCase) || g.ResourceId.Equals(sp.Id, StringComparison.OrdinalIgnoreCase)).ToList();
        foreach (var g in grants)
        {
            t.PermissionGrants.Remove(g.Id);
        }

        t.DeletedItems.Add(new DeletedDirectoryObject
        {
            Id = sp.Id,
            TypeName = "servicePrincipal",
            Item = sp,
            DisplayName = sp.DisplayName,
            DeletedDateTime = now,
            ReplicationShare = ReplicationLag.Draw(),
            ReplicationBoundMs = replicationBoundMs,
            Json = () => GraphJson.ServicePrincipal(sp),
            Restore = () =>
            {
                t.ServicePrincipals[sp.Id] = sp;
                foreach (var a in assignments.Where(a => t.ServicePrincipals.ContainsKey(a.PrincipalId) && t.ServicePrincipals.ContainsKey(a.ResourceId)))
                {
                    t.AppRoleAssignments[a.Id] = a;
                }

                foreach (var g in grants.Where(g => t.ServicePrincipals.ContainsKey(g.ClientId) && t.ServicePrincipals.ContainsKey(g.ResourceId)))
                {
                    t.PermissionGrants[g.Id] = g;
                }
            },
        });
    }
}
