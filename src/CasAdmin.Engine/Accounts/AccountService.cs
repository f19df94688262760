using System.Security;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Provisioning;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Accounts;

/// <summary>The service accounts in a registry: listing, health, notifications.</summary>
public sealed class AccountService
{
    private readonly TeamsChatMaintenance teamsChat;

    internal AccountService(ISecretVault vault) => teamsChat = new TeamsChatMaintenance(vault);

    /// <summary>Accounts matching every filter given; removed ones only with <paramref name="includeRemoved"/>.</summary>
    public async Task<IReadOnlyList<CasServiceAccount>> GetAsync(string? storePath, string? tenantId, CasService? service, ServiceAccountStatus? status, bool includeRemoved, CancellationToken cancellationToken) =>
        RegistryStore.NotCreatedYet(storePath) ? []
            : await new AccountRepository(RegistryStore.Open(storePath, create: false)).ListAsync(tenantId, service, status, includeRemoved || status == ServiceAccountStatus.Removed, cancellationToken).ConfigureAwait(false);

    public async Task<CasServiceAccount> GetAsync(string? storePath, Guid accountId, CancellationToken cancellationToken) =>
        (RegistryStore.NotCreatedYet(storePath) ? null : await new AccountRepository(RegistryStore.Open(storePath, create: false)).GetAsync(accountId, cancellationToken).ConfigureAwait(false))
        ?? throw new CasException(ErrorIds.ServiceAccountNotFound, CasErrorCategory.ObjectNotFound,
            $"No service account {accountId} is in the registry.", "List the accounts with Get-CasServiceAccount.", accountId.ToString());

    public async Task<IReadOnlyList<CasNotification>> GetNotificationsAsync(string? storePath, string? tenantId, Guid? accountId, CancellationToken cancellationToken) =>
        RegistryStore.NotCreatedYet(storePath) ? []
            : await new AccountRepository(RegistryStore.Open(storePath, create: false)).NotificationsAsync(tenantId, accountId, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The registry's audit log, newest first: by tenant (id or domain), account, action (wildcards <c>*</c> and
    /// <c>?</c>), and time range (<paramref name="from"/> inclusive, <paramref name="to"/> exclusive).
    /// </summary>
    public async Task<IReadOnlyList<CasAuditEntry>> GetAuditLogAsync(string? storePath, string? tenant, Guid? accountId, string? action, DateTimeOffset? from, DateTimeOffset? to, int? newest, CancellationToken cancellationToken) =>
        RegistryStore.NotCreatedYet(storePath) ? []
            : await new AccountRepository(RegistryStore.Open(storePath, create: false)).AuditLogAsync(tenant, accountId, action, from, to, newest, cancellationToken).ConfigureAwait(false);

    /// <summary>Service-account footprints already in the connection's tenant (vendor principals, CasAdmin's apps, delegate users).</summary>
    public async Task<IReadOnlyList<CasServiceAccountCandidate>> FindAsync(CasConnection connection, string? delegatePrefix, IOperationObserver observer, CancellationToken cancellationToken)
    {
        using var scope = OperationScope.Enter(observer);
        return await Discovery.FindAsync(connection, string.IsNullOrWhiteSpace(delegatePrefix) ? Discovery.DefaultDelegatePrefix : delegatePrefix, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records an account provisioned elsewhere so it can be managed and deprovisioned here. Changes nothing in the tenant.</summary>
    public async Task<CasServiceAccount> RegisterAsync(CasConnection connection, RegisterAccountRequest request, IOperationObserver observer, CancellationToken cancellationToken)
    {
        using var scope = OperationScope.Enter(observer);
        return await Discovery.RegisterAsync(connection, request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Health findings for an account, each with a recommended action.</summary>
    public async Task<IReadOnlyList<CasHealthFinding>> TestAsync(CasConnection admin, Guid accountId, SecureString? clientSecret, IOperationObserver observer, CancellationToken cancellationToken)
    {
        using var scope = OperationScope.Enter(observer);
        return await teamsChat.TestAsync(admin, accountId, clientSecret, cancellationToken).ConfigureAwait(false);
    }
}
