using System.Security.Cryptography;
using CasAdmin.Sandbox.Scenarios;

namespace CasAdmin.Sandbox.Tenants;

/// <summary>
/// What happens when a person accepts Entra's consent prompt during sign-in: a delegated grant for that person only
/// (consentType Principal) on Microsoft Graph, holding the scopes the app asked for. Permissions marked "Admin" need
/// an administrator (learn.microsoft.com/entra/identity/enterprise-apps/grant-admin-consent: Global Administrator,
/// Privileged Role Administrator, Cloud Application Administrator or Application Administrator for delegated
/// permissions); anyone else gets no grant, and the token request then fails with consent_required (AADSTS65001),
/// as Entra's "Need admin approval" does. The tenant's user-consent settings are not modelled: users may consent to
/// "User" scopes.
/// </summary>
internal static class UserConsent
{
    private static readonly string[] ConsentingRoles =
    [
        DirectoryRoleCatalog.GlobalAdministrator,
        "e8611ab8-c189-46e8-94e1-60213ab1f814", // Privileged Role Administrator
        "158c047a-c907-4556-b7ef-446551a6b5f7", // Cloud Application Administrator
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", // Application Administrator
    ];

    /// <summary>Records the consent; returns false when the person may not consent to every scope asked for.</summary>
    public static bool Accept(TenantState t, string clientAppId, string userId, IReadOnlyList<string> graphScopes)
    {
        if (graphScopes.Count == 0)
        {
            return true;
        }

        lock (t.Sync)
        {
            var client = t.FindServicePrincipalByAppId(clientAppId);
            if (client is null)
            {
                return false;
            }

            var needsAdmin = graphScopes.Any(s => GraphPermissionCatalog.FindScope(s)?.Type == "Admin");
            if (needsAdmin && !t.ActiveRoleTemplates(userId).Any(r => ConsentingRoles.Contains(r, StringComparer.OrdinalIgnoreCase)))
            {
                return false;
            }

            var resource = t.GraphServicePrincipal;
            var grant = t.PermissionGrants.Values.FirstOrDefault(g => g.ConsentType == "Principal"
                && g.ClientId.Equals(client.Id, StringComparison.OrdinalIgnoreCase) && g.ResourceId.Equals(resource.Id, StringComparison.OrdinalIgnoreCase)
                && string.Equals(g.PrincipalId, userId, StringComparison.OrdinalIgnoreCase));
            if (grant is null)
            {
                grant = new OAuth2PermissionGrant
                {
                    Id = ScenarioLoader.Base64UrlEncode(RandomNumberGenerator.GetBytes(32))[..43],
                    ClientId = client.Id,
                    ConsentType = "Principal",
                    PrincipalId = userId,
                    ResourceId = resource.Id,
                    Scope = string.Empty,
                };
                t.PermissionGrants[grant.Id] = grant;
            }
            var scopes = grant.Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            scopes.AddRange(graphScopes.Where(s => !scopes.Contains(s, StringComparer.OrdinalIgnoreCase)));
            grant.Scope = string.Join(' ', scopes);
            return true;
        }
    }
}
