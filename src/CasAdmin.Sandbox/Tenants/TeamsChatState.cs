using System.Globalization;

namespace CasAdmin.Sandbox.Tenants;

/// <summary>A change-notification subscription; kept after deletion (with <see cref="DeletedAt"/>) so tests can check ordering.</summary>
internal sealed class ChatSubscription
{
    public required string Id { get; init; }
    public required string Resource { get; init; }
    public required string ChangeType { get; set; }
    public required string NotificationUrl { get; set; }
    public string? LifecycleNotificationUrl { get; init; }
    public DateTimeOffset ExpirationDateTime { get; set; }
    public string? ClientState { get; set; }
    public required string ApplicationId { get; init; }
    public required string CreatorId { get; init; }
    public string LatestSupportedTlsVersion { get; init; } = "v1_2";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
    public string? DeletedByAppId { get; set; }

    /// <summary>Graph sent reauthorizationRequired and has not seen a reauthorize or renewal since.</summary>
    public bool ReauthorizationRequired { get; set; }

    /// <summary>Graph itself removed the subscription (and sent subscriptionRemoved); DeletedByAppId stays null.</summary>
    public bool RemovedByService { get; set; }

    /// <summary>Live at <paramref name="now"/>: neither deleted nor expired.</summary>
    public bool IsLive(DateTimeOffset now) => DeletedAt is null && ExpirationDateTime > now;
}

/// <summary>
/// Teams Chat state of one tenant: the lazily computed chats, subscriptions (live and deleted) and the Evaluation Mode
/// usage per app and month. Used under <see cref="TenantState.Sync"/>, except <see cref="Chats"/> which is immutable once built.
/// </summary>
internal sealed class TeamsChatState(TenantState tenant)
{
    /// <summary>Messages per month per app per tenant that getAllMessages without a model may return.</summary>
    public const int EvaluationMonthlyQuota = 500;

    private ChatDirectory? _chats;
    private readonly Dictionary<(string App, string Month), int> _evaluation = new();

    public Dictionary<string, ChatSubscription> Subscriptions { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The chats, computed on first use over the users present at that moment.</summary>
    public ChatDirectory Chats
    {
        get
        {
            if (_chats is { } built)
            {
                return built;
            }

            List<string> ids;
            lock (tenant.Sync)
            {
                ids = tenant.Users.Enumerate().Select(u => u.Id).ToList();
            }

            var created = new ChatDirectory(tenant.Id, tenant.Seed, tenant.GeneratedChatCount, ids, tenant.CreatedDateTime);
            return Interlocked.CompareExchange(ref _chats, created, null) ?? created;
        }
    }

    private static string Month(DateTimeOffset now) => now.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    public int EvaluationUsed(string appId, DateTimeOffset now) => _evaluation.GetValueOrDefault((appId.ToLowerInvariant(), Month(now)));

    public void SetEvaluationUsed(string appId, DateTimeOffset now, int used) => _evaluation[(appId.ToLowerInvariant(), Month(now))] = Math.Max(0, used);

    public void AddEvaluationUse(string appId, DateTimeOffset now, int messages) =>
        _evaluation[(appId.ToLowerInvariant(), Month(now))] = EvaluationUsed(appId, now) + messages;
}
