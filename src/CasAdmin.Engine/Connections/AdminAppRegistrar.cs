using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Graph;
using CasAdmin.Engine.Operations;
using Microsoft.Graph.Models;
using Microsoft.Identity.Client;

namespace CasAdmin.Engine.Connections;

/// <summary>
/// Register-CasAdminApp, once per tenant: with a Global Administrator's bootstrap connection (through Microsoft Graph
/// Command Line Tools), create the tenant's own public-client app, its service principal and the tenant-wide grant
/// of its delegated permissions, then remember its client id for Connect-CasTenant. Every step looks before it
/// writes, so a rerun completes what an interrupted run left and creates nothing twice.
/// </summary>
internal static class AdminAppRegistrar
{
    public static async Task<CasAdminApp> RegisterAsync(CasConnection admin, RegisterAdminAppRequest request, IOperationObserver observer, CancellationToken ct)
    {
        // A tenant-wide grant of Microsoft Graph permissions takes a Global Administrator (or Privileged Role
        // Administrator); say so before anything is created rather than after the app exists without consent.
        await RoleCheck.RequireAsync(admin, [], ct).ConfigureAwait(false);

        var directory = new DirectoryClient(admin.Context.Graph, admin.Permissions);
        var ledger = ReplicationLedger.Shared;
        var scope = ReplicationLedger.TenantOf(admin);
        var (app, created) = await FindOrCreateAsync(directory, admin, request, observer, ct).ConfigureAwait(false);

        // What this process created moments ago may not have replicated yet: wait for exactly those objects.
        var appIsNew = created || ledger.IsNewApp(scope, app.AppId!);
        var (principal, principalCreated) = await directory.EnsureServicePrincipalAsync(app.AppId!, ct, appIsNew, ledger.IsNewServicePrincipal(scope, app.AppId!)).ConfigureAwait(false);
        if (principalCreated)
        {
            ledger.ServicePrincipal(scope, app.AppId!);
        }

        var principalIsNew = principalCreated || ledger.IsNewServicePrincipal(scope, app.AppId!);
        await GrantAsync(directory, principal.Id!, principalIsNew, observer, ct).ConfigureAwait(false);
        if (created)
        {
            await WaitUntilSignInKnowsAppAsync(admin, app.AppId!, observer, ct).ConfigureAwait(false);
        }

        AdminAppRegistry.Remember(new AdminAppRegistry.Entry(admin.Environment, admin.TenantId,
            admin.TenantDomain is { } domain && !string.Equals(domain, request.Tenant, StringComparison.OrdinalIgnoreCase) ? [domain, request.Tenant] : [request.Tenant],
            app.AppId!, app.DisplayName ?? request.DisplayName, DateTimeOffset.UtcNow));
        observer.Verbose($"Remembered app {app.AppId} for tenant {admin.TenantDomain ?? admin.TenantId} in {AdminAppRegistry.FilePath}.");

        return new CasAdminApp
        {
            TenantId = admin.TenantId,
            TenantDomain = admin.TenantDomain,
            Environment = admin.Environment,
            DisplayName = app.DisplayName ?? request.DisplayName,
            AppId = app.AppId!,
            ObjectId = app.Id!,
            ServicePrincipalId = principal.Id!,
            Permissions = RegisterAdminAppRequest.Permissions,
            Created = created,
            RememberedIn = AdminAppRegistry.FilePath,
        };
    }

    private static async Task<(Application App, bool Created)> FindOrCreateAsync(DirectoryClient directory, CasConnection admin, RegisterAdminAppRequest request, IOperationObserver observer, CancellationToken ct)
    {
        // The app remembered for this tenant wins, whatever its name is now (an admin may have renamed it).
        var ledger = ReplicationLedger.Shared;
        if (AdminAppRegistry.Find(admin.Environment, admin.TenantId) is { } remembered
            && await FindRememberedAsync(directory, ReplicationLedger.TenantOf(admin), remembered.ClientId, ct).ConfigureAwait(false) is { } known)
        {
            observer.Verbose($"Found the app '{known.DisplayName}' ({known.AppId}) registered earlier; completing it.");
            return (known, false);
        }

        var existing = await directory.FindApplicationByNameAsync(request.DisplayName, ct).ConfigureAwait(false);
        if (existing is null && ledger.AppNamed(ReplicationLedger.TenantOf(admin), request.DisplayName) is { } mine)
        {
            // This process created it moments ago and Graph does not list it yet: wait for it rather than create a second one.
            observer.Verbose($"The app '{request.DisplayName}' ({mine.AppId}) was created moments ago; waiting for Entra ID to list it.");
            existing = await DirectoryClient.FindNewAsync("the new app", c => directory.FindApplicationByNameAsync(request.DisplayName, c), ct).ConfigureAwait(false);
        }

        if (existing is not null)
        {
            if (existing.Tags?.Contains(AdminApp.Tag) != true)
            {
                throw new CasException(ErrorIds.AppNameTaken, CasErrorCategory.ResourceExists,
                    $"An app named '{request.DisplayName}' already exists in {admin.TenantDomain ?? admin.TenantId} and was not created by Register-CasAdminApp. Nothing was changed.",
                    $"Choose another -DisplayName, or sign in with that app: Connect-CasTenant -TenantId {request.Tenant} -ClientId {existing.AppId}.", existing.AppId);
            }

            observer.Verbose($"Found the app '{existing.DisplayName}' ({existing.AppId}) from an earlier run; completing it.");
            return (existing, false);
        }

        observer.Verbose($"Creating the public-client app '{request.DisplayName}' with {AdminApp.DelegatedScopes.Count} delegated Microsoft Graph permissions.");
        var app = new Application
        {
            DisplayName = request.DisplayName,
            Description = "Sign-in for people using the CasAdmin PowerShell module (interactive and device code). Created by Register-CasAdminApp.",
            SignInAudience = "AzureADMyOrg",

            // A public client: no secret; the system browser returns to the loopback address, and device code
            // sign-in needs "Allow public client flows" (isFallbackPublicClient).
            IsFallbackPublicClient = true,
            PublicClient = new Microsoft.Graph.Models.PublicClientApplication { RedirectUris = [AdminApp.LoopbackRedirectUri] },
            Tags = [AdminApp.Tag],
            RequiredResourceAccess =
            [
                new RequiredResourceAccess
                {
                    ResourceAppId = GraphPermissions.GraphAppId,
                    ResourceAccess = AdminApp.DelegatedScopes.Select(s => new ResourceAccess { Id = s.Id, Type = "Scope" }).ToList(),
                },
            ],
        };
        var made = await directory.CreateApplicationAsync(app, ct).ConfigureAwait(false);
        ledger.App(ReplicationLedger.TenantOf(admin), made.AppId!, made.Id!, request.DisplayName);
        return (made, true);
    }

    private static async Task<Application?> FindRememberedAsync(DirectoryClient directory, string tenantId, string appId, CancellationToken ct) =>
        ReplicationLedger.Shared.IsNewApp(tenantId, appId)
            ? await DirectoryClient.FindNewAsync("the new app", c => directory.FindApplicationByAppIdAsync(appId, c), ct).ConfigureAwait(false)
            : await directory.FindApplicationByAppIdAsync(appId, ct).ConfigureAwait(false);

    /// <summary>How long the setup waits for Entra ID to accept the new app at sign-in before it leaves that to Connect-CasTenant.</summary>
    internal static TimeSpan SignInWaitBudget { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Entra ID replicates a new app within seconds to minutes; until then a sign-in with it fails with AADSTS700016
    /// (AppNotFound), and the administrator's first Connect-CasTenant right after the setup would fail. A device-code
    /// request is the probe: Entra answers it for a known public client before anyone signs in (the probe abandons
    /// the code at once; it expires unused), and refuses it with AADSTS700016 while the app is unknown.
    /// </summary>
    private static async Task WaitUntilSignInKnowsAppAsync(CasConnection admin, string appId, IOperationObserver observer, CancellationToken ct)
    {
        var endpoints = admin.Context.Endpoints;
        var sandbox = endpoints.Cloud == CasCloud.Sandbox;
        var builder = PublicClientApplicationBuilder.Create(appId)
            .WithAuthority(new Uri(endpoints.AuthorityHost, admin.TenantId + "/").AbsoluteUri, validateAuthority: !sandbox)
            .WithHttpClientFactory(admin.Context.Http)
            .WithLogging(static (_, _, _) => { }, LogLevel.Error, enablePiiLogging: false, enableDefaultPlatformLogging: false);
        if (sandbox)
        {
            builder = builder.WithInstanceDiscovery(false);
        }

        var probe = builder.Build();
        bool UnknownApp(Exception e) => e is MsalException m
            && EntraErrorTranslator.Translate(m, appId, admin.TenantId, SignInPurpose.Connection, endpoints.AuthorityHost.Authority).ErrorId == ErrorIds.AppNotFound;

        async Task<bool> ProbeAsync(CancellationToken c)
        {
            using var answered = CancellationTokenSource.CreateLinkedTokenSource(c);
            try
            {
                await probe.AcquireTokenWithDeviceCode([endpoints.GraphResource + "/User.Read"], _ =>
                {
                    answered.Cancel();
                    return Task.CompletedTask;
                }).ExecuteAsync(answered.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (answered.IsCancellationRequested && !c.IsCancellationRequested)
            {
                // Entra issued a device code: it knows the app.
            }
            catch (MsalException ex) when (!UnknownApp(ex))
            {
                // Anything else is for the sign-in itself to report, with its own error id; the setup is done.
                observer.Verbose($"The sign-in probe for app {appId} answered {ex.ErrorCode}; not waiting.");
            }

            return true;
        }

        // The replication pipeline waits, shows the wait and bounds it; AADSTS700016 is the only signal here.
        using var budget = Replication.Within(SignInWaitBudget);
        try
        {
            await Replication.AfterCreateAsync(ProbeAsync, "the new app at sign-in", UnknownApp, ct).ConfigureAwait(false);
        }
        catch (CasException ex) when (ex.ErrorId == ErrorIds.ReplicationTimeout)
        {
            observer.Warning($"Entra ID does not accept the new app {appId} at sign-in yet (after {SignInWaitBudget.TotalSeconds:0} s). It is registered and remembered; if Connect-CasTenant answers AppNotFound, run it again in a few minutes.");
        }
    }

    /// <summary>Admin consent for every user: one AllPrincipals grant on Microsoft Graph, completed when scopes are missing.</summary>
    private static async Task GrantAsync(DirectoryClient directory, string servicePrincipalId, bool principalIsNew, IOperationObserver observer, CancellationToken ct)
    {
        var graphSp = await directory.GraphServicePrincipalAsync(ct).ConfigureAwait(false);
        var grant = (await directory.DelegatedGrantsAsync(servicePrincipalId, ct, principalIsNew).ConfigureAwait(false))
            .FirstOrDefault(g => g.ConsentType == "AllPrincipals" && string.Equals(g.ResourceId, graphSp.Id, StringComparison.OrdinalIgnoreCase));
        if (grant is null)
        {
            observer.Verbose($"Granting admin consent for every user: {AdminApp.ConsentScope}.");
            await directory.GrantDelegatedAsync(servicePrincipalId, graphSp.Id!, AdminApp.ConsentScope, ct, principalIsNew).ConfigureAwait(false);
            return;
        }

        var held = (grant.Scope ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var missing = AdminApp.DelegatedScopes.Select(s => s.Name).Where(s => !held.Contains(s, StringComparer.OrdinalIgnoreCase)).ToArray();
        if (missing.Length == 0)
        {
            return;
        }

        observer.Verbose($"Adding {string.Join(", ", missing)} to the app's admin consent.");
        var scope = string.Join(' ', held.Concat(missing));
        await directory.Gateway.CallAsync(async (g, c) =>
        {
            await g.Oauth2PermissionGrants[grant.Id].PatchAsync(new OAuth2PermissionGrant { Scope = scope }, cancellationToken: c).ConfigureAwait(false);
            return true;
        }, grant.Id, ct, ["DelegatedPermissionGrant.ReadWrite.All"], null).ConfigureAwait(false);
    }
}
