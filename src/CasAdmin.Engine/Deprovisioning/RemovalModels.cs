using CasAdmin.Engine.Errors;

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

/// <summary>One account to remove and the connections to use for it.</summary>
/// <param name="AccountId">The account in the registry.</param>
/// <param name="Connection">A connection to the account's tenant.</param>
/// <param name="AdminConnection">A Global Administrator connection when <paramref name="Connection"/> lacks the rights.</param>
/// <param name="Confirmed">The person already confirmed the extra prompt this removal needs (Exchange Online).</param>
public sealed record RemovalTarget(Guid AccountId, Connections.CasConnection Connection, Connections.CasConnection? AdminConnection = null, bool Confirmed = false);

/// <summary>The outcome of removing one account: its job, or why no job could run.</summary>
public sealed record RemovalResult(Guid AccountId, CasRemovalJob? Job, CasException? Error)
{
    public bool Succeeded => Error is null && Job?.Status is RemovalJobStatus.Succeeded or RemovalJobStatus.Forced;
}
