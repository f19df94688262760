using CasAdmin.Engine.Accounts;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>Where a removal job stands.</summary>
public enum RemovalJobStatus
{
    Pending,
    Running,
    Succeeded,

    /// <summary>Stopped at a step that failed or at an account that could not be verified; says why and what to do.</summary>
    Failed,

    /// <summary>CasAdmin's own data was force-removed; what stayed in the tenant is listed as remaining changes.</summary>
    Forced,
}

public enum RemovalStepStatus
{
    Pending,
    Running,
    Succeeded,
    Failed,

    /// <summary>Not needed for this account, or left out by forced removal.</summary>
    Skipped,
}

/// <summary>One named step of a removal job ("Details" in the console).</summary>
public sealed record CasRemovalStep
{
    public Guid JobId { get; init; }

    public int Ordinal { get; init; }

    public string Name { get; init; } = string.Empty;

    public RemovalStepStatus Status { get; init; }

    public DateTimeOffset? StartedOn { get; init; }

    public DateTimeOffset? FinishedOn { get; init; }

    public TimeSpan? Duration => StartedOn is { } s && FinishedOn is { } f ? f - s : null;

    public string? ErrorId { get; init; }

    public string? Error { get; init; }

    public string? Detail { get; init; }
}

/// <summary>A change left in the tenant that CasAdmin could not (or may not) undo through Graph, with the exact action.</summary>
public sealed record CasCleanupItem
{
    public long ItemId { get; init; }

    public Guid JobId { get; init; }

    public string TenantId { get; init; } = string.Empty;

    public CasService Service { get; init; }

    /// <summary>What it is: TransportRule, InboundConnector, OutboundConnector, SpoofedSenderEntry, IpAllowEntry, AddInPrincipal, QuarantineFolder, QuarantineLibrary, ServicePrincipal, Application, DelegateAccount, Subscription…</summary>
    public string Kind { get; init; } = string.Empty;

    public string Name { get; init; } = string.Empty;

    /// <summary>Where it is (a page, a mailbox, a site).</summary>
    public string? Location { get; init; }

    /// <summary>Why CasAdmin did not remove it.</summary>
    public string Reason { get; init; } = string.Empty;

    /// <summary>The exact command or link that removes it.</summary>
    public string Action { get; init; } = string.Empty;
}

/// <summary>The tracked removal of one service account.</summary>
public sealed record CasRemovalJob
{
    public Guid JobId { get; init; }

    public Guid AccountId { get; init; }

    public string TenantId { get; init; } = string.Empty;

    public string? TenantDomain { get; init; }

    public CasService Service { get; init; }

    /// <summary>The App Id recorded before removal (to find the app principal afterwards).</summary>
    public string? AppId { get; init; }

    public string? DelegateAccount { get; init; }

    public RemovalJobStatus Status { get; init; }

    public bool Forced { get; init; }

    public DateTimeOffset CreatedOn { get; init; }

    public DateTimeOffset? StartedOn { get; init; }

    public DateTimeOffset? FinishedOn { get; init; }

    public string? ErrorId { get; init; }

    public string? Error { get; init; }

    public string? RecommendedAction { get; init; }

    /// <summary>Who holds the job while it runs (machine, process).</summary>
    public string? LeaseOwner { get; init; }

    public IReadOnlyList<CasRemovalStep> Steps { get; init; } = [];

    public IReadOnlyList<CasCleanupItem> RemainingChanges { get; init; } = [];

    /// <summary>The step running now, or the one that failed.</summary>
    public string? CurrentStep => Steps.FirstOrDefault(s => s.Status is RemovalStepStatus.Running or RemovalStepStatus.Failed)?.Name;

    /// <summary>Estimated seconds left while running (from measured step durations), else null.</summary>
    public int? EstimatedSecondsRemaining { get; init; }

    public override string ToString() => $"{Service} {TenantDomain ?? TenantId}: {Status}";
}

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
