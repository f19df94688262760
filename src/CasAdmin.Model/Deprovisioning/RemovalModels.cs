using CasAdmin.Engine.Accounts;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>Where a removal job stands.</summary>
public enum RemovalJobStatus
{
    Pending = 1,
    Running,
    Succeeded,

    /// <summary>Stopped at a step that failed or at an account that could not be verified; says why and what to do.</summary>
    Failed,

    /// <summary>CasAdmin's own data was force-removed; what stayed in the tenant is listed as remaining changes.</summary>
    Forced,
}

public enum RemovalStepStatus
{
    Pending = 1,
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

    public RemovalStepStatus Status { get; init; } = RemovalStepStatus.Pending;

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

    public RemovalJobStatus Status { get; init; } = RemovalJobStatus.Pending;

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
