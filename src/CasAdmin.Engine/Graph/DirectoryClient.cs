using CasAdmin.Engine.Provisioning;
using Microsoft.Graph.Applications.Item.AddPassword;
using Microsoft.Graph.Applications.Item.RemovePassword;
using Microsoft.Graph.Models;

namespace CasAdmin.Engine.Graph;

/// <summary>
/// The directory operations provisioning and deprovisioning share, each one idempotent where it writes:
/// look up before create, 404 on delete means done.
/// </summary>
internal sealed class DirectoryClient(GraphGateway graph, IReadOnlyCollection<string> heldPermissions)
{
    public GraphGateway Gateway => graph;

    public async Task<Application?> FindApplicationByNameAsync(string displayName, CancellationToken ct)
    {
        var page = await graph.CallAsync((g, c) => g.Applications.GetAsync(r =>
        {
            r.QueryParameters.Filter = $"displayName eq '{Escape(displayName)}'";
            r.QueryParameters.Select = ["id", "appId", "displayName", "tags", "signInAudience", "web", "passwordCredentials", "requiredResourceAccess"];
        }, c), displayName, ct, ["Application.Read.All"], heldPermissions).ConfigureAwait(false);
        return page?.Value?.FirstOrDefault();
    }

    public async Task<Application?> FindApplicationByAppIdAsync(string appId, CancellationToken ct)
    {
        var page = await graph.CallAsync((g, c) => g.Applications.GetAsync(r =>
        {
            r.QueryParameters.Filter = $"appId eq '{Escape(appId)}'";
            r.QueryParameters.Select = ["id", "appId", "displayName", "tags", "signInAudience", "web", "passwordCredentials", "requiredResourceAccess"];
        }, c), appId, ct, ["Application.Read.All"], heldPermissions).ConfigureAwait(false);
        return page?.Value?.FirstOrDefault();
    }

    public Task<Application> CreateApplicationAsync(Application application, CancellationToken ct) =>
        graph.CallAsync(async (g, c) => (await g.Applications.PostAsync(application, cancellationToken: c).ConfigureAwait(false))!,
            application.DisplayName, ct, ["Application.ReadWrite.All"], heldPermissions);

    public Task<PasswordCredential> AddPasswordAsync(string applicationObjectId, string displayName, DateTimeOffset endDateTime, CancellationToken ct) =>
        Replication.AfterCreateAsync(c => graph.CallAsync(async (g, c2) => (await g.Applications[applicationObjectId].AddPassword.PostAsync(
            new AddPasswordPostRequestBody { PasswordCredential = new PasswordCredential { DisplayName = displayName, EndDateTime = endDateTime } },
            cancellationToken: c2).ConfigureAwait(false))!, applicationObjectId, c, ["Application.ReadWrite.All"], heldPermissions), ct);

    /// <summary>Removes a secret; a key that is already gone counts as removed.</summary>
    public async Task RemovePasswordAsync(string applicationObjectId, Guid keyId, CancellationToken ct)
    {
        try
        {
            await graph.CallAsync(async (g, c) =>
            {
                await g.Applications[applicationObjectId].RemovePassword.PostAsync(new RemovePasswordPostRequestBody { KeyId = keyId }, cancellationToken: c).ConfigureAwait(false);
                return true;
            }, applicationObjectId, ct, ["Application.ReadWrite.All"], heldPermissions).ConfigureAwait(false);
        }
        catch (Errors.CasException ex) when (ex.ErrorId == Errors.ErrorIds.ResourceNotFound || ex.StatusCode == 400)
        {
            // 400 "No password credential found with keyId": the goal — the key is gone — holds.
        }
    }

    public async Task<ServicePrincipal?> FindServicePrincipalAsync(string appId, CancellationToken ct)
    {
        var page = await graph.CallAsync((g, c) => g.ServicePrincipals.GetAsync(r =>
        {
            r.QueryParameters.Filter = $"appId eq '{Escape(appId)}'";
            r.QueryParameters.Select = ["id", "appId", "displayName", "accountEnabled", "appRoles", "servicePrincipalType", "tags"];
        }, c), appId, ct, ["Application.Read.All"], heldPermissions).ConfigureAwait(false);
        return page?.Value?.FirstOrDefault();
    }

    public async Task<(ServicePrincipal Principal, bool Created)> EnsureServicePrincipalAsync(string appId, CancellationToken ct)
    {
        if (await FindServicePrincipalAsync(appId, ct).ConfigureAwait(false) is { } existing)
        {
            return (existing, false);
        }

        // The app was usually created moments ago: its appId may not have replicated yet.
        var created = await Replication.AfterCreateAsync(c => graph.CallAsync(
            async (g, c2) => (await g.ServicePrincipals.PostAsync(new ServicePrincipal { AppId = appId }, cancellationToken: c2).ConfigureAwait(false))!,
            appId, c, ["Application.ReadWrite.All"], heldPermissions), ct).ConfigureAwait(false);
        return (created, true);
    }

    public async Task<ServicePrincipal> GraphServicePrincipalAsync(CancellationToken ct) =>
        await FindServicePrincipalAsync(GraphPermissions.GraphAppId, ct).ConfigureAwait(false)
        ?? throw new Errors.CasException(Errors.ErrorIds.ResourceNotFound, Errors.CasErrorCategory.ObjectNotFound,
            "The Microsoft Graph service principal was not found in the tenant.", "Check that the tenant is a Microsoft 365 tenant.");

    public async Task<List<AppRoleAssignment>> AppRoleAssignmentsAsync(string servicePrincipalId, CancellationToken ct)
    {
        var page = await graph.CallAsync((g, c) => g.ServicePrincipals[servicePrincipalId].AppRoleAssignments.GetAsync(cancellationToken: c),
            servicePrincipalId, ct, ["Application.Read.All"], heldPermissions).ConfigureAwait(false);
        return page?.Value ?? [];
    }

    public Task<AppRoleAssignment> AssignAppRoleAsync(string resourceId, string principalId, Guid appRoleId, CancellationToken ct) =>
        Replication.AfterCreateAsync(c => graph.CallAsync(async (g, c2) => (await g.ServicePrincipals[resourceId].AppRoleAssignedTo.PostAsync(
            new AppRoleAssignment { PrincipalId = Guid.Parse(principalId), ResourceId = Guid.Parse(resourceId), AppRoleId = appRoleId },
            cancellationToken: c2).ConfigureAwait(false))!, principalId, c, ["AppRoleAssignment.ReadWrite.All"], heldPermissions), ct);

    public async Task<List<OAuth2PermissionGrant>> DelegatedGrantsAsync(string clientServicePrincipalId, CancellationToken ct)
    {
        var page = await graph.CallAsync((g, c) => g.Oauth2PermissionGrants.GetAsync(r => r.QueryParameters.Filter = $"clientId eq '{Escape(clientServicePrincipalId)}'", c),
            clientServicePrincipalId, ct, ["Directory.Read.All"], heldPermissions).ConfigureAwait(false);
        return page?.Value ?? [];
    }

    public Task<OAuth2PermissionGrant> GrantDelegatedAsync(string clientId, string resourceId, string scope, CancellationToken ct) =>
        Replication.AfterCreateAsync(c => graph.CallAsync(async (g, c2) => (await g.Oauth2PermissionGrants.PostAsync(
            new OAuth2PermissionGrant { ClientId = clientId, ConsentType = "AllPrincipals", ResourceId = resourceId, Scope = scope },
            cancellationToken: c2).ConfigureAwait(false))!, clientId, c, ["DelegatedPermissionGrant.ReadWrite.All"], heldPermissions), ct);

    /// <summary>OData string literals double their single quotes.</summary>
    public static string Escape(string value) => value.Replace("'", "''", StringComparison.Ordinal);
}
