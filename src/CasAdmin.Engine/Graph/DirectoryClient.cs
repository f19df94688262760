using CasAdmin.Engine.Domain;
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

    /// <summary>Adds a client secret. With appIsNew (this process created the app moments ago) a 404 means "not replicated yet" and is waited out.</summary>
    public Task<PasswordCredential> AddPasswordAsync(string applicationObjectId, string displayName, DateTimeOffset endDateTime, CancellationToken ct, bool appIsNew = false) =>
        WaitIf(appIsNew, "the new app", c => graph.CallAsync(async (g, c2) => (await g.Applications[applicationObjectId].AddPassword.PostAsync(
            new AddPasswordPostRequestBody { PasswordCredential = new PasswordCredential { DisplayName = displayName, EndDateTime = endDateTime } },
            cancellationToken: c2).ConfigureAwait(false))!, applicationObjectId, c, ["Application.ReadWrite.All"], heldPermissions), ct);

    /// <summary>Waits out a 404 about an object this process just created (<paramref name="wait"/>); otherwise runs the call once.</summary>
    private static Task<T> WaitIf<T>(bool wait, string what, Func<CancellationToken, Task<T>> call, CancellationToken ct) =>
        wait ? Replication.AfterCreateAsync(call, what, static e => e is Errors.CasException { ErrorId: Errors.ErrorIds.ResourceNotFound }, ct) : call(ct);

    /// <summary>Finds an object this process just created, waiting while it is not yet listed.</summary>
    public static Task<T> FindNewAsync<T>(string what, Func<CancellationToken, Task<T?>> find, CancellationToken ct)
        where T : class =>
        WaitIf(true, what, async c => await find(c).ConfigureAwait(false)
            ?? throw new Errors.CasException(Errors.ErrorIds.ResourceNotFound, Errors.CasErrorCategory.ObjectNotFound, $"Microsoft Graph does not list {what} yet.", "Try again shortly."), ct);

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

        // A SharePoint add-in ("Legacy") principal can share the App Id; it is not the app's principal.
        return page?.Value?.FirstOrDefault(p => !string.Equals(p.ServicePrincipalType, "Legacy", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The app's service principal, created when missing. With appIsNew (this process created the app moments ago) 400
    /// NoBackingApplicationObject means "not replicated yet"; with principalIsNew (an earlier run created it moments ago)
    /// it is waited for until listed instead of created again.
    /// </summary>
    public async Task<(ServicePrincipal Principal, bool Created)> EnsureServicePrincipalAsync(string appId, CancellationToken ct, bool appIsNew = false, bool principalIsNew = false)
    {
        if (principalIsNew)
        {
            return (await FindNewAsync("the new service principal", c => FindServicePrincipalAsync(appId, c), ct).ConfigureAwait(false), false);
        }

        if (await FindServicePrincipalAsync(appId, ct).ConfigureAwait(false) is { } existing)
        {
            return (existing, false);
        }

        Task<ServicePrincipal> Create(CancellationToken c) => graph.CallAsync(
            async (g, c2) => (await g.ServicePrincipals.PostAsync(new ServicePrincipal { AppId = appId }, cancellationToken: c2).ConfigureAwait(false))!,
            appId, c, ["Application.ReadWrite.All"], heldPermissions);
        var created = appIsNew
            ? await Replication.AfterCreateAsync(Create, "the new app", static e => e is Errors.CasException { ServiceErrorCode: Replication.NoBackingApplicationObject }, ct).ConfigureAwait(false)
            : await Create(ct).ConfigureAwait(false);
        return (created, true);
    }

    public async Task<ServicePrincipal> GraphServicePrincipalAsync(CancellationToken ct) =>
        await FindServicePrincipalAsync(GraphPermissions.GraphAppId, ct).ConfigureAwait(false)
        ?? throw new Errors.CasException(Errors.ErrorIds.ResourceNotFound, Errors.CasErrorCategory.ObjectNotFound,
            "The Microsoft Graph service principal was not found in the tenant.", "Check that the tenant is a Microsoft 365 tenant.");

    public async Task<List<AppRoleAssignment>> AppRoleAssignmentsAsync(string servicePrincipalId, CancellationToken ct, bool principalIsNew = false)
    {
        var page = await WaitIf(principalIsNew, "the new service principal", c0 => graph.CallAsync((g, c) => g.ServicePrincipals[servicePrincipalId].AppRoleAssignments.GetAsync(cancellationToken: c),
            servicePrincipalId, c0, ["Application.Read.All"], heldPermissions), ct).ConfigureAwait(false);
        return page?.Value ?? [];
    }

    public Task<AppRoleAssignment> AssignAppRoleAsync(string resourceId, string principalId, Guid appRoleId, CancellationToken ct, bool principalIsNew = false) =>
        WaitIf(principalIsNew, "the new service principal", c => graph.CallAsync(async (g, c2) => (await g.ServicePrincipals[resourceId].AppRoleAssignedTo.PostAsync(
            new AppRoleAssignment { PrincipalId = Guid.Parse(principalId), ResourceId = Guid.Parse(resourceId), AppRoleId = appRoleId },
            cancellationToken: c2).ConfigureAwait(false))!, principalId, c, ["AppRoleAssignment.ReadWrite.All"], heldPermissions), ct);

    public async Task<List<OAuth2PermissionGrant>> DelegatedGrantsAsync(string clientServicePrincipalId, CancellationToken ct, bool principalIsNew = false)
    {
        var page = await WaitIf(principalIsNew, "the new service principal", c0 => graph.CallAsync((g, c) => g.Oauth2PermissionGrants.GetAsync(r => r.QueryParameters.Filter = $"clientId eq '{Escape(clientServicePrincipalId)}'", c),
            clientServicePrincipalId, c0, ["Directory.Read.All"], heldPermissions), ct).ConfigureAwait(false);
        return page?.Value ?? [];
    }

    public Task<OAuth2PermissionGrant> GrantDelegatedAsync(string clientId, string resourceId, string scope, CancellationToken ct, bool principalIsNew = false) =>
        WaitIf(principalIsNew, "the new service principal", c => graph.CallAsync(async (g, c2) => (await g.Oauth2PermissionGrants.PostAsync(
            new OAuth2PermissionGrant { ClientId = clientId, ConsentType = "AllPrincipals", ResourceId = resourceId, Scope = scope },
            cancellationToken: c2).ConfigureAwait(false))!, clientId, c, ["DelegatedPermissionGrant.ReadWrite.All"], heldPermissions), ct);

    /// <summary>Runs a delete; an object already gone counts as deleted, so every removal step can be repeated.</summary>
    public async Task<bool> DeleteAsync(Func<Microsoft.Graph.GraphServiceClient, CancellationToken, Task> delete, string target, IReadOnlyCollection<string> required, CancellationToken ct)
    {
        try
        {
            await graph.CallAsync(async (g, c) =>
            {
                await delete(g, c).ConfigureAwait(false);
                return true;
            }, target, ct, required, heldPermissions).ConfigureAwait(false);
            return true;
        }
        catch (Errors.CasException ex) when (ex.ErrorId == Errors.ErrorIds.ResourceNotFound)
        {
            return false;
        }
    }

    public async Task<List<ServicePrincipal>> ListServicePrincipalsAsync(string filter, CancellationToken ct)
    {
        var all = new List<ServicePrincipal>();
        var page = await graph.CallAsync((g, c) => g.ServicePrincipals.GetAsync(r =>
        {
            r.QueryParameters.Filter = filter;
            r.QueryParameters.Select = ["id", "appId", "displayName", "accountEnabled", "servicePrincipalType", "tags"];
            r.QueryParameters.Top = 999;
        }, c), "servicePrincipals", ct, ["Application.Read.All"], heldPermissions).ConfigureAwait(false);
        while (page?.Value is { } items)
        {
            all.AddRange(items);
            if (page.OdataNextLink is not { } next)
            {
                break;
            }

            page = await graph.CallAsync((g, c) => g.ServicePrincipals.WithUrl(next).GetAsync(cancellationToken: c), "servicePrincipals", ct).ConfigureAwait(false);
        }

        return all;
    }

    public async Task<List<Application>> ListApplicationsAsync(string filter, CancellationToken ct)
    {
        var page = await graph.CallAsync((g, c) => g.Applications.GetAsync(r =>
        {
            r.QueryParameters.Filter = filter;
            r.QueryParameters.Select = ["id", "appId", "displayName", "tags"];
            r.QueryParameters.Top = 999;
        }, c), "applications", ct, ["Application.Read.All"], heldPermissions).ConfigureAwait(false);
        return page?.Value ?? [];
    }

    public async Task<List<Group>> FindGroupsAsync(string displayName, CancellationToken ct)
    {
        var page = await graph.CallAsync((g, c) => g.Groups.GetAsync(r =>
        {
            r.QueryParameters.Filter = $"displayName eq '{Escape(displayName)}'";
            r.QueryParameters.Select = ["id", "displayName"];
        }, c), displayName, ct, ["Group.Read.All"], heldPermissions).ConfigureAwait(false);
        return page?.Value ?? [];
    }

    public async Task<List<UnifiedRoleAssignment>> DirectoryRoleAssignmentsAsync(string principalId, CancellationToken ct)
    {
        var page = await graph.CallAsync((g, c) => g.RoleManagement.Directory.RoleAssignments.GetAsync(
            r => r.QueryParameters.Filter = $"principalId eq '{Escape(principalId)}'", c), principalId, ct, ["RoleManagement.Read.Directory"], heldPermissions).ConfigureAwait(false);
        return page?.Value ?? [];
    }

    /// <summary>A user by id or UPN, or null when there is none.</summary>
    public async Task<User?> FindUserAsync(string idOrUpn, CancellationToken ct)
    {
        try
        {
            return await graph.CallAsync((g, c) => g.Users[idOrUpn].GetAsync(r => r.QueryParameters.Select = ["id", "userPrincipalName", "accountEnabled", "displayName"], c),
                idOrUpn, ct, ["User.Read.All"], heldPermissions).ConfigureAwait(false);
        }
        catch (Errors.CasException ex) when (ex.ErrorId == Errors.ErrorIds.ResourceNotFound)
        {
            return null;
        }
    }

    /// <summary>OData string literals double their single quotes.</summary>
    public static string Escape(string value) => value.Replace("'", "''", StringComparison.Ordinal);
}
