using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Graph;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;
using Microsoft.Graph.Models;

namespace CasAdmin.Engine.Provisioning;

/// <summary>
/// Registers the customer's own Teams Chat app. Idempotent: the app is found again by its name and
/// CasAdmin's tag, so a second run — or a run after a crash or a lost response — completes the same app
/// instead of creating another. Entra ID replicates what this creates after a delay; every step after the create waits
/// for it (<see cref="Replication"/>), and a rerun inside the wait budget finds the app, principal and secret it made
/// even while Graph does not list them yet.
/// </summary>
internal sealed class TeamsChatAppProvisioner(ISecretVault vault)
{
    /// <summary>Marks apps CasAdmin registered, so it never adopts an app someone else named alike.</summary>
    public const string Tag = "CasAdmin.TeamsChat";

    public const string SecretDisplayName = "CasAdmin";

    public async Task<CasTeamsChatApp> RunAsync(CasConnection admin, NewTeamsChatAppRequest request, IOperationObserver observer, CancellationToken ct)
    {
        Validate(request);
        var store = RegistryStore.Open(admin.StorePath);
        store.EnsureWritable();
        await RoleCheck.RequireAsync(admin, GraphPermissions.ProvisioningAdminRoles, ct).ConfigureAwait(false);
        var directory = new DirectoryClient(admin.Context.Graph, admin.Permissions);
        var redirectUri = NewTeamsChatAppRequest.RedirectUriFor(request.ConsoleUrl!, request.ConsoleKind);
        using var progress = new ProgressTracker(observer, $"Creating the Teams Chat app '{request.DisplayName}'", total: request.GrantAdminConsent ? 4 : 3);

        using var budget = Replication.Within(request.ReplicationTimeout);
        var ledger = ReplicationLedger.Shared;
        var tenantId = admin.TenantId;
        var scope = ReplicationLedger.TenantOf(admin);

        progress.Report(0, "Registering the app", force: true);
        await CheckSecretPolicyAsync(admin, request.SecretLifetime, observer, ct).ConfigureAwait(false);
        var (app, created) = await FindOrCreateAsync(directory, scope, request, redirectUri, observer, ct).ConfigureAwait(false);
        var appId = app.AppId!;
        var appIsNew = created || ledger.IsNewApp(scope, appId);

        progress.Report(1, "Creating the service principal", force: true);
        var (principal, principalCreated) = await directory.EnsureServicePrincipalAsync(appId, ct, appIsNew, ledger.IsNewServicePrincipal(scope, appId)).ConfigureAwait(false);
        if (principalCreated)
        {
            ledger.ServicePrincipal(scope, appId);
        }

        var principalIsNew = principalCreated || ledger.IsNewServicePrincipal(scope, appId);

        progress.Report(2, "Adding a client secret", force: true);
        var (password, secretText) = await EnsureSecretAsync(directory, tenantId, scope, app, created, appIsNew, request.SecretLifetime, observer, ct).ConfigureAwait(false);
        var consented = false;
        if (request.GrantAdminConsent)
        {
            progress.Report(3, "Granting admin consent", force: true);
            await AdminConsent.GrantAsync(directory, scope, appId, principal.Id!, observer, ct, principalIsNew).ConfigureAwait(false);
            consented = true;
        }

        await AuditAsync(store, admin, app, created, consented, ct).ConfigureAwait(false);
        return new CasTeamsChatApp
        {
            TenantId = admin.TenantId,
            DisplayName = app.DisplayName!,
            AppId = app.AppId!,
            ObjectId = app.Id!,
            ServicePrincipalId = principal.Id!,
            SignInAudience = app.SignInAudience!,
            RedirectUri = redirectUri,
            Created = created,
            ConsentGranted = consented,
            SecretKeyId = password?.KeyId?.ToString() ?? string.Empty,
            SecretHint = password?.Hint ?? SecretKeys.Hint(secretText),
            SecretExpiresOn = password?.EndDateTime ?? DateTimeOffset.UtcNow + request.SecretLifetime,
            AdminConsentUrl = AdminConsent.ConsentUrl(admin.Context.Endpoints, admin.TenantId, app.AppId!, redirectUri),
            Secret = SecureStrings.Protect(secretText),
        };
    }

    private static void Validate(NewTeamsChatAppRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.DisplayName) || request.DisplayName.Length > 120)
        {
            throw CasException.InvalidArgument("The app's display name must be 1 to 120 characters.", "Give -DisplayName a shorter name.", request.DisplayName);
        }

        if (request.ConsoleUrl is not { IsAbsoluteUri: true } url || url.Scheme != Uri.UriSchemeHttps)
        {
            throw CasException.InvalidArgument($"The console URL '{request.ConsoleUrl}' is not an absolute https URL.",
                "Give -ConsoleUrl the address of your management console, e.g. https://admin.example.com.", request.ConsoleUrl?.ToString());
        }

        ValidateSecretLifetime(request.SecretLifetime, DateTimeOffset.UtcNow);
        Replication.Validate(request.ReplicationTimeout);
    }

    /// <summary>
    /// A client secret lives more than zero and at most ten calendar years from now (Entra's own limit on
    /// the Entra admin center; ten years from 2026-12-01 is 3,653 days because of three leap days).
    /// </summary>
    internal static void ValidateSecretLifetime(TimeSpan lifetime, DateTimeOffset now)
    {
        if (lifetime <= TimeSpan.Zero || now + lifetime > now.AddYears(10))
        {
            throw CasException.InvalidArgument(
                string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"The secret lifetime {lifetime.TotalDays:0.##} days is not valid: it must be more than zero and at most ten years (until {now.AddYears(10):yyyy-MM-dd})."),
                "Give -SecretLifetime a number of days or a TimeSpan such as (New-TimeSpan -Days 180).",
                lifetime.ToString());
        }
    }

    /// <summary>
    /// The app's secret for this run. A secret this session already holds for the app (an earlier run's, kept the moment
    /// it was added) is used again: adding another would leave a secret on the app that nothing records. Otherwise a new
    /// one is added and kept in the session at once, so a run that fails later (e.g. waiting for replication) loses nothing.
    /// </summary>
    private async Task<(PasswordCredential? Key, string Secret)> EnsureSecretAsync(DirectoryClient directory, string tenantId, string scope, Application app, bool created, bool appIsNew, TimeSpan lifetime, IOperationObserver observer, CancellationToken ct)
    {
        var appId = app.AppId!;
        var ours = app.PasswordCredentials?.Where(p => p.DisplayName == SecretDisplayName).ToList() ?? [];
        if (vault.Recall(tenantId, appId) is { } known && SecretKeys.Match(app, known) is { } key && key.DisplayName == SecretDisplayName)
        {
            observer.Verbose($"Using the client secret ({key.Hint}…) an earlier run of this session added to the app; no new secret is added.");
            return (key, known);
        }

        if (ours.Count > 0)
        {
            // A secret's value is shown once; an earlier session's value cannot be recovered, so a new one is added.
            observer.Warning($"The app already has {ours.Count} secret(s) CasAdmin added in an earlier session; a new one is added. Remove unused ones with Update-CasServiceAccountSecret -Rotate.");
        }

        PasswordCredential password;
        try
        {
            password = await directory.AddPasswordAsync(app.Id!, SecretDisplayName, DateTimeOffset.UtcNow + lifetime, ct, appIsNew).ConfigureAwait(false);
        }
        catch (CasException ex) when (ex.ErrorId == ErrorIds.SecretPolicyRefused && created)
        {
            // No half-created app: what this run created goes again.
            await directory.DeleteAsync((g, c) => g.Applications[app.Id].DeleteAsync(cancellationToken: c), app.Id!, ["Application.ReadWrite.All"], CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        var secret = password.SecretText ?? string.Empty;
        vault.Remember(tenantId, appId, secret);
        ReplicationLedger.Shared.Secret(scope, appId, secret);
        return (password, secret);
    }

    private static async Task<(Application App, bool Created)> FindOrCreateAsync(DirectoryClient directory, string tenantId, NewTeamsChatAppRequest request, string redirectUri, IOperationObserver observer, CancellationToken ct)
    {
        var existing = await directory.FindApplicationByNameAsync(request.DisplayName, ct).ConfigureAwait(false);
        if (existing is null && ReplicationLedger.Shared.AppNamed(tenantId, request.DisplayName) is { } mine)
        {
            // This process created it moments ago and Graph does not list it yet: wait for it rather than create a second one.
            observer.Verbose($"The app '{request.DisplayName}' ({mine.AppId}) was created moments ago by an earlier run; waiting for Entra ID to list it.");
            existing = await DirectoryClient.FindNewAsync("the new app", c => directory.FindApplicationByNameAsync(request.DisplayName, c), ct).ConfigureAwait(false);
        }

        if (existing is not null)
        {
            if (existing.Tags?.Contains(Tag) != true)
            {
                throw new CasException(ErrorIds.AppNameTaken, CasErrorCategory.ResourceExists,
                    $"An app named '{request.DisplayName}' already exists and was not created by CasAdmin.",
                    "Choose another -DisplayName, or provision with that app's id and secret (New-CasTeamsChatAccount -AppId).", existing.AppId);
            }

            observer.Verbose($"Found the app '{request.DisplayName}' ({existing.AppId}) from an earlier run; completing it.");
            return (existing, false);
        }

        var app = new Application
        {
            DisplayName = request.DisplayName,
            SignInAudience = request.MultiTenant ? "AzureADMultipleOrgs" : "AzureADMyOrg",
            Web = new WebApplication { RedirectUris = [redirectUri] },
            Tags = [Tag],
            RequiredResourceAccess =
            [
                new RequiredResourceAccess
                {
                    ResourceAppId = GraphPermissions.GraphAppId,
                    ResourceAccess = GraphPermissions.TeamsChatApp
                        .Select(p => new ResourceAccess { Id = p.Id, Type = p.IsApplication ? "Role" : "Scope" })
                        .ToList(),
                },
            ],
        };

        try
        {
            var made = await directory.CreateApplicationAsync(app, ct).ConfigureAwait(false);
            ReplicationLedger.Shared.App(tenantId, made.AppId!, made.Id!, request.DisplayName);
            return (made, true);
        }
        catch (Exception ex) when (IsAmbiguous(ex) && !ct.IsCancellationRequested)
        {
            // The create may have been applied with its answer lost: look before creating again.
            observer.Verbose("The answer to the create was lost; checking whether the app exists.");
            Application found;
            try
            {
                // The create may not have been applied at all: look for a minute at most, not the whole budget.
                using var shorter = Replication.Within(Replication.Timeout < TimeSpan.FromMinutes(1) ? Replication.Timeout : TimeSpan.FromMinutes(1));
                found = await DirectoryClient.FindNewAsync("the new app", c => directory.FindApplicationByNameAsync(request.DisplayName, c), ct).ConfigureAwait(false);
            }
            catch (CasException notFound) when (notFound.ErrorId is ErrorIds.ResourceNotFound or ErrorIds.ReplicationTimeout)
            {
                // The create was not applied after all: the failure to report is the one that lost the answer.
                throw ex is CasException cas ? cas : notFound;
            }

            ReplicationLedger.Shared.App(tenantId, found.AppId!, found.Id!, request.DisplayName);
            return (found, true);
        }
    }

    /// <summary>
    /// Refuses a lifetime the tenant's default app management policy forbids before anything is created. A
    /// connection that may not read the policy skips the check; addPassword then reports the refusal.
    /// </summary>
    private static async Task CheckSecretPolicyAsync(CasConnection admin, TimeSpan lifetime, IOperationObserver observer, CancellationToken ct)
    {
        Microsoft.Graph.Models.TenantAppManagementPolicy? policy;
        try
        {
            policy = await admin.Context.Graph.CallAsync((g, c) => g.Policies.DefaultAppManagementPolicy.GetAsync(cancellationToken: c), "defaultAppManagementPolicy", ct).ConfigureAwait(false);
        }
        catch (CasException ex) when (ex.ErrorId is ErrorIds.InsufficientPrivileges or ErrorIds.ResourceNotFound)
        {
            observer.Debug("The tenant's app management policy could not be read; checking the secret lifetime is left to Entra ID.");
            return;
        }

        if (policy?.IsEnabled != true)
        {
            return;
        }

        foreach (var restriction in policy.ApplicationRestrictions?.PasswordCredentials ?? [])
        {
            var kind = restriction.RestrictionType?.ToString();
            if (string.Equals(kind, "passwordAddition", StringComparison.OrdinalIgnoreCase))
            {
                throw new CasException(ErrorIds.SecretPolicyRefused, CasErrorCategory.SecurityError,
                    "The tenant's app management policy does not allow client secrets on new apps; nothing was created.",
                    "Have the policy allow client secrets for this app, or ask your administrator for an exemption.");
            }

            if (string.Equals(kind, "passwordLifetime", StringComparison.OrdinalIgnoreCase) && restriction.MaxLifetime is { } max && lifetime > max)
            {
                throw new CasException(ErrorIds.SecretPolicyRefused, CasErrorCategory.SecurityError,
                    $"The tenant's app management policy allows client secrets of at most {max.TotalDays:0} days; {lifetime.TotalDays:0} were asked for. Nothing was created.",
                    $"Run again with -SecretLifetime (New-TimeSpan -Days {max.TotalDays:0}) or less.");
            }
        }
    }

    /// <summary>A failure after which the service may or may not have applied a write.</summary>
    internal static bool IsAmbiguous(Exception ex) =>
        ex is HttpRequestException or IOException
        || (ex is CasException c && (c.ErrorId is ErrorIds.ServiceUnavailable or ErrorIds.TenantUnreachable or ErrorIds.RequestTimedOut
            || c.StatusCode is 500 or 502 or 503 or 504));

    private static async Task AuditAsync(RegistryStore store, CasConnection admin, Application app, bool created, bool consented, CancellationToken ct)
    {
        await new AccountRepository(store).AuditAsync(KnownTenant.Of(admin), new AuditEntry(AuditEntry.ActorOf(admin), admin.TenantId, null, "NewTeamsChatApp", app.AppId, "Succeeded",
            $"{(created ? "created" : "completed")} app {app.DisplayName}; secret added{(consented ? "; admin consent granted" : string.Empty)}"), ct).ConfigureAwait(false);
    }
}
