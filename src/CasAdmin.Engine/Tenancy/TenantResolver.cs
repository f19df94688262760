using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Tenancy;

/// <summary>
/// The one place that turns what a command was given to name a tenant into one tenant: -TenantId (a tenant id or a
/// verified domain, typed, or bound from the TenantId property of a piped object: accounts, removal jobs, cleanup
/// items, notifications, connections, candidates), -Connection, -AdminConnection, and the recorded tenant of the
/// account a command acts on. Inputs that name different tenants are refused here with TenantMismatch, before
/// anything is confirmed or changed.
/// </summary>
public sealed class TenantResolver
{
    private readonly ConnectionManager connections;
    private readonly AccountService accounts;

    internal TenantResolver(ConnectionManager connections, AccountService accounts)
    {
        this.connections = connections;
        this.accounts = accounts;
    }

    /// <summary>
    /// The connection a command works through: <paramref name="connection"/> (to <paramref name="tenant"/>'s tenant
    /// when both are given), else the open connection to <paramref name="tenant"/>, else the session default.
    /// </summary>
    /// <exception cref="CasException">
    /// NotConnected (its target is null when no tenant was named and there is no default connection: then no item
    /// of a pipeline can succeed), or TenantMismatch.
    /// </exception>
    public TenantScope Resolve(string? tenant, CasConnection? connection, CasConnection? adminConnection = null)
    {
        var chosen = ConnectionFor(tenant, connection);
        RequireAdminOfSameTenant(adminConnection, chosen);
        return new TenantScope(chosen, adminConnection, connection is not null ? "-Connection" : string.IsNullOrWhiteSpace(tenant) ? null : "-TenantId");
    }

    /// <summary>
    /// The account a command acts on and the connection to its own tenant. The account names its tenant: when
    /// <paramref name="scope"/> came from neither -TenantId nor -Connection, the open connection to the account's tenant
    /// is used (the default connection only said which registry to read); otherwise the account must be of the tenant
    /// they named.
    /// </summary>
    /// <exception cref="CasException">ServiceAccountNotFound, NotConnected or TenantMismatch.</exception>
    public async Task<AccountScope> ResolveAccountAsync(TenantScope scope, Guid accountId, CasConnection? adminConnection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var named = scope.Connection;
        var account = await accounts.GetAsync(named.StorePath, accountId, cancellationToken).ConfigureAwait(false);
        CasConnection chosen;
        if (ConnectionManager.Matches(named, account.TenantId))
        {
            chosen = named;
        }
        else if (scope.NamedBy is { } namedBy)
        {
            throw AccountMismatch(account, namedBy, NameOf(named));
        }
        else if (connections.TryResolve(account.TenantId, out var own))
        {
            chosen = own;
        }
        else
        {
            throw ConnectionManager.NotConnected(account.TenantDomain ?? account.TenantId);
        }

        RequireAdminOfSameTenant(adminConnection, chosen);
        return new AccountScope(account, chosen, adminConnection);
    }

    /// <summary>
    /// Like <see cref="ResolveAccountAsync"/>, for a command that hands the account id on to an engine operation which
    /// reads the account itself: an id the registry does not hold keeps <paramref name="scope"/>, so that the operation
    /// checks its own input first and then reports ServiceAccountNotFound, as it always has.
    /// </summary>
    /// <exception cref="CasException">NotConnected or TenantMismatch.</exception>
    public async Task<TenantScope> ResolveAccountTenantAsync(TenantScope scope, Guid accountId, CasConnection? adminConnection, CancellationToken cancellationToken)
    {
        try
        {
            return await ResolveAccountAsync(scope, accountId, adminConnection, cancellationToken).ConfigureAwait(false);
        }
        catch (CasException ex) when (ex.ErrorId == ErrorIds.ServiceAccountNotFound)
        {
            RequireAdminOfSameTenant(adminConnection, scope.Connection);
            return scope;
        }
    }

    /// <summary>
    /// The tenant a registry reader filters on: none (every tenant) when neither -TenantId nor -Connection is given;
    /// else the tenant's id, found from a GUID as is, a domain through the open connections, then through the tenants
    /// the registry at <paramref name="storePath"/> recorded. A domain neither knows filters out everything.
    /// </summary>
    /// <exception cref="CasException">TenantMismatch, or a registry failure.</exception>
    public async Task<TenantFilter> ResolveFilterAsync(string? storePath, string? tenant, CasConnection? connection, CancellationToken cancellationToken)
    {
        if (connection is not null)
        {
            ConnectionFor(tenant, connection);
            return new TenantFilter(tenant ?? NameOf(connection), connection.TenantId, "-Connection");
        }

        if (string.IsNullOrWhiteSpace(tenant))
        {
            return TenantFilter.Any;
        }

        if (Guid.TryParse(tenant, out var id))
        {
            return new TenantFilter(tenant, id.ToString(), "-TenantId");
        }

        if (connections.GetConnections().FirstOrDefault(c => ConnectionManager.Matches(c, tenant)) is { } open)
        {
            return new TenantFilter(tenant, open.TenantId, "-TenantId");
        }

        var recorded = RegistryStore.NotCreatedYet(storePath)
            ? null
            : await new KnownTenantRepository(RegistryStore.Open(storePath, create: false)).FindIdByDomainAsync(tenant, cancellationToken).ConfigureAwait(false);
        return new TenantFilter(tenant, recorded, "-TenantId");
    }

    /// <summary>An account asked for by id must be of the tenant a registry reader was given, if it was given one.</summary>
    /// <exception cref="CasException">TenantMismatch.</exception>
    public static void RequireAccountOf(TenantFilter filter, CasServiceAccount account)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(account);
        if (filter.TenantId is not null && !string.Equals(account.TenantId, filter.TenantId, StringComparison.OrdinalIgnoreCase))
        {
            throw AccountMismatch(account, filter.NamedBy ?? "-TenantId", filter.Name ?? filter.TenantId);
        }
    }

    /// <summary>A tenant as people read it: its domain when known, else its id.</summary>
    public static string NameOf(CasConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.TenantDomain ?? connection.TenantId;
    }

    private CasConnection ConnectionFor(string? tenant, CasConnection? connection)
    {
        tenant = Canonical(tenant);
        if (connection is null)
        {
            return connections.Resolve(tenant);
        }

        if (tenant is null || ConnectionManager.Matches(connection, tenant))
        {
            return connection;
        }

        throw Mismatch(
            $"-TenantId names tenant {tenant}, but -Connection is to tenant {NameOf(connection)}.",
            $"Pass a connection to tenant {tenant}, or leave -Connection out to use the open connection to tenant {tenant}.",
            tenant);
    }

    private static void RequireAdminOfSameTenant(CasConnection? adminConnection, CasConnection connection)
    {
        if (adminConnection is not null && !ConnectionManager.Matches(adminConnection, connection.TenantId))
        {
            throw Mismatch(
                $"-AdminConnection is to tenant {NameOf(adminConnection)}, not to tenant {NameOf(connection)}.",
                "Pass a Global Administrator connection to the account's tenant, or run the command for each tenant separately.",
                connection.TenantId);
        }
    }

    /// <summary>A tenant id in any GUID spelling ({…}, upper case) as tokens and the registry write it; a domain as given.</summary>
    private static string? Canonical(string? tenant) =>
        string.IsNullOrWhiteSpace(tenant) ? null : Guid.TryParse(tenant, out var id) ? id.ToString() : tenant.Trim();

    private static CasException AccountMismatch(CasServiceAccount account, string namedBy, string tenant) => Mismatch(
        $"The {account.Service} service account {account.AccountId} belongs to tenant {account.TenantDomain ?? account.TenantId}, but {namedBy} {(namedBy == "-Connection" ? "is to" : "names")} tenant {tenant}.",
        $"Leave {namedBy} out to use the account's own tenant, or pass an account of tenant {tenant}.",
        account.AccountId.ToString());

    private static CasException Mismatch(string message, string recommendedAction, string target) =>
        new(ErrorIds.TenantMismatch, CasErrorCategory.InvalidArgument, message, recommendedAction, target);
}
