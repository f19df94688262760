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
    string? DeletedByAppId,
    bool ReauthorizationRequired = false,
    bool RemovedByService = false);

/// <summary>
/// Body of PUT /_sandbox/teams (every property optional; what is left out is unchanged). MeteredEvaluation brings back the
/// historical Evaluation Mode quota (402 after 500 messages a month; off since August 2025). ProtectedApiApprovedByDefault
/// is whether apps are approved for the Teams protected APIs (default true); ProtectedApiApproval sets single apps
/// (app id → true/false; null returns the app to the default).
/// </summary>
public sealed record TeamsApiSettings(bool? MeteredEvaluation = null, bool? ProtectedApiApprovedByDefault = null, IReadOnlyDictionary<string, bool?>? ProtectedApiApproval = null);

/// <summary>GET /_sandbox/teams.</summary>
public sealed record TeamsApiState(bool MeteredEvaluation, bool ProtectedApiApprovedByDefault, IReadOnlyDictionary<string, bool> ProtectedApiApproval);

/// <summary>Body of POST /_sandbox/clock: how far to move the subscription clock ahead, as an ISO 8601 duration ("PT73H", "P3D").</summary>
public sealed record ClockAdvance(string Advance);

/// <summary>
/// GET /_sandbox/clock and the answer to POST: how far the subscription clock is ahead in total, and what the last advance did
/// (subscriptions expired, reauthorizationRequired sent, lifecycle notifications sent and acknowledged).
/// </summary>
public sealed record ClockState(string AdvancedBy, int Expired = 0, int ReauthorizationRequired = 0, int NotificationsSent = 0, int NotificationsDelivered = 0);

/// <summary>One POST the built-in echo receiver got besides a validation request (GET /_sandbox/receiver/notifications).</summary>
public sealed record ReceivedNotification(string Path, DateTimeOffset Received, string ContentType, string Body);
