using System.Globalization;
using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Graph;
using CasAdmin.Engine.Operations;

namespace CasAdmin.Engine.Provisioning;

/// <summary>Admin consent for the Teams Chat app done through Graph: five app-role assignments and one delegated grant.</summary>
internal static class AdminConsent
{
    /// <summary>
    /// Grants what is missing; what is already granted is left alone. Returns how many grants were added. Each role
    /// granted is noted in the <see cref="ReplicationLedger"/>, so the sign-in that follows waits for it to reach the token
    /// (and a rerun moments later does not grant it twice while Graph does not list it yet). With principalIsNew (this
    /// process created the principal moments ago) 404s about it are waited out.
    /// </summary>
    public static async Task<int> GrantAsync(DirectoryClient directory, string tenantId, string appId, string servicePrincipalId, IOperationObserver observer, CancellationToken ct, bool principalIsNew = false)
    {
        var ledger = ReplicationLedger.Shared;
        var graphSp = await directory.GraphServicePrincipalAsync(ct).ConfigureAwait(false);
        var assigned = (await directory.AppRoleAssignmentsAsync(servicePrincipalId, ct, principalIsNew).ConfigureAwait(false))
            .Where(a => string.Equals(a.ResourceId?.ToString(), graphSp.Id, StringComparison.OrdinalIgnoreCase))
            .Select(a => a.AppRoleId)
            .ToHashSet();
        var added = 0;
        foreach (var role in GraphPermissions.TeamsChatAppRoles.Where(r => !assigned.Contains(r.Id)))
        {
            if (ledger.IsNewConsent(tenantId, appId, role.Name))
            {
                observer.Verbose($"{role.Name} was granted moments ago and is not listed yet; not granting it twice.");
                continue;
            }

            observer.Verbose($"Granting {role.Name} to the app.");
            await directory.AssignAppRoleAsync(graphSp.Id!, servicePrincipalId, role.Id, ct, principalIsNew).ConfigureAwait(false);
            ledger.Consent(tenantId, appId, [role.Name]);
            added++;
        }

        var grants = await directory.DelegatedGrantsAsync(servicePrincipalId, ct, principalIsNew).ConfigureAwait(false);
        var hasUserRead = grants.Any(g => g.ConsentType == "AllPrincipals"
            && string.Equals(g.ResourceId, graphSp.Id, StringComparison.OrdinalIgnoreCase)
            && (g.Scope ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(GraphPermissions.UserRead.Name, StringComparer.OrdinalIgnoreCase));
        if (!hasUserRead)
        {
            observer.Verbose("Granting User.Read for all users.");
            await directory.GrantDelegatedAsync(servicePrincipalId, graphSp.Id!, GraphPermissions.UserRead.Name, ct, principalIsNew).ConfigureAwait(false);
            added++;
        }

        return added;
    }

    public static Uri ConsentUrl(CloudEndpoints endpoints, string tenant, string appId, string redirectUri) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"{endpoints.AuthorityHost.AbsoluteUri}{Uri.EscapeDataString(tenant)}/v2.0/adminconsent?client_id={Uri.EscapeDataString(appId)}&scope={Uri.EscapeDataString(endpoints.DefaultScope)}&redirect_uri={Uri.EscapeDataString(redirectUri)}&state={Guid.NewGuid():N}"));
}
