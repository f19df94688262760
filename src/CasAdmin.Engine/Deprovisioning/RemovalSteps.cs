using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Graph;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Provisioning;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>Everything one running job's steps need.</summary>
internal sealed record RemovalContext(
    CasServiceAccount Account,
    CasRemovalJob Job,
    CasConnection Admin,
    RemovalOptions Options,
    RegistryStore Store,
    ISecretVault Vault,
    IOperationObserver Observer,
    string Owner)
{
    public DirectoryClient Directory { get; } = new(Admin.Context.Graph, Admin.Permissions);

    /// <summary>This job's writes: recorded only while this runner still holds the job's lease, else they fail with LeaseLost and change nothing.</summary>
    public RemovalJournal Journal { get; } = new(Store, Job.JobId, Owner);
}

internal sealed record StepOutcome(RemovalStepStatus Status, string? Detail, IReadOnlyList<CasCleanupItem> Remaining)
{
    public static StepOutcome Done(string? detail = null) => new(RemovalStepStatus.Succeeded, detail, []);

    public static StepOutcome Skipped(string detail, params CasCleanupItem[] remaining) => new(RemovalStepStatus.Skipped, detail, remaining);
}

/// <summary>
/// The work of each step. Every step is idempotent — a 404 on delete means done, lookups come before
/// changes — so a job interrupted anywhere is resumed by running its unfinished steps again.
/// </summary>
internal static class RemovalSteps
{
    public static Task<StepOutcome> RunAsync(StepKind kind, RemovalContext x, CancellationToken ct) => kind switch
    {
        StepKind.RecordAppId => Task.FromResult(StepOutcome.Done(x.Account.AppId is { } id ? $"App Id {id}" : "No app: a delegate account")),
        StepKind.VerifyAccount => VerifyAccountAsync(x, ct),
        StepKind.VerifyAdministrator => VerifyAdministratorAsync(x, ct),
        StepKind.DeleteSubscriptions => DeleteSubscriptionsAsync(x, ct),
        StepKind.RemoveInlineGroups => RemoveInlineGroupsAsync(x, ct),
        StepKind.RemoveDirectoryRoles => RemoveDirectoryRolesAsync(x, ct),
        StepKind.RemovePermissions => RemovePermissionsAsync(x, ct),
        StepKind.RemoveDelegateAccount => RemoveDelegateAccountAsync(x, ct),
        StepKind.RemoveAppPrincipal => RemoveAppPrincipalAsync(x, ct),
        StepKind.DeleteApp => DeleteAppAsync(x, ct),
        StepKind.RemoveLocalData => RemoveLocalDataAsync(x, ct),
        StepKind.ListRemainingChanges => Task.FromResult(ListRemaining(x)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// Errors that forced removal may step past. -Force is for the account's own state (invalid, gone, a step that
    /// Microsoft 365 refuses for it), not for an outage: a missing role or permission is never one of them, nor a
    /// passing failure, throttling past the budget, a service that is unavailable, a network that is down, a registry
    /// that cannot record (the tenant was not asked, or could not answer: nothing is known about it, so the job stays
    /// resumable; run again when it is back).
    /// </summary>
    public static bool IsForceable(CasException ex) =>
        !ErrorRules.IsRegistryUnusable(ex.ErrorId)
        && ex.ErrorId is not (ErrorIds.GlobalAdministratorRequired or ErrorIds.PimActivationRequired or ErrorIds.AdminPermissionMissing
            or ErrorIds.InsufficientPrivileges or ErrorIds.LeaseLost or ErrorIds.NotConnected
            or ErrorIds.ThrottledTooLong or ErrorIds.TenantThrottled or ErrorIds.ServiceUnavailable
            or ErrorIds.TenantUnreachable or ErrorIds.SecureConnectionFailed or ErrorIds.RequestTimedOut
            or ErrorIds.StoreDuplicateAccounts);

    private static async Task<StepOutcome> VerifyAccountAsync(RemovalContext x, CancellationToken ct)
    {
        var a = x.Account;
        if (a.Kind == ServiceAccountKind.DelegateAccount && a.DelegateAccount is { } upn)
        {
            var user = await x.Directory.FindUserAsync(upn, ct).ConfigureAwait(false);
            return user is null ? throw Invalid(a, $"The delegate account {upn} no longer exists in Microsoft 365.")
                : user.AccountEnabled == false ? throw Invalid(a, $"The delegate account {upn} is disabled in Microsoft 365.")
                : StepOutcome.Done($"{upn} exists and is enabled");
        }

        if (a.Service == CasService.TeamsChat && !a.IsLegacy && x.Vault.SecretOf(a) is { } secret)
        {
            try
            {
                using var app = await ServiceAppSession.SignInAsync(x.Admin, a.AppId!, secret, ct).ConfigureAwait(false);
                return StepOutcome.Done("An access token was obtained with the account's secret");
            }
            catch (CasException ex) when (ex.Category is CasErrorCategory.AuthenticationError or CasErrorCategory.NotEnabled or CasErrorCategory.ObjectNotFound)
            {
                throw Invalid(a, $"The account's app cannot sign in: {ex.Message}", ex);
            }
        }

        var principal = await x.Directory.FindServicePrincipalAsync(a.AppId!, ct).ConfigureAwait(false);
        return principal is null ? throw Invalid(a, $"App {a.AppId} has no service principal in the tenant.")
            : principal.AccountEnabled == false ? throw Invalid(a, $"The service principal of app {a.AppId} is disabled.")
            : StepOutcome.Done($"The app principal of {a.AppId} exists and is enabled");
    }

    private static async Task<StepOutcome> VerifyAdministratorAsync(RemovalContext x, CancellationToken ct)
    {
        await RoleCheck.RequireAsync(x.Admin, RemovalPlan.AppOnlyPermissions(x.Account, x.Options), ct).ConfigureAwait(false);
        return StepOutcome.Done(x.Admin.IsAppOnly ? $"App-only connection {x.Admin.AppId} holds the needed permissions" : $"{x.Admin.Account} is an active Global Administrator");
    }

    private static async Task<StepOutcome> DeleteSubscriptionsAsync(RemovalContext x, CancellationToken ct)
    {
        var ids = await ChatSubscriptions.ListAsync(x.Store, x.Account.AccountId, ct).ConfigureAwait(false);
        if (ids.Count == 0)
        {
            return StepOutcome.Skipped("No subscriptions");
        }

        var secret = x.Vault.SecretOf(x.Account);
        if (secret is null)
        {
            // A subscription can only be deleted by its own app; without the secret it is left to expire.
            return StepOutcome.Skipped("The app's secret is not stored here; the subscriptions expire by themselves",
                ids.Select(id => Item(x, "Subscription", id, "Change notifications on /chats/getAllMessages",
                    "Only the app that created a subscription may delete it, and its secret is not stored on this machine.",
                    "Nothing to do: it expires within three days. To stop it sooner, delete it as the app: DELETE https://graph.microsoft.com/v1.0/subscriptions/" + id)).ToArray());
        }

        using var app = await ServiceAppSession.SignInAsync(x.Admin, x.Account.AppId!, secret, ct).ConfigureAwait(false);
        foreach (var id in ids)
        {
            await ChatSubscriptions.DeleteAsync(app.Graph, id, ct).ConfigureAwait(false);
        }

        await x.Journal.ForgetSubscriptionsAsync(x.Account.AccountId, ct).ConfigureAwait(false);
        return StepOutcome.Done($"{ids.Count} subscription(s) deleted");
    }

    /// <summary>The mark a job's RemoveInlineGroups step carries while it deletes the tenant's TMCAS Inline groups.</summary>
    internal const string InlineGroupsClaim = "Deleting the tenant's TMCAS Inline groups";

    private static async Task<StepOutcome> RemoveInlineGroupsAsync(RemovalContext x, CancellationToken ct)
    {
        // The two groups are one pair per tenant, shared by every Inline account of it: when two of its jobs run at once
        // (in any processes), one deletes them and the other leaves them to it, so no group is deleted twice. The claim
        // is the step's mark, set under the tenant's row lock; a claim whose job no longer runs (its lease gone, its
        // process dead, its step no longer running) does not count, and its job, resumed, finds the groups gone.
        if (await ClaimInlineGroupsAsync(x, ct).ConfigureAwait(false) is { } holder)
        {
            return StepOutcome.Done($"Left to job {holder}, which is deleting the tenant's TMCAS Inline groups");
        }

        var removed = 0;
        foreach (var name in Footprints.InlineGroups)
        {
            foreach (var group in await x.Directory.FindGroupsAsync(name, ct).ConfigureAwait(false))
            {
                if (await x.Directory.DeleteAsync((g, c) => g.Groups[group.Id].DeleteAsync(cancellationToken: c), name, ["Group.ReadWrite.All"], ct).ConfigureAwait(false))
                {
                    removed++;
                }
            }
        }

        return StepOutcome.Done($"{removed} group(s) removed");
    }

    /// <summary>Null when this job now holds the claim on the tenant's Inline groups; else the job that deletes them right now.</summary>
    private static Task<Guid?> ClaimInlineGroupsAsync(RemovalContext x, CancellationToken ct) =>
        x.Journal.ClaimForTenantAsync(x.Job.TenantId, RemovalPlan.Names[StepKind.RemoveInlineGroups], InlineGroupsClaim, ct);

    private static async Task<StepOutcome> RemoveDirectoryRolesAsync(RemovalContext x, CancellationToken ct)
    {
        var principal = await x.Directory.FindServicePrincipalAsync(x.Account.AppId!, ct).ConfigureAwait(false);
        if (principal is null)
        {
            return StepOutcome.Skipped("No app principal");
        }

        var removed = 0;
        foreach (var assignment in await x.Directory.DirectoryRoleAssignmentsAsync(principal.Id!, ct).ConfigureAwait(false))
        {
            if (await x.Directory.DeleteAsync((g, c) => g.RoleManagement.Directory.RoleAssignments[assignment.Id].DeleteAsync(cancellationToken: c),
                assignment.Id!, ["RoleManagement.ReadWrite.Directory"], ct).ConfigureAwait(false))
            {
                removed++;
            }
        }

        return StepOutcome.Done($"{removed} directory role assignment(s) removed");
    }

    private static async Task<StepOutcome> RemovePermissionsAsync(RemovalContext x, CancellationToken ct)
    {
        if (await SharedWithAsync(x, a => a.AppId, ct).ConfigureAwait(false) is { } other)
        {
            return StepOutcome.Skipped($"Kept: the app also serves the {other.Service} account");
        }

        var principal = await x.Directory.FindServicePrincipalAsync(x.Account.AppId!, ct).ConfigureAwait(false);
        if (principal is null)
        {
            return StepOutcome.Skipped("No app principal");
        }

        var removed = 0;
        foreach (var assignment in await x.Directory.AppRoleAssignmentsAsync(principal.Id!, ct).ConfigureAwait(false))
        {
            if (await x.Directory.DeleteAsync((g, c) => g.ServicePrincipals[principal.Id].AppRoleAssignments[assignment.Id].DeleteAsync(cancellationToken: c),
                assignment.Id!, ["AppRoleAssignment.ReadWrite.All"], ct).ConfigureAwait(false))
            {
                removed++;
            }
        }

        foreach (var grant in await x.Directory.DelegatedGrantsAsync(principal.Id!, ct).ConfigureAwait(false))
        {
            if (await x.Directory.DeleteAsync((g, c) => g.Oauth2PermissionGrants[grant.Id].DeleteAsync(cancellationToken: c),
                grant.Id!, ["DelegatedPermissionGrant.ReadWrite.All"], ct).ConfigureAwait(false))
            {
                removed++;
            }
        }

        return StepOutcome.Done($"{removed} permission grant(s) removed");
    }

    private static async Task<StepOutcome> RemoveDelegateAccountAsync(RemovalContext x, CancellationToken ct)
    {
        var upn = x.Account.DelegateAccount!;
        if (await SharedWithAsync(x, a => a.DelegateAccount, ct).ConfigureAwait(false) is { } other)
        {
            return StepOutcome.Skipped($"Kept: {upn} also serves the {other.Service} account");
        }

        if (!x.Options.RemoveDelegateAccount)
        {
            return StepOutcome.Skipped("Kept (-RemoveDelegateAccount was not given)",
                Item(x, "DelegateAccount", upn, "Microsoft 365 users", "The delegate user is deleted only when asked.",
                    $"Delete the user {upn} in the Microsoft 365 admin center, or run the removal with -RemoveDelegateAccount."));
        }

        var user = await x.Directory.FindUserAsync(upn, ct).ConfigureAwait(false);
        if (user is null)
        {
            return StepOutcome.Done($"{upn} was already gone");
        }

        await x.Directory.DeleteAsync((g, c) => g.Users[user.Id].DeleteAsync(cancellationToken: c), upn, ["User.ReadWrite.All"], ct).ConfigureAwait(false);
        return StepOutcome.Done($"{upn} deleted (kept 30 days in deleted users)");
    }

    private static async Task<StepOutcome> RemoveAppPrincipalAsync(RemovalContext x, CancellationToken ct)
    {
        if (await SharedWithAsync(x, a => a.AppId, ct).ConfigureAwait(false) is { } other)
        {
            return StepOutcome.Skipped($"Kept: the app principal also serves the {other.Service} account");
        }

        var principal = await x.Directory.FindServicePrincipalAsync(x.Account.AppId!, ct).ConfigureAwait(false);
        if (principal is null)
        {
            return StepOutcome.Done("The app principal was already gone");
        }

        await x.Directory.DeleteAsync((g, c) => g.ServicePrincipals[principal.Id].DeleteAsync(cancellationToken: c), principal.Id!, ["Application.ReadWrite.All"], ct).ConfigureAwait(false);
        return StepOutcome.Done($"App principal {principal.Id} removed");
    }

    private static async Task<StepOutcome> DeleteAppAsync(RemovalContext x, CancellationToken ct)
    {
        var appId = x.Account.AppId!;
        if (!x.Options.RemoveApp)
        {
            return StepOutcome.Skipped("Kept (-RemoveApp was not given)",
                Item(x, "Application", x.Account.DisplayName ?? appId, "Entra ID > App registrations", "The customer's own app is deleted only when asked.",
                    $"Delete app {appId} in Entra ID (App registrations), or run the removal with -RemoveApp."));
        }

        var application = await x.Directory.FindApplicationByAppIdAsync(appId, ct).ConfigureAwait(false);
        var objectId = application?.Id ?? x.Account.AppObjectId;
        if (application is not null)
        {
            await x.Directory.DeleteAsync((g, c) => g.Applications[application.Id].DeleteAsync(cancellationToken: c), appId, ["Application.ReadWrite.All"], ct).ConfigureAwait(false);
        }

        if (x.Options.Purge && objectId is not null)
        {
            await x.Directory.DeleteAsync((g, c) => g.Directory.DeletedItems[objectId].DeleteAsync(cancellationToken: c), objectId, ["Application.ReadWrite.All"], ct).ConfigureAwait(false);
            return StepOutcome.Done($"App {appId} deleted and purged");
        }

        return StepOutcome.Done($"App {appId} deleted (restorable from deleted items for 30 days)");
    }

    private static async Task<StepOutcome> RemoveLocalDataAsync(RemovalContext x, CancellationToken ct)
    {
        var a = x.Account;

        // The vault entry goes before the registry forgets its reference: once secret_ref is cleared nothing names the
        // entry any more, so a crash between the two would orphan it. Deleting is idempotent, so a rerun after a crash
        // here (the reference still recorded, the entry gone) simply completes. Only this machine's vault is reached.
        var secretNote = "";
        if (a.SecretReference is { } reference)
        {
            var here = x.Vault.IsAvailable && x.Vault.Read(reference) is not null;
            x.Vault.Delete(reference);
            secretNote = here ? "" : StoredElsewhere;
        }

        await x.Journal.RemoveLocalDataAsync(a.AccountId, new AuditEntry(x.Admin.Account ?? x.Admin.AppId, a.TenantId, a.AccountId, "RemoveServiceAccount", a.AppId ?? a.DelegateAccount,
            "LocalDataRemoved", $"job {x.Job.JobId}"), ct).ConfigureAwait(false);

        return StepOutcome.Done("Inventory, subscriptions, token state, secret reference and notifications removed" + secretNote);
    }

    /// <summary>A secret kept in another machine's vault (a shared registry): only that machine can delete it.</summary>
    internal const string StoredElsewhere = ". The secret was not in this machine's vault: if another machine stored it, run "
        + "'Get-CasStoredSecret -Unreferenced | Remove-CasStoredSecret' there";

    private static StepOutcome ListRemaining(RemovalContext x)
    {
        var items = Footprints.Static(x.Job).ToArray();
        return new StepOutcome(RemovalStepStatus.Succeeded, $"{items.Length} change(s) to clean up by hand (Get-CasCleanupItem)", items);
    }

    /// <summary>What a tenant step that forced removal left undone needs by hand.</summary>
    public static CasCleanupItem Pending(RemovalContext x, StepKind kind, string why)
    {
        var appId = x.Account.AppId;
        var action = kind switch
        {
            StepKind.DeleteSubscriptions => "Nothing to do: the subscriptions expire within three days.",
            StepKind.RemoveInlineGroups => $"Delete the groups '{Footprints.InlineIncomingGroup}' and '{Footprints.InlineOutgoingGroup}' in Entra ID > Groups.",
            StepKind.RemoveDirectoryRoles => $"Remove the directory roles of '{Footprints.VendorAppName}' in Entra ID > Roles and administrators.",
            StepKind.RemovePermissions => $"Revoke the permissions of app {appId} in Entra ID > Enterprise applications > Permissions.",
            StepKind.RemoveDelegateAccount => $"Delete the user {x.Account.DelegateAccount} in the Microsoft 365 admin center.",
            StepKind.RemoveAppPrincipal => $"Delete the enterprise application (service principal) of app {appId} in Entra ID > Enterprise applications.",
            StepKind.DeleteApp => $"Delete app {appId} in Entra ID > App registrations.",
            _ => "Run Remove-CasServiceAccount again.",
        };
        return Item(x, "PendingStep", RemovalPlan.Names[kind], "Tenant " + (x.Job.TenantDomain ?? x.Job.TenantId), "Left undone by forced removal: " + why, action);
    }

    private static CasCleanupItem Item(RemovalContext x, string kind, string name, string? location, string reason, string action) => new()
    {
        JobId = x.Job.JobId, TenantId = x.Job.TenantId, Service = x.Job.Service, Kind = kind, Name = name, Location = location, Reason = reason, Action = action,
    };

    private static async Task<CasServiceAccount?> SharedWithAsync(RemovalContext x, Func<CasServiceAccount, string?> key, CancellationToken ct)
    {
        var mine = key(x.Account);
        if (mine is null)
        {
            return null;
        }

        var others = await new AccountRepository(x.Store).ListAsync(x.Account.TenantId, null, null, includeRemoved: false, ct).ConfigureAwait(false);
        // Only an account that stays in service keeps a shared object; two accounts removed in the same
        // batch must not each keep it for the other.
        return others.FirstOrDefault(o => o.AccountId != x.Account.AccountId && o.Status is ServiceAccountStatus.Active or ServiceAccountStatus.Provisioning
            && string.Equals(key(o), mine, StringComparison.OrdinalIgnoreCase));
    }

    private static CasException Invalid(CasServiceAccount a, string why, Exception? inner = null) => new(
        ErrorIds.ServiceAccountInvalid, CasErrorCategory.InvalidOperation,
        $"The {a.Service} service account could not be verified with Microsoft 365: {why}",
        "Cancel, or run Remove-CasServiceAccount again with -Force to forcibly remove CasAdmin's data for it; what stays in the tenant is listed by Get-CasCleanupItem.",
        a.AccountId.ToString(), inner);
}
