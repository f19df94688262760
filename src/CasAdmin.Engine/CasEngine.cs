using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Provisioning;
using CasAdmin.Engine.Store;
using CasAdmin.Engine.Tenancy;

namespace CasAdmin.Engine;

/// <summary>The engine of one process: what the cmdlets of every runspace share.</summary>
public sealed class CasEngine
{
    private static readonly Lazy<CasEngine> SharedEngine = new(() => new CasEngine(new OsSecretVault(Path.Combine(StoreLocator.DefaultFolder(), "secrets"))));

    internal CasEngine(ISecretVault vault)
    {
        // One engine is one session: what a session was given it keeps in memory, beside the OS store.
        vault = vault as SessionSecretVault ?? new SessionSecretVault(vault);
        Vault = vault;
        TeamsChat = new TeamsChatService(vault);
        Accounts = new AccountService(vault);
        Deprovisioning = new DeprovisioningService(vault);
        StoredSecrets = new StoredSecretService(vault);
        Tenants = new TenantResolver(Connections, Accounts);
    }

    /// <summary>The process-wide engine; created on first use so importing the module stays light.</summary>
    public static CasEngine Shared => SharedEngine.Value;

    public ConnectionManager Connections { get; } = new();

    /// <summary>Teams Chat provisioning and upkeep (the product's Teams Chat provisioning topic).</summary>
    public TeamsChatService TeamsChat { get; }

    /// <summary>Service accounts in the registry: list, test, notifications.</summary>
    public AccountService Accounts { get; }

    /// <summary>Removal jobs for all six services (the product's "Deprovisioning Office 365 Services" topic).</summary>
    public DeprovisioningService Deprovisioning { get; }

    /// <summary>This machine's vault entries: which an account names, and removing the leftovers.</summary>
    public StoredSecretService StoredSecrets { get; }

    /// <summary>Which tenant a command works in: -TenantId, -Connection, piped objects and the account acted on, resolved in one place.</summary>
    public TenantResolver Tenants { get; }

    internal ISecretVault Vault { get; }
}
