using System.Security;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Provisioning;

/// <summary>Teams Chat provisioning and upkeep. Each call is one cmdlet's work.</summary>
public sealed class TeamsChatService
{
    private readonly TeamsChatAppProvisioner apps;
    private readonly TeamsChatAccountProvisioner accounts;
    private readonly TeamsChatMaintenance maintenance;

    internal TeamsChatService(ISecretVault vault)
    {
        apps = new TeamsChatAppProvisioner(vault);
        accounts = new TeamsChatAccountProvisioner(vault);
        maintenance = new TeamsChatMaintenance(vault);
    }

    /// <summary>Registers (or completes) the customer's own Teams Chat app.</summary>
    public Task<CasTeamsChatApp> NewAppAsync(CasConnection admin, NewTeamsChatAppRequest request, IOperationObserver observer, CancellationToken cancellationToken) =>
        Run(observer, () => apps.RunAsync(admin, request, observer, cancellationToken));

    /// <summary>Provisions the tenant's Teams Chat service account with the customer's app.</summary>
    public Task<CasServiceAccount> NewAccountAsync(CasConnection admin, NewTeamsChatAccountRequest request, IOperationObserver observer, CancellationToken cancellationToken) =>
        Run(observer, () => accounts.RunAsync(admin, request, observer, cancellationToken));

    public Task<CasServiceAccount> SetLicensingModelAsync(CasConnection admin, Guid accountId, LicensingModel model, SecureString? clientSecret, IOperationObserver observer, CancellationToken cancellationToken) =>
        Run(observer, () => maintenance.SetLicensingModelAsync(admin, accountId, model, clientSecret, observer, cancellationToken));

    /// <summary>Update Secret: a new value from the admin, or <paramref name="rotate"/> to have CasAdmin add one and retire the old.</summary>
    public Task<CasServiceAccount> UpdateSecretAsync(CasConnection admin, Guid accountId, SecureString? newSecret, bool rotate, TimeSpan? lifetime, bool force, IOperationObserver observer, CancellationToken cancellationToken) =>
        Run(observer, () => maintenance.UpdateSecretAsync(admin, accountId, newSecret, rotate, lifetime ?? TimeSpan.FromDays(730), force, observer, cancellationToken));

    /// <summary>Change App, or Protect with Your Own App for a legacy account.</summary>
    public Task<CasServiceAccount> ChangeAppAsync(CasConnection admin, Guid accountId, string appId, SecureString clientSecret, LicensingModel? model, bool grantAdminConsent, IOperationObserver observer, CancellationToken cancellationToken) =>
        Run(observer, () => maintenance.ChangeAppAsync(admin, accountId, appId, clientSecret, model, grantAdminConsent, observer, cancellationToken));

    /// <summary>Creates a new access token for the account and records its state.</summary>
    public Task<CasAccessTokenInfo> NewAccessTokenAsync(CasConnection admin, Guid accountId, SecureString? clientSecret, bool includeToken, IOperationObserver observer, CancellationToken cancellationToken) =>
        Run(observer, () => maintenance.NewAccessTokenAsync(admin, accountId, clientSecret, includeToken, cancellationToken));

    /// <summary>"Cloud App Security then updates the Teams Chat data": the inventory, again or for the first time.</summary>
    public Task<TeamsChatInventoryResult> UpdateInventoryAsync(CasConnection admin, Guid accountId, SecureString? clientSecret, int throttleLimit, IOperationObserver observer, CancellationToken cancellationToken) =>
        Run(observer, () => maintenance.UpdateInventoryAsync(admin, accountId, clientSecret, throttleLimit, observer, cancellationToken));

    /// <summary>Renews the account's chat-message subscriptions that expire within <paramref name="renewWithin"/> and recreates those that expired or were removed.</summary>
    public Task<IReadOnlyList<CasTeamsChatSubscription>> RenewSubscriptionsAsync(CasConnection admin, Guid accountId, SecureString? clientSecret, TimeSpan? renewWithin, IOperationObserver observer, CancellationToken cancellationToken) =>
        Run(observer, () => maintenance.RenewSubscriptionsAsync(admin, accountId, clientSecret, renewWithin ?? TeamsChatMaintenance.DefaultRenewWithin, observer, cancellationToken));

    internal Task<IReadOnlyList<CasHealthFinding>> TestAsync(CasConnection admin, Guid accountId, SecureString? clientSecret, CancellationToken cancellationToken) =>
        maintenance.TestAsync(admin, accountId, clientSecret, cancellationToken);

    private static async Task<T> Run<T>(IOperationObserver observer, Func<Task<T>> work)
    {
        using var scope = OperationScope.Enter(observer);
        return await work().ConfigureAwait(false);
    }
}
