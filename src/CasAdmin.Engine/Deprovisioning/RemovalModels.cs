using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Tenancy;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>How a removal runs.</summary>
public sealed record RemovalOptions
{
    /// <summary>Skip the Exchange Online confirmation and force removal of CasAdmin's data when the account is invalid or a step fails.</summary>
    public bool Force { get; init; }

    /// <summary>Teams Chat: also delete the customer's own app.</summary>
    public bool RemoveApp { get; init; }

    /// <summary>With RemoveApp: purge the deleted app from deleted items at once.</summary>
    public bool Purge { get; init; }

    /// <summary>Delegate accounts: also delete the Microsoft 365 user.</summary>
    public bool RemoveDelegateAccount { get; init; }

    /// <summary>Jobs run at once across the batch.</summary>
    public int ThrottleLimit { get; init; } = 8;

    /// <summary>How long a lease holds without renewal; a holder that died loses its jobs after this.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// One account to remove and the connections to use for it. Built only from an <see cref="AccountScope"/>, which only
/// <see cref="TenantResolver"/> creates, after reading the account from the registry and checking its tenant against
/// the connections: a target whose connection is to another tenant than its account's cannot be built, so the runner
/// does not check the tenant again. (Two tenants can hold principals of the same app id; such a target would remove the
/// principal from the wrong tenant.)
/// </summary>
public sealed class RemovalTarget
{
    private RemovalTarget(AccountScope scope, bool confirmed)
    {
        AccountId = scope.Account.AccountId;
        Connection = scope.Connection;
        AdminConnection = scope.AdminConnection;
        Confirmed = confirmed;
    }

    /// <summary>The account <paramref name="scope"/> resolved, to remove through its connections.</summary>
    /// <param name="scope">The account and the connection to its own tenant, from <see cref="TenantResolver.ResolveAccountAsync"/>.</param>
    /// <param name="confirmed">The person already confirmed the extra prompt this removal needs (Exchange Online).</param>
    public static RemovalTarget For(AccountScope scope, bool confirmed = false)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return new RemovalTarget(scope, confirmed);
    }

    /// <summary>
    /// The account <paramref name="accountId"/> names in the registry of <paramref name="connection"/>, resolved through
    /// <paramref name="tenants"/> as a cmdlet given -Connection resolves it: for callers that hold a connection and an
    /// account id rather than a resolved scope (the benchmark, the crash host).
    /// </summary>
    /// <exception cref="CasException">ServiceAccountNotFound, or TenantMismatch when the account or <paramref name="adminConnection"/> is of another tenant.</exception>
    public static async Task<RemovalTarget> ResolveAsync(TenantResolver tenants, CasConnection connection, Guid accountId, CasConnection? adminConnection = null,
        bool confirmed = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenants);
        var scope = await tenants.ResolveAccountAsync(tenants.Resolve(null, connection, adminConnection), accountId, adminConnection, cancellationToken).ConfigureAwait(false);
        return new RemovalTarget(scope, confirmed);
    }

    /// <summary>The account in the registry.</summary>
    public Guid AccountId { get; }

    /// <summary>A connection to the account's tenant.</summary>
    public CasConnection Connection { get; }

    /// <summary>A Global Administrator connection to the same tenant when <see cref="Connection"/> lacks the rights.</summary>
    public CasConnection? AdminConnection { get; }

    /// <summary>The person already confirmed the extra prompt this removal needs (Exchange Online).</summary>
    public bool Confirmed { get; }
}

/// <summary>The outcome of removing one account: its job, or why no job could run.</summary>
public sealed record RemovalResult(Guid AccountId, CasRemovalJob? Job, CasException? Error)
{
    public bool Succeeded => Error is null && Job?.Status is RemovalJobStatus.Succeeded or RemovalJobStatus.Forced;
}
