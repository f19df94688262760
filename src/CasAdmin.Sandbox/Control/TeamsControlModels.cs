namespace CasAdmin.Sandbox;

/// <summary>Body of PUT /_sandbox/replication: the upper bound of every Entra ID replication delay, in ms (0 = off; default 10,000).</summary>
public sealed record ReplicationSettings(int LagMs);

/// <summary>Body of PUT /_sandbox/tenants/{tenantId}/evaluation: this month's Evaluation Mode usage of one app (0 resets).</summary>
public sealed record EvaluationUsage(string AppId, int Used);

/// <summary>
/// Body of PUT /_sandbox/tenants/{tenantId}/appManagementPolicy: the default app management policy
/// (MaxPasswordLifetime as an ISO 8601 duration such as "P180D"; null = no lifetime restriction).
/// </summary>
public sealed record AppManagementPolicySettings(bool IsEnabled, string? MaxPasswordLifetime = null);

/// <summary>One chat-message subscription as the sandbox keeps it, deleted ones included (GET /_sandbox/tenants/{tenantId}/subscriptions).</summary>
public sealed record SubscriptionRecord(
    string Id,
    string Resource,
    string ApplicationId,
    string ChangeType,
    string NotificationUrl,
    string? LifecycleNotificationUrl,
    string? ClientState,
    DateTimeOffset ExpirationDateTime,
    DateTimeOffset CreatedDateTime,
    DateTimeOffset? DeletedDateTime,
    string? DeletedByAppId);
