namespace CasAdmin.Engine.Store;

/// <summary>
/// One line of the registry's audit log: who did what to which service account, and how it ended. It never holds a
/// secret value (secrets are not written to the registry at all).
/// </summary>
public sealed class CasAuditEntry
{
    /// <summary>The line's number in the registry (ascending in the order the changes were recorded).</summary>
    public long AuditId { get; init; }

    /// <summary>When the change was recorded (UTC).</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>The signed-in account or app that made the change.</summary>
    public string? Actor { get; init; }

    public string? TenantId { get; init; }

    public string? TenantDomain { get; init; }

    public Guid? AccountId { get; init; }

    /// <summary>What was done, for example RegisterServiceAccount or RemoveServiceAccount.</summary>
    public string Action { get; init; } = string.Empty;

    /// <summary>What it was done to: an App Id, a delegate account, a secret's key id.</summary>
    public string? Target { get; init; }

    /// <summary>How it ended, for example Succeeded or LocalDataRemoved.</summary>
    public string Result { get; init; } = string.Empty;

    public string? Detail { get; init; }
}
