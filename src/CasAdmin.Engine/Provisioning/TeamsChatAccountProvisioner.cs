using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Graph;
using CasAdmin.Engine.Licensing;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Provisioning;

/// <summary>
/// The seed's provisioning procedure as tracked steps: the secret buys an access token ("Grant Permission"),
/// the admin is a Global Administrator (or the app-only equivalent), admin consent is in the token, the
/// licensing model's prerequisites hold, the account is recorded, the Teams Chat data is updated, chat
/// messages are subscribed to, and "Teams Chat protected." is raised. A rerun after an interruption resumes
/// the same account.
/// </summary>
internal sealed class TeamsChatAccountProvisioner(ISecretVault vault)
{
    public const string ProtectedMessage = "Teams Chat protected.";

    private static readonly string[] Steps =
    [
        "Obtain an access token with the app's secret",
        "Verify the Global Administrator",
        "Verify admin consent",
        "Check the licensing model",
        "Record the service account",
        "Update the Teams Chat data",
        "Subscribe to chat messages",
        "Protect Teams Chat",
    ];

    public async Task<CasServiceAccount> RunAsync(CasConnection admin, NewTeamsChatAccountRequest request, IOperationObserver observer, CancellationToken ct)
    {
        ValidateNotificationUrl(request.NotificationUrl, "NotificationUrl");
        ValidateNotificationUrl(request.LifecycleNotificationUrl, "LifecycleNotificationUrl");
        Replication.Validate(request.ReplicationTimeout);
        if (request.LifecycleNotificationUrl is not null && request.NotificationUrl is null)
        {
            throw CasException.InvalidArgument("-LifecycleNotificationUrl needs -NotificationUrl: lifecycle notifications belong to the chat message subscription.",
                "Pass -NotificationUrl too, or leave -LifecycleNotificationUrl out.", request.LifecycleNotificationUrl.OriginalString);
        }

        var store = RegistryStore.Open(admin.StorePath);
        store.EnsureWritable();
        var accounts = new AccountRepository(store);
        var secret = SecureStrings.HasValue(request.ClientSecret) ? SecureStrings.Reveal(request.ClientSecret)
            : vault.Recall(admin.TenantId, request.AppId)
            ?? throw CasException.InvalidArgument("The app's secret is required (the one given was empty or only white space).", "Pass the secret's value with -ClientSecret.", request.AppId);

        var existing = (await accounts.ListAsync(admin.TenantId, CasService.TeamsChat, null, includeRemoved: false, ct).ConfigureAwait(false)).FirstOrDefault();
        if (existing is not null && !(existing.Status == ServiceAccountStatus.Provisioning && string.Equals(existing.AppId, request.AppId, StringComparison.OrdinalIgnoreCase)))
        {
            throw new CasException(ErrorIds.ServiceAccountExists, CasErrorCategory.ResourceExists,
                $"Tenant {admin.TenantDomain ?? admin.TenantId} already has a Teams Chat service account (app {existing.AppId}).",
                "To use another app or secret, run Set-CasServiceAccountApp or Update-CasServiceAccountSecret on the existing account.",
                existing.AccountId.ToString());
        }

        using var progress = new ProgressTracker(observer, "Provisioning the Teams Chat service account", Steps.Length);
        void Step(int index) => progress.Report(index, Steps[index], force: true);
        using var budget = Replication.Within(request.ReplicationTimeout);
        var ledger = ReplicationLedger.Shared;

        Step(0);
        if (!ledger.IsNewApp(ReplicationLedger.TenantOf(admin), request.AppId))
        {
            await RecallRecordedAppAsync(accounts, admin, request.AppId, ct).ConfigureAwait(false);
        }

        using var app = await SignInAsync(admin, request.AppId, secret, ct).ConfigureAwait(false);

        Step(1);
        await RoleCheck.RequireAsync(admin, GraphPermissions.ProvisioningAdminRoles, ct).ConfigureAwait(false);

        Step(2);
        var directory = new DirectoryClient(admin.Context.Graph, admin.Permissions);
        // Objects this process created moments ago may not be listed yet: wait for them; anyone else's are read once.
        var principal = await FindPrincipalAsync(directory, ReplicationLedger.TenantOf(admin), request.AppId, ct).ConfigureAwait(false);
        var application = ledger.IsNewApp(ReplicationLedger.TenantOf(admin), request.AppId)
            ? await DirectoryClient.FindNewAsync("the new app", c => directory.FindApplicationByAppIdAsync(request.AppId, c), ct).ConfigureAwait(false)
            : await directory.FindApplicationByAppIdAsync(request.AppId, ct).ConfigureAwait(false);
        await EnsureConsentAsync(admin, request.AppId, request.GrantAdminConsent, app, directory, principal?.Id, application?.Web?.RedirectUris?.FirstOrDefault(), observer, ct).ConfigureAwait(false);

        Step(3);
        await LicensingValidator.ValidateAsync(admin, request.LicensingModel, app.Graph, observer, ct).ConfigureAwait(false);

        Step(4);
        var key = SecretKeys.Match(application, secret);
        // A rerun may bring another secret of the same app. The recorded entry then keeps the old value until the registry
        // names a new entry: until that commit, the old entry may hold the only copy anyone has.
        var recordedRef = existing?.SecretReference;
        var secretRef = recordedRef;
        if (request.StoreSecret && vault.IsAvailable)
        {
            if (secretRef is null || !string.Equals(vault.Read(secretRef), secret, StringComparison.Ordinal))
            {
                secretRef = Guid.NewGuid().ToString("N");
                vault.Save(secretRef, secret);
            }
        }
        else if (request.StoreSecret)
        {
            observer.Warning(SecretKeys.SessionOnlyWarning(request.AppId));
        }

        var now = DateTimeOffset.UtcNow;
        var account = new CasServiceAccount
        {
            AccountId = existing?.AccountId ?? Guid.NewGuid(),
            TenantId = admin.TenantId,
            TenantDomain = admin.TenantDomain,
            Service = CasService.TeamsChat,
            Kind = ServiceAccountKind.AuthorizedAccount,
            AppId = request.AppId,
            AppObjectId = application?.Id,
            ServicePrincipalId = principal?.Id,
            DisplayName = application?.DisplayName,
            LicensingModel = request.LicensingModel,
            Status = ServiceAccountStatus.Provisioning,
            SecretKeyId = key?.KeyId?.ToString(),
            SecretHint = key?.Hint ?? SecretKeys.Hint(secret),
            SecretExpiresOn = key?.EndDateTime,
            SecretReference = request.StoreSecret && vault.IsAvailable ? secretRef : null,
            TokenState = TokenState.Valid,
            TokenExpiresOn = app.Token.ExpiresOn,
            TokenRoles = app.Identity.Permissions,
            NotificationUrl = request.NotificationUrl?.AbsoluteUri,
            LifecycleNotificationUrl = request.LifecycleNotificationUrl?.AbsoluteUri,
            CreatedOn = existing?.CreatedOn ?? now,
            UpdatedOn = now,
        };
        try
        {
            await accounts.RecordProvisioningAsync(KnownTenant.Of(admin), account, isNew: existing is null,
                AuditEntry.ForAccount(admin, account, "NewTeamsChatAccount", "Recorded", $"model {request.LicensingModel}"), ct).ConfigureAwait(false);
        }
        catch when (secretRef is not null && !string.Equals(secretRef, recordedRef, StringComparison.Ordinal))
        {
            // Nothing names the new entry: take it back, and keep the recorded one.
            vault.Delete(secretRef);
            throw;
        }

        // Recorded: the session's copy and the vault now follow the new secret.
        vault.Remember(admin.TenantId, request.AppId, secret);
        if (recordedRef is not null && !string.Equals(recordedRef, account.SecretReference, StringComparison.Ordinal))
        {
            vault.Delete(recordedRef);
        }

        try
        {
            await FinishAsync(admin, request, store, app, account, progress, observer, ct).ConfigureAwait(false);
        }
        catch (CasException ex)
        {
            // The account is recorded in status Provisioning: say so, and how to finish or remove it.
            var recorded = $" The service account {account.AccountId} is recorded in status Provisioning.";
            throw new CasException(ex.ErrorId, ex.Category, ex.Message + recorded,
                (ex.RecommendedAction is null ? string.Empty : ex.RecommendedAction + " ") +
                $"Then run New-CasTeamsChatAccount again with the same app to finish the provisioning, or remove the record with Remove-CasServiceAccount -AccountId {account.AccountId} -Force.",
                ex.Target, ex)
            {
                ServiceErrorCode = ex.ServiceErrorCode, StatusCode = ex.StatusCode, RequestId = ex.RequestId, TraceId = ex.TraceId, CorrelationId = ex.CorrelationId,
            };
        }

        return (await accounts.GetAsync(account.AccountId, ct).ConfigureAwait(false))!;
    }

    /// <summary>A notification URL is an absolute https URL: Graph refuses anything else, and only after the account is recorded.</summary>
    private static void ValidateNotificationUrl(Uri? url, string parameter)
    {
        if (url is null)
        {
            return;
        }

        if (!url.IsAbsoluteUri || url.Scheme != Uri.UriSchemeHttps)
        {
            throw CasException.InvalidArgument($"-{parameter} '{url.OriginalString}' is not an absolute https URL.",
                $"Give -{parameter} the full https address of the endpoint that receives Graph's notifications, e.g. https://notify.example.com/teams.",
                url.OriginalString);
        }
    }

    private static async Task FinishAsync(CasConnection admin, NewTeamsChatAccountRequest request, RegistryStore store, ServiceAppSession app, CasServiceAccount account, ProgressTracker progress, IOperationObserver observer, CancellationToken ct)
    {
        void Step(int index) => progress.Report(index, Steps[index], force: true);

        Step(5);
        if (request.SkipInventory)
        {
            observer.Information("The Teams Chat data update was skipped (-SkipInventory); run Update-CasTeamsChatInventory later.");
        }
        else
        {
            var result = await new TeamsChatInventory(store, app.Graph, account.AccountId)
                .RunAsync(request.ThrottleLimit, observer, progress.ActivityId, ct).ConfigureAwait(false);
            observer.Verbose($"Teams Chat data updated: {result.Users} users, {result.Chats} chats.");
        }

        Step(6);
        if (request.NotificationUrl is { } url)
        {
            var known = await ChatSubscriptions.ListAsync(store, account.AccountId, ct).ConfigureAwait(false);
            if (known.Count == 0)
            {
                var subscription = await ChatSubscriptions.CreateAsync(app.Graph, request.LicensingModel, url, request.LifecycleNotificationUrl, ct).ConfigureAwait(false);
                await new SubscriptionRepository(store).RecordAsync(account.AccountId, subscription.For(request.LicensingModel), ct).ConfigureAwait(false);
            }
        }

        Step(7);
        var active = account with { Status = ServiceAccountStatus.Active, UpdatedOn = DateTimeOffset.UtcNow };
        await new AccountRepository(store).RecordProtectedAsync(active, ProtectedMessage,
            AuditEntry.ForAccount(admin, account, "NewTeamsChatAccount", "Succeeded", null), ct).ConfigureAwait(false);
        observer.Information(ProtectedMessage, ["Notification", "TeamsChat"]);
    }

    /// <summary>
    /// New-CasTeamsChatApp of another session moments ago: its audit record in the registry is the evidence that CasAdmin
    /// created the app (and granted its consent), so its replication is waited for too. The secret is not: another
    /// session's value cannot be told from a mistyped one.
    /// </summary>
    private static async Task RecallRecordedAppAsync(AccountRepository accounts, CasConnection admin, string appId, CancellationToken ct)
    {
        var since = DateTimeOffset.UtcNow - Replication.Timeout;
        var rows = await accounts.AuditLogAsync(admin.TenantId, null, "NewTeamsChatApp", since, null, 50, ct).ConfigureAwait(false);

        // The detail is CasAdmin's own sentence (TeamsChatAppProvisioner.AuditAsync): "created app …; secret added[; admin consent granted]".
        var row = rows.FirstOrDefault(r => string.Equals(r.Target, appId, StringComparison.OrdinalIgnoreCase) && r.Result == "Succeeded"
            && r.Detail?.StartsWith("created ", StringComparison.Ordinal) == true);
        if (row is not null)
        {
            var consented = row.Detail!.Contains("admin consent granted", StringComparison.Ordinal);
            ReplicationLedger.Shared.Recorded(ReplicationLedger.TenantOf(admin), appId, row.Time, consented ? GraphPermissions.TeamsChatAppRoles.Select(r => r.Name) : []);
        }
    }

    /// <summary>
    /// Signs in as the app. For an app or secret this process created moments ago (<see cref="ReplicationLedger"/>),
    /// AADSTS700016 (app not replicated) and AADSTS7000215 (secret not replicated) are waited out; for anything else they
    /// fail at once: an old app with a wrong secret is InvalidClientSecret straight away.
    /// </summary>
    internal static Task<ServiceAppSession> SignInAsync(CasConnection admin, string appId, string secret, CancellationToken ct)
    {
        var ledger = ReplicationLedger.Shared;
        var appIsNew = ledger.IsNewApp(ReplicationLedger.TenantOf(admin), appId) || ledger.IsNewServicePrincipal(ReplicationLedger.TenantOf(admin), appId);
        var secretIsNew = ledger.IsNewSecret(ReplicationLedger.TenantOf(admin), appId, secret);
        if (!appIsNew && !secretIsNew)
        {
            return ServiceAppSession.SignInAsync(admin, appId, secret, ct);
        }

        return Replication.AfterCreateAsync(c => ServiceAppSession.SignInAsync(admin, appId, secret, c),
            appIsNew && secretIsNew ? "the new app and its client secret" : appIsNew ? "the new app" : "the new client secret",
            e => e is CasException x && ((appIsNew && x.ServiceErrorCode == "AADSTS700016") || (secretIsNew && x.ServiceErrorCode == "AADSTS7000215")),
            ct);
    }

    /// <summary>The app's service principal; one this process created moments ago is waited for until Graph lists it.</summary>
    internal static async Task<Microsoft.Graph.Models.ServicePrincipal?> FindPrincipalAsync(DirectoryClient directory, string tenantId, string appId, CancellationToken ct) =>
        ReplicationLedger.Shared.IsNewServicePrincipal(tenantId, appId)
            ? await DirectoryClient.FindNewAsync("the new service principal", c => directory.FindServicePrincipalAsync(appId, c), ct).ConfigureAwait(false)
            : await directory.FindServicePrincipalAsync(appId, ct).ConfigureAwait(false);

    internal static async Task EnsureConsentAsync(CasConnection admin, string appId, bool grant, ServiceAppSession app, DirectoryClient directory, string? principalId, string? redirectUri, IOperationObserver observer, CancellationToken ct)
    {
        var ledger = ReplicationLedger.Shared;
        var required = GraphPermissions.TeamsChatAppRoles.Select(r => r.Name).ToArray();
        var missing = app.MissingRoles(required);
        if (missing.Count == 0)
        {
            return;
        }

        // Roles this process consented moments ago are on their way to the token; only the others need granting.
        var notOurs = missing.Where(r => !ledger.IsNewConsent(ReplicationLedger.TenantOf(admin), appId, r)).ToArray();
        if (notOurs.Length > 0)
        {
            if (!grant || principalId is null)
            {
                // Entra sends the admin back to a redirect URI registered on the app; without one, the URL is left out.
                var how = redirectUri is null
                    ? "or grant admin consent for the app in Entra ID (Enterprise applications > Permissions)."
                    : $"or have a Global Administrator open {AdminConsent.ConsentUrl(admin.Context.Endpoints, admin.TenantId, appId, redirectUri)} and accept.";
                throw new CasException(ErrorIds.AdminConsentMissing, CasErrorCategory.PermissionDenied,
                    $"App {appId} has not been granted admin consent for: {string.Join(", ", notOurs)}.",
                    "Run again with -GrantAdminConsent, " + how,
                    appId);
            }

            observer.Verbose($"Granting admin consent for {string.Join(", ", notOurs)}.");
            await AdminConsent.GrantAsync(directory, ReplicationLedger.TenantOf(admin), appId, principalId, observer, ct, ledger.IsNewServicePrincipal(ReplicationLedger.TenantOf(admin), appId)).ConfigureAwait(false);
        }

        await app.RefreshAsync(ct).ConfigureAwait(false);
        missing = app.MissingRoles(required);
        if (missing.Count == 0)
        {
            return;
        }

        if (missing.Any(r => !ledger.IsNewConsent(ReplicationLedger.TenantOf(admin), appId, r)))
        {
            throw new CasException(ErrorIds.AdminConsentMissing, CasErrorCategory.PermissionDenied,
                $"Admin consent was granted, but the app's token still lacks: {string.Join(", ", missing)}.",
                "Check the app's permissions in Entra ID (Enterprise applications > Permissions), then run the command again.", appId);
        }

        // A token may lack roles consented moments ago until the assignments replicate: fetch fresh ones until it does not.
        await Replication.UntilAsync(async c =>
            {
                await app.RefreshAsync(c).ConfigureAwait(false);
                return app.MissingRoles(required).Count == 0;
            },
            "the admin consent",
            () => $"the app's token still lacks {string.Join(", ", app.MissingRoles(required))}",
            ct).ConfigureAwait(false);
    }
}

/// <summary>Finds which of an app's secrets a value is, by the hint Entra keeps (its first three characters).</summary>
internal static class SecretKeys
{
    public static string Hint(string secret) => secret.Length >= 3 ? secret[..3] : secret;

    /// <summary>Said as a warning, not in Verbose: on hosts without a keyring the session holds the only copy CasAdmin has.</summary>
    public static string SessionOnlyWarning(string appId) =>
        $"The secret of app {appId} is kept for this PowerShell session only: this machine has no protected storage (DPAPI, Keychain or a Secret Service keyring). "
        + "In a later session pass it with -ClientSecret (in Azure Automation, from a credential asset); keep it somewhere safe now if you have no other copy.";

    public static Microsoft.Graph.Models.PasswordCredential? Match(Microsoft.Graph.Models.Application? application, string secret)
    {
        var hint = Hint(secret);
        var candidates = application?.PasswordCredentials?.Where(p => p.Hint == hint).ToArray() ?? [];

        // Two secrets sharing a hint cannot be told apart; better no metadata than the wrong key.
        return candidates.Length == 1 ? candidates[0] : null;
    }
}
