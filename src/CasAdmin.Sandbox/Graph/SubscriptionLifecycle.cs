using System.Globalization;
using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Hosting;
using CasAdmin.Sandbox.Tenants;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// How far the subscription service's clock has been moved ahead (POST /_sandbox/clock). Only subscriptions age:
/// access tokens, throttling windows, replication delays and secrets keep the machine's clock, because clients cache
/// tokens by that clock (MSAL) and a jump of days must not make a token just issued look expired to Graph. Moving a
/// subscription's expiry back by the advance is the same, for Graph's answers, as time passing; the clock never goes
/// back (POST /_sandbox/reset starts it over). CasAdmin reads GET /_sandbox/clock to tell an expired subscription from a
/// removed one, since its own clock did not move.
/// </summary>
internal sealed class SubscriptionClock
{
    private long _ticks;

    public TimeSpan AdvancedBy => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

    public void Add(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    public void Reset() => Interlocked.Exchange(ref _ticks, 0);
}

/// <summary>What one clock advance did.</summary>
internal sealed record SubscriptionAdvance(TimeSpan AdvancedBy, int Expired, int ReauthorizationRequired, int NotificationsSent, int NotificationsDelivered);

/// <summary>
/// Lifecycle notifications (learn.microsoft.com/graph/change-notifications-lifecycle-events): a changeNotificationCollection
/// of {subscriptionId, subscriptionExpirationDateTime, tenantId, clientState, lifecycleEvent} POSTed to the
/// lifecycleNotificationUrl, which acknowledges with 202. Sent only to subscriptions created with a lifecycle URL.
/// </summary>
internal static class SubscriptionLifecycle
{
    /// <summary>
    /// reauthorizationRequired is sent "when a subscription is about to expire"; Microsoft gives no fixed lead time (its
    /// sample computes intervals from the token's lifetime). The sandbox sends it once, when less than an hour remains.
    /// </summary>
    public static readonly TimeSpan ReauthorizationWindow = TimeSpan.FromHours(1);

    /// <summary>
    /// Moves the subscription clock ahead: every live subscription gets <paramref name="by"/> older (its expiry and creation
    /// move back), reauthorizationRequired goes to those whose last hour began in that span, and those whose expiry
    /// passed are gone (GET gives 404, the list leaves them out). Graph documents no notification for a plain expiry, so
    /// none is sent: the reauthorizationRequired before it is the only warning.
    /// </summary>
    public static async Task<SubscriptionAdvance> AdvanceAsync(SandboxRuntime rt, TimeSpan by, CancellationToken ct)
    {
        var now = rt.Time.GetUtcNow();
        var notices = new List<(string Url, JsonObject Item)>();
        int expired = 0, reauthorize = 0;
        foreach (var t in rt.Store.Tenants)
        {
            lock (t.Sync)
            {
                foreach (var s in t.Teams.Subscriptions.Values.Where(s => s.IsLive(now)))
                {
                    var before = s.ExpirationDateTime - now;
                    s.ExpirationDateTime -= by;
                    s.CreatedAt -= by;
                    if (before > ReauthorizationWindow && s.ExpirationDateTime - now <= ReauthorizationWindow && s.LifecycleNotificationUrl is { } url)
                    {
                        s.ReauthorizationRequired = true;
                        reauthorize++;
                        notices.Add((url, Item(t.Id, s, "reauthorizationRequired")));
                    }

                    if (!s.IsLive(now))
                    {
                        expired++;
                    }
                }
            }
        }

        rt.SubscriptionClock.Add(by);
        var delivered = await DeliverAsync(rt, notices, ct).ConfigureAwait(false);
        return new SubscriptionAdvance(rt.SubscriptionClock.AdvancedBy, expired, reauthorize, notices.Count, delivered);
    }

    /// <summary>Graph removes a live subscription itself (subscriptionRemoved, documented for Teams chatMessage); false when unknown or not live.</summary>
    public static async Task<bool> RemoveAsync(SandboxRuntime rt, TenantState t, string id, CancellationToken ct)
    {
        var now = rt.Time.GetUtcNow();
        (string Url, JsonObject Item)? notice = null;
        lock (t.Sync)
        {
            if (!t.Teams.Subscriptions.TryGetValue(id, out var s) || !s.IsLive(now))
            {
                return false;
            }

            s.DeletedAt = now;
            s.RemovedByService = true;
            if (s.LifecycleNotificationUrl is { } url)
            {
                notice = (url, Item(t.Id, s, "subscriptionRemoved"));
            }
        }

        if (notice is { } n)
        {
            await DeliverAsync(rt, [n], ct).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// Sends a missed notification. Microsoft documents missed only for Outlook messages, events and contacts, not for
    /// Teams chatMessage, so the sandbox never sends one on its own: this exists for testing receivers. False when unknown.
    /// </summary>
    public static async Task<bool> SendMissedAsync(SandboxRuntime rt, TenantState t, string id, CancellationToken ct)
    {
        var now = rt.Time.GetUtcNow();
        (string Url, JsonObject Item)? notice = null;
        lock (t.Sync)
        {
            if (!t.Teams.Subscriptions.TryGetValue(id, out var s) || !s.IsLive(now))
            {
                return false;
            }

            if (s.LifecycleNotificationUrl is { } url)
            {
                notice = (url, Item(t.Id, s, "missed"));
            }
        }

        if (notice is { } n)
        {
            await DeliverAsync(rt, [n], ct).ConfigureAwait(false);
        }

        return true;
    }

    private static JsonObject Item(string tenantId, ChatSubscription s, string lifecycleEvent) => new()
    {
        ["subscriptionId"] = s.Id,
        ["subscriptionExpirationDateTime"] = s.ExpirationDateTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
        ["tenantId"] = tenantId,
        ["clientState"] = s.ClientState,
        ["lifecycleEvent"] = lifecycleEvent,
    };

    /// <summary>One POST per lifecycle URL with its notifications batched, as Graph may; a receiver that fails loses them (the sandbox does not retry).</summary>
    private static async Task<int> DeliverAsync(SandboxRuntime rt, IReadOnlyList<(string Url, JsonObject Item)> notices, CancellationToken ct)
    {
        var delivered = 0;
        foreach (var group in notices.GroupBy(n => n.Url, StringComparer.Ordinal))
        {
            var body = new JsonObject { ["value"] = new JsonArray(group.Select(n => (JsonNode)n.Item).ToArray()) };
            if (await rt.Handshake.NotifyAsync(group.Key, body.ToJsonString(), ct).ConfigureAwait(false))
            {
                delivered += group.Count();
            }
        }

        return delivered;
    }
}
