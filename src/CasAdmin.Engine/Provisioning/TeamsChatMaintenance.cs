using System.Security;
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
/// Keeping a Teams Chat account healthy after provisioning: the licensing model, Update Secret, Change App
/// (and Protect with Your Own App for a legacy account), a new access token, and the health test.
/// </summary>
internal sealed partial class TeamsChatMaintenance(ISecretVault vault)
{
    private static readonly string[] RequiredRoles = GraphPermissions.TeamsChatAppRoles.Select(r => r.Name).ToArray();

    public async Task<CasServiceAccount> SetLicensingModelAsync(CasConnection admin, Guid accountId, LicensingModel model, SecureString? clientSecret, IOperationObserver observer, CancellationToken ct)
    {
        var (store, account) = await LoadAsync(admin, accountId, ct).ConfigureAwait(false);
        if (account.IsLegacy)
        {
            throw new CasException(ErrorIds.LegacyAccountNotSupported, CasErrorCategory.InvalidOperation,
                "This Teams Chat account was provisioned the old way and runs in Evaluation Mode only.",
                "Protect it with your own app first: Set-CasServiceAccountApp -AppId <id> -ClientSecret <secret>.", accountId.ToString());
        }

        using var app = await ServiceAppSession.SignInAsync(admin, account.AppId!, Secret(account, clientSecret), ct).ConfigureAwait(false);
        await LicensingValidator.ValidateAsync(admin, model, app.Graph, observer, ct).ConfigureAwait(false);

        // A subscription's model cannot be updated: new ones first, then the old ones go — never a gap.
        var old = await ChatSubscriptions.ListAsync(store, accountId, ct).ConfigureAwait(false);
        var created = new List<ChatSubscriptions.Recorded>();
        if (old.Count > 0 && account.NotificationUrl is { } url)
        {
            created.Add(await ChatSubscriptions.CreateAsync(app.Graph, model, new Uri(url), account.LifecycleNotificationUrl is { } l ? new Uri(l) : null, ct).ConfigureAwait(false));
        }

        var updated = account with { LicensingModel = model, UpdatedOn = DateTimeOffset.UtcNow };
        await new AccountRepository(store).RecordChangeAsync(updated, created.ConvertAll(s => s.For(model)),
            AuditEntry.ForAccount(admin, account, "SetLicensingModel", "Succeeded", $"{account.LicensingModel} -> {model}"), ct).ConfigureAwait(false);

        await DeleteSubscriptionsAsync(store, app.Graph, old, ct).ConfigureAwait(false);
        return (await new AccountRepository(store).GetAsync(accountId, ct).ConfigureAwait(false))!;
    }

    /// <summary>Update Secret: a value from the admin (proved by a token before anything is recorded), or -Rotate.</summary>
    public async Task<CasServiceAccount> UpdateSecretAsync(CasConnection admin, Guid accountId, SecureString? newSecret, bool rotate, TimeSpan lifetime, bool force, IOperationObserver observer, CancellationToken ct)
    {
        if (rotate)
        {
            TeamsChatAppProvisioner.ValidateSecretLifetime(lifetime, DateTimeOffset.UtcNow);
        }
        else if (!SecureStrings.HasValue(newSecret))
        {
            throw CasException.InvalidArgument("A new secret value or -Rotate is required (the secret given was empty or only white space).",
                "Pass -ClientSecret with the new secret's value, or -Rotate to have CasAdmin create one.", accountId.ToString());
        }

        var (store, account) = await LoadAsync(admin, accountId, ct).ConfigureAwait(false);
        var directory = new DirectoryClient(admin.Context.Graph, admin.Permissions);
        string secret;
        Microsoft.Graph.Models.PasswordCredential? key;
        Guid? oldKey = Guid.TryParse(account.SecretKeyId, out var k) ? k : null;
        if (rotate)
        {
            await RoleCheck.RequireAsync(admin, GraphPermissions.ProvisioningAdminRoles, ct).ConfigureAwait(false);
            var application = await directory.FindApplicationByAppIdAsync(account.AppId!, ct).ConfigureAwait(false)
                ?? throw AppGone(account);
            key = await directory.AddPasswordAsync(application.Id!, TeamsChatAppProvisioner.SecretDisplayName, DateTimeOffset.UtcNow + lifetime, ct).ConfigureAwait(false);
            secret = key.SecretText!;
            observer.Verbose($"Added secret {key.KeyId}; proving it works.");
            try
            {
                // A brand-new secret can take a moment to be accepted everywhere.
                using var proof = await Replication.AfterCreateAsync(c => SignInNewSecretAsync(admin, account.AppId!, secret, c), ct).ConfigureAwait(false);
            }
            catch
            {
                await directory.RemovePasswordAsync(application.Id!, key.KeyId!.Value, CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            try
            {
                await RecordSecretAsync(store, admin, account, secret, key, "Rotate", observer, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A secret nothing records would sit on the app until it expires (two years by default): take it back.
                await WithdrawUnrecordedKeyAsync(store, directory, application.Id!, account, key.KeyId!.Value, observer).ConfigureAwait(false);
                throw;
            }

            if (oldKey is { } kept && kept != key.KeyId && !vault.IsAvailable)
            {
                // The new secret exists only in this session's memory: the old one may be the only copy that survives it.
                observer.Warning($"The old secret {kept} of app {account.AppId} was kept: the new secret cannot be stored on this machine and ends with this session. "
                    + "Remove the old secret in Entra ID (App registrations, Certificates & secrets) only once the new one is kept where your automation reads it.");
            }
            else if (oldKey is { } previous && previous != key.KeyId)
            {
                var remove = force || await observer.ShouldContinueAsync(
                    $"The new secret works. Remove the old secret {previous} from app {account.AppId}? Anything still using it stops working.",
                    "Remove the old secret", ct).ConfigureAwait(false);
                if (remove)
                {
                    await directory.RemovePasswordAsync(application.Id!, previous, ct).ConfigureAwait(false);
                    await new AccountRepository(store).AuditAsync(AuditEntry.ForAccount(admin, account, "RemoveSecret", "Succeeded", previous.ToString()), ct).ConfigureAwait(false);
                }
                else
                {
                    observer.Warning($"The old secret {previous} was kept; remove it when nothing uses it.");
                }
            }
        }
        else
        {
            secret = SecureStrings.HasValue(newSecret) ? SecureStrings.Reveal(newSecret)
                : throw CasException.InvalidArgument("A new secret value or -Rotate is required (the secret given was empty or only white space).", "Pass -ClientSecret with the new secret's value, or -Rotate to have CasAdmin create one.", accountId.ToString());
            using var proof = await ServiceAppSession.SignInAsync(admin, account.AppId!, secret, ct).ConfigureAwait(false);
            var application = await TryFindApplicationAsync(directory, account.AppId!, ct).ConfigureAwait(false);
            key = SecretKeys.Match(application, secret);
            await RecordSecretAsync(store, admin, account, secret, key, "UpdateSecret", observer, ct).ConfigureAwait(false);
        }

        return (await new AccountRepository(store).GetAsync(accountId, ct).ConfigureAwait(false))!;
    }

    /// <summary>Change App, and Protect with Your Own App for a legacy account: validated like provisioning; the inventory is kept.</summary>
    public async Task<CasServiceAccount> ChangeAppAsync(CasConnection admin, Guid accountId, string appId, SecureString clientSecret, LicensingModel? model, bool grantConsent, IOperationObserver observer, CancellationToken ct)
    {
        var (store, account) = await LoadAsync(admin, accountId, ct).ConfigureAwait(false);
        var secret = SecureStrings.Reveal(clientSecret);
        // The new app is often New-CasTeamsChatApp's of moments ago: wait for Entra ID to replicate it (only then).
        using var app = await TeamsChatAccountProvisioner.SignInAsync(admin, appId, secret, ct).ConfigureAwait(false);
        await RoleCheck.RequireAsync(admin, GraphPermissions.ProvisioningAdminRoles, ct).ConfigureAwait(false);
        var directory = new DirectoryClient(admin.Context.Graph, admin.Permissions);
        var principal = await TeamsChatAccountProvisioner.FindPrincipalAsync(directory, ReplicationLedger.TenantOf(admin), appId, ct).ConfigureAwait(false);
        var application = await TryFindApplicationAsync(directory, appId, ct).ConfigureAwait(false);
        await TeamsChatAccountProvisioner.EnsureConsentAsync(admin, appId, grantConsent, app, directory, principal?.Id, application?.Web?.RedirectUris?.FirstOrDefault(), observer, ct).ConfigureAwait(false);
        var newModel = model ?? (account.IsLegacy ? LicensingModel.Evaluation : account.LicensingModel ?? LicensingModel.Evaluation);
        await LicensingValidator.ValidateAsync(admin, newModel, app.Graph, observer, ct).ConfigureAwait(false);

        var old = await ChatSubscriptions.ListAsync(store, accountId, ct).ConfigureAwait(false);
        ChatSubscriptions.Recorded? moved = null;
        if (account.NotificationUrl is { } url)
        {
            moved = await ChatSubscriptions.CreateAsync(app.Graph, newModel, new Uri(url), account.LifecycleNotificationUrl is { } l ? new Uri(l) : null, ct).ConfigureAwait(false);
        }

        // The old app's secret, to delete its subscriptions once the new app is recorded.
        var oldSecret = !account.IsLegacy ? vault.SecretOf(account) : null;
        var key = SecretKeys.Match(application, secret);
        var secretRef = StoreSecret(appId, secret, observer);
        var updated = account with
        {
            AppId = appId,
            AppObjectId = application?.Id,
            ServicePrincipalId = principal?.Id,
            DisplayName = application?.DisplayName ?? account.DisplayName,
            IsLegacy = false,
            LicensingModel = newModel,
            SecretKeyId = key?.KeyId?.ToString(),
            SecretHint = key?.Hint ?? SecretKeys.Hint(secret),
            SecretExpiresOn = key?.EndDateTime,
            SecretReference = secretRef,
            TokenState = TokenState.Valid,
            TokenExpiresOn = app.Token.ExpiresOn,
            TokenRoles = app.Identity.Permissions,
            Status = ServiceAccountStatus.Active,
            UpdatedOn = DateTimeOffset.UtcNow,
        };
        await CommitSecretAsync(store, account, appId, secret, secretRef, () => new AccountRepository(store).RecordChangeAsync(updated, moved is null ? [] : [moved.For(newModel)],
            AuditEntry.ForAccount(admin, account, account.IsLegacy ? "ProtectWithOwnApp" : "ChangeApp", "Succeeded", $"{account.AppId} -> {appId}"), ct), observer).ConfigureAwait(false);

        // The old subscriptions belong to the old app; without its secret they are left to expire on their own.
        if (old.Count > 0 && oldSecret is not null && account.AppId is { } oldApp)
        {
            using var previous = await ServiceAppSession.SignInAsync(admin, oldApp, oldSecret, ct).ConfigureAwait(false);
            await DeleteSubscriptionsAsync(store, previous.Graph, old, ct).ConfigureAwait(false);
        }
        else if (old.Count > 0)
        {
            observer.Warning($"{old.Count} subscription(s) of the previous app were left to expire: its secret is not available to delete them.");
            await new SubscriptionRepository(store).DeleteAsync(old, ct).ConfigureAwait(false);
        }

        return (await new AccountRepository(store).GetAsync(accountId, ct).ConfigureAwait(false))!;
    }

    public async Task<CasAccessTokenInfo> NewAccessTokenAsync(CasConnection admin, Guid accountId, SecureString? clientSecret, bool includeToken, CancellationToken ct)
    {
        var (store, account) = await LoadAsync(admin, accountId, ct).ConfigureAwait(false);
        ServiceAppSession app;
        try
        {
            app = await ServiceAppSession.SignInAsync(admin, account.AppId!, Secret(account, clientSecret), ct).ConfigureAwait(false);
        }
        catch (CasException ex) when (ex.Category == CasErrorCategory.AuthenticationError)
        {
            await RecordTokenAsync(store, admin, account, TokenState.Invalid, null, [], ex.ErrorId, ct).ConfigureAwait(false);
            throw;
        }

        using (app)
        {
            await app.RefreshAsync(ct).ConfigureAwait(false);
            var missing = app.MissingRoles(RequiredRoles);
            await RecordTokenAsync(store, admin, account, missing.Count == 0 ? TokenState.Valid : TokenState.Invalid, app.Token.ExpiresOn, app.Identity.Permissions, null, ct).ConfigureAwait(false);
            return new CasAccessTokenInfo
            {
                AccountId = accountId,
                TenantId = account.TenantId,
                AppId = account.AppId!,
                ExpiresOn = app.Token.ExpiresOn,
                Roles = app.Identity.Permissions,
                MissingRoles = missing,
                Token = includeToken ? SecureStrings.Protect(app.Token.Token) : null,
            };
        }
    }

    /// <summary>Updates the Teams Chat data again (or for the first time after -SkipInventory); resumes an interrupted run.</summary>
    public async Task<TeamsChatInventoryResult> UpdateInventoryAsync(CasConnection admin, Guid accountId, SecureString? clientSecret, int throttleLimit, IOperationObserver observer, CancellationToken ct)
    {
        var (store, account) = await LoadAsync(admin, accountId, ct).ConfigureAwait(false);
        store.EnsureWritable();
        using var app = await ServiceAppSession.SignInAsync(admin, account.AppId!, Secret(account, clientSecret), ct).ConfigureAwait(false);
        var result = await new TeamsChatInventory(store, app.Graph, accountId).RunAsync(Math.Clamp(throttleLimit, 1, 64), observer, -1, ct).ConfigureAwait(false);
        await new AccountRepository(store).AuditAsync(AuditEntry.ForAccount(admin, account, "UpdateTeamsChatInventory", "Succeeded", $"{result.Users} users, {result.Chats} chats"), ct).ConfigureAwait(false);
        return result with { TenantId = account.TenantId };
    }

    public async Task<IReadOnlyList<CasHealthFinding>> TestAsync(CasConnection admin, Guid accountId, SecureString? clientSecret, CancellationToken ct)
    {
        var (store, account) = await LoadAsync(admin, accountId, ct).ConfigureAwait(false);
        var findings = new List<CasHealthFinding>();
        void Add(string check, HealthStatus status, string message, string? action = null) =>
            findings.Add(new CasHealthFinding(accountId, account.Service, account.TenantId, check, status, message, action));

        switch (account.SecretExpiresInDays)
        {
            case null:
                Add("SecretExpiry", HealthStatus.Unknown, "The secret's expiry is not known.", "Run Update-CasServiceAccountSecret -Rotate so CasAdmin records the secret it creates.");
                break;
            case < 0:
                Add("SecretExpiry", HealthStatus.Fail, $"The secret expired on {account.SecretExpiresOn:yyyy-MM-dd}.", "Run Update-CasServiceAccountSecret -Rotate.");
                break;
            case < 30:
                Add("SecretExpiry", HealthStatus.Warning, $"The secret expires in {account.SecretExpiresInDays} days.", "Run Update-CasServiceAccountSecret -Rotate before it expires.");
                break;
            default:
                Add("SecretExpiry", HealthStatus.Pass, $"The secret expires in {account.SecretExpiresInDays} days.");
                break;
        }

        var secret = GivenOrStoredSecret(account, clientSecret);
        if (secret is null)
        {
            Add("AccessToken", HealthStatus.Unknown, "The secret is not stored on this machine, so the token was not tested.", "Pass -ClientSecret to test the token.");
        }
        else
        {
            try
            {
                using var app = await ServiceAppSession.SignInAsync(admin, account.AppId!, secret, ct).ConfigureAwait(false);
                Add("AccessToken", HealthStatus.Pass, $"An access token was obtained; it expires {app.Token.ExpiresOn:u}.");
                var missing = app.MissingRoles(RequiredRoles);
                Add("AdminConsent", missing.Count == 0 ? HealthStatus.Pass : HealthStatus.Fail,
                    missing.Count == 0 ? "The token carries all five Teams Chat permissions." : $"The token lacks: {string.Join(", ", missing)}.",
                    missing.Count == 0 ? null : "Grant admin consent again (Set-CasServiceAccountApp -GrantAdminConsent, or the admin-consent URL).");
                await AddTeamsApiFindingsAsync(admin, store, account, app, Add, ct).ConfigureAwait(false);
            }
            catch (CasException ex) when (ex.Category is CasErrorCategory.AuthenticationError or CasErrorCategory.NotEnabled or CasErrorCategory.ObjectNotFound)
            {
                Add("AccessToken", HealthStatus.Fail, ex.Message, ex.RecommendedAction);
            }
        }

        try
        {
            var principal = await new DirectoryClient(admin.Context.Graph, admin.Permissions).FindServicePrincipalAsync(account.AppId!, ct).ConfigureAwait(false);
            Add("ServicePrincipal", principal?.AccountEnabled == false ? HealthStatus.Fail : principal is null ? HealthStatus.Fail : HealthStatus.Pass,
                principal is null ? "The app has no service principal in the tenant." : principal.AccountEnabled == false ? "The app's service principal is disabled." : "The app's service principal is enabled.",
                principal?.AccountEnabled == false ? "Enable the service principal (Enterprise applications > Properties)." : principal is null ? "Provision the app again (New-CasTeamsChatApp) or change the app." : null);
        }
        catch (CasException ex) when (ex.ErrorId == ErrorIds.InsufficientPrivileges)
        {
            Add("ServicePrincipal", HealthStatus.Unknown, "The admin connection may not read service principals.", ex.RecommendedAction);
        }

        if (account.LicensingModel == LicensingModel.A)
        {
            try
            {
                await LicensingValidator.ValidateAsync(admin, LicensingModel.A, admin.Context.Graph, NullOperationObserver.Instance, ct).ConfigureAwait(false);
                Add("Licensing", HealthStatus.Pass, "A licence with Microsoft Communications DLP is present for model A.");
            }
            catch (CasException ex) when (ex.ErrorId == ErrorIds.LicensingPrerequisiteMissing)
            {
                Add("Licensing", HealthStatus.Fail, ex.Message, ex.RecommendedAction);
            }
        }
        else if (account.LicensingModel == LicensingModel.B)
        {
            Add("Licensing", HealthStatus.Warning, "Licensing model B cannot block; block actions pass.", "Choose model A with an E5-class licence to block.");
        }

        return findings;
    }

    private async Task<(RegistryStore Store, CasServiceAccount Account)> LoadAsync(CasConnection admin, Guid accountId, CancellationToken ct)
    {
        var store = RegistryStore.Open(admin.StorePath);
        var account = await new AccountRepository(store).GetAsync(accountId, ct).ConfigureAwait(false);
        if (account is null || account.Status == ServiceAccountStatus.Removed)
        {
            throw new CasException(ErrorIds.ServiceAccountNotFound, CasErrorCategory.ObjectNotFound,
                $"No service account {accountId} is in the registry.", "List the accounts with Get-CasServiceAccount.", accountId.ToString());
        }

        if (account.Service != CasService.TeamsChat)
        {
            throw CasException.InvalidArgument($"Account {accountId} is a {account.Service} account; this command manages Teams Chat accounts.",
                "Pass a Teams Chat account (Get-CasServiceAccount -Service TeamsChat).", accountId.ToString());
        }

        if (!string.Equals(account.TenantId, admin.TenantId, StringComparison.OrdinalIgnoreCase))
        {
            throw CasException.InvalidArgument($"Account {accountId} belongs to tenant {account.TenantId}, but the connection is to {admin.TenantId}.",
                "Pass the connection of the account's tenant with -Connection.", accountId.ToString());
        }

        return (store, account);
    }

    private string Secret(CasServiceAccount account, SecureString? given) =>
        GivenOrStoredSecret(account, given) ?? throw new CasException(ErrorIds.SecretNotAvailable, CasErrorCategory.InvalidOperation,
            $"The secret of app {account.AppId} is not stored on this machine and was not given in this session.",
            "Pass the secret's value with -ClientSecret once in this session; later commands of the session reuse it.", account.AccountId.ToString());

    /// <summary>The secret given (which the session then remembers for the app), else the one this machine has for the account.</summary>
    private string? GivenOrStoredSecret(CasServiceAccount account, SecureString? given)
    {
        if (!SecureStrings.HasValue(given))
        {
            return vault.SecretOf(account);
        }

        var value = SecureStrings.Reveal(given);
        if (account.AppId is { } appId)
        {
            vault.Remember(account.TenantId, appId, value);
        }

        return value;
    }

    /// <summary>
    /// Keeps the secret in the OS store where one works, always under a new reference: until the registry records the
    /// change, the entry under the account's current reference may be the only copy of the secret in use. Returns the
    /// new reference (null when only the session will keep the secret, once it is recorded).
    /// </summary>
    private string? StoreSecret(string appId, string secret, IOperationObserver observer)
    {
        if (!vault.IsAvailable)
        {
            observer.Warning(SecretKeys.SessionOnlyWarning(appId));
            return null;
        }

        var reference = Guid.NewGuid().ToString("N");
        vault.Save(reference, secret);
        return reference;
    }

    /// <summary>
    /// Records a new vault reference, then deletes the entry it replaces. When the record fails, the registry decides:
    /// if it holds the new reference after all (a commit whose answer was lost) the old entry goes, if it still holds
    /// the old one the new entry goes; if the registry cannot be read, both are kept (Get-CasStoredSecret -Unreferenced
    /// finds the one left over). An entry the registry may still name is never deleted. The session's copy of the app's
    /// secret is replaced only once the change is recorded: on a host without a keyring it may be the only copy.
    /// </summary>
    private async Task CommitSecretAsync(RegistryStore store, CasServiceAccount account, string appId, string secret, string? newRef, Func<Task> commit, IOperationObserver observer)
    {
        var oldRef = account.SecretReference;
        try
        {
            await commit().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var recorded = await TryReadReferenceAsync(store, account.AccountId).ConfigureAwait(false);
            if (recorded.Known && recorded.Reference == newRef && newRef is not null)
            {
                observer.Verbose("The registry recorded the change although the write reported an error; the new secret is kept.");
                vault.Remember(account.TenantId, appId, secret);
                DeleteReplaced(oldRef, newRef);
            }
            else if (recorded.Known && newRef is not null)
            {
                vault.Delete(newRef);
            }

            throw;
        }

        vault.Remember(account.TenantId, appId, secret);
        DeleteReplaced(oldRef, newRef);
    }

    private void DeleteReplaced(string? oldRef, string? newRef)
    {
        if (oldRef is not null && !string.Equals(oldRef, newRef, StringComparison.Ordinal))
        {
            vault.Delete(oldRef);
        }
    }

    /// <summary>The account's vault reference as the registry holds it now; Known is false when the registry cannot be read.</summary>
    private static async Task<(bool Known, string? Reference)> TryReadReferenceAsync(RegistryStore store, Guid accountId)
    {
        try
        {
            var account = await new AccountRepository(store).GetAsync(accountId, CancellationToken.None).ConfigureAwait(false);
            return (true, account?.SecretReference);
        }
        catch (Exception ex) when (ex is CasException or InvalidOperationException or System.Data.Common.DbException or IOException or TimeoutException)
        {
            return (false, null);
        }
    }

    /// <summary>After a -Rotate whose record failed: removes the added key from the app unless the registry holds it after all.</summary>
    private static async Task WithdrawUnrecordedKeyAsync(RegistryStore store, DirectoryClient directory, string applicationObjectId, CasServiceAccount account, Guid keyId, IOperationObserver observer)
    {
        string? recordedKey;
        try
        {
            recordedKey = (await new AccountRepository(store).GetAsync(account.AccountId, CancellationToken.None).ConfigureAwait(false))?.SecretKeyId;
        }
        catch (Exception ex) when (ex is CasException or InvalidOperationException or System.Data.Common.DbException or IOException or TimeoutException)
        {
            observer.Warning($"The new secret {keyId} was added to app {account.AppId}, and whether the registry recorded it is not known (the registry cannot be read). "
                + $"If Get-CasServiceAccount does not show SecretKeyId {keyId}, remove that secret in Entra ID (App registrations, Certificates & secrets).");
            return;
        }

        if (string.Equals(recordedKey, keyId.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        try
        {
            // Not the caller's token: a Ctrl+C that interrupted the record must not also leave the key behind.
            using var bounded = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await directory.RemovePasswordAsync(applicationObjectId, keyId, bounded.Token).ConfigureAwait(false);
            observer.Verbose($"The registry did not record secret {keyId}; it was removed from app {account.AppId}.");
        }
        catch (Exception ex) when (ex is CasException or OperationCanceledException or HttpRequestException)
        {
            observer.Warning($"The new secret {keyId} of app {account.AppId} was not recorded and could not be removed ({ex.Message}). "
                + "Remove it in Entra ID (App registrations, Certificates & secrets).");
        }
    }

    private async Task RecordSecretAsync(RegistryStore store, CasConnection admin, CasServiceAccount account, string secret, Microsoft.Graph.Models.PasswordCredential? key, string action, IOperationObserver observer, CancellationToken ct)
    {
        var reference = StoreSecret(account.AppId!, secret, observer);
        var updated = account with
        {
            SecretKeyId = key?.KeyId?.ToString(),
            SecretHint = key?.Hint ?? SecretKeys.Hint(secret),
            SecretExpiresOn = key?.EndDateTime,
            SecretReference = reference,
            TokenState = TokenState.Valid,
            UpdatedOn = DateTimeOffset.UtcNow,
        };
        await CommitSecretAsync(store, account, account.AppId!, secret, reference, () => new AccountRepository(store).RecordChangeAsync(updated,
            AuditEntry.ForAccount(admin, account, action, "Succeeded", key?.KeyId?.ToString()), ct), observer).ConfigureAwait(false);
    }

    private static async Task RecordTokenAsync(RegistryStore store, CasConnection admin, CasServiceAccount account, TokenState state, DateTimeOffset? expires, IReadOnlyList<string> roles, string? error, CancellationToken ct)
    {
        var updated = account with
        {
            TokenState = state,
            TokenExpiresOn = expires,
            TokenRoles = roles,
            UpdatedOn = DateTimeOffset.UtcNow,
        };
        await new AccountRepository(store).RecordChangeAsync(updated,
            AuditEntry.ForAccount(admin, account, "NewAccessToken", error is null ? "Succeeded" : "Failed", error ?? state.ToString()), ct).ConfigureAwait(false);
    }

    private static async Task DeleteSubscriptionsAsync(RegistryStore store, GraphGateway graph, IEnumerable<string> ids, CancellationToken ct)
    {
        foreach (var id in ids)
        {
            await ChatSubscriptions.DeleteAsync(graph, id, ct).ConfigureAwait(false);
            await new SubscriptionRepository(store).DeleteAsync([id], ct).ConfigureAwait(false);
        }
    }

    private static async Task<Microsoft.Graph.Models.Application?> TryFindApplicationAsync(DirectoryClient directory, string appId, CancellationToken ct)
    {
        try
        {
            return await directory.FindApplicationByAppIdAsync(appId, ct).ConfigureAwait(false);
        }
        catch (CasException ex) when (ex.ErrorId == ErrorIds.InsufficientPrivileges)
        {
            // A multitenant app registered elsewhere is not readable here; its secret metadata stays unknown.
            return null;
        }
    }

    private static async Task<ServiceAppSession> SignInNewSecretAsync(CasConnection admin, string appId, string secret, CancellationToken ct)
    {
        try
        {
            return await ServiceAppSession.SignInAsync(admin, appId, secret, ct).ConfigureAwait(false);
        }
        catch (CasException ex) when (ex.ErrorId == ErrorIds.InvalidClientSecret)
        {
            throw new CasException(ErrorIds.ResourceNotFound, CasErrorCategory.ObjectNotFound, "The new secret is not accepted yet.", "Retry.", appId, ex);
        }
    }

    private static CasException AppGone(CasServiceAccount account) => new(ErrorIds.AppNotFound, CasErrorCategory.ObjectNotFound,
        $"App {account.AppId} no longer exists in the tenant.", "Change the account to another app with Set-CasServiceAccountApp.", account.AppId);
}
