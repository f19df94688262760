using System.Globalization;
using System.Security;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Graph;
using CasAdmin.Engine.Licensing;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;
using Microsoft.Graph.Models;

namespace CasAdmin.Engine.Provisioning;

/// <summary>
/// Protection that does not lapse: chat-message subscriptions live at most 4,320 minutes (60 without a lifecycle URL),
/// and Graph neither renews them nor says when one simply expires. Renewal keeps what is live, extends what is near
/// expiry (PATCH expirationDateTime, which also answers reauthorizationRequired), and replaces what expired or what Graph
/// removed. It runs as the account's own app (only the app that made a subscription may change it) and is idempotent:
/// a rerun changes nothing that is current, and a subscription an interrupted run made is found and recorded, not made twice.
/// </summary>
internal sealed partial class TeamsChatMaintenance
{
    /// <summary>Renew what expires within this long unless told otherwise; Test-CasServiceAccount warns from the same point.</summary>
    public static readonly TimeSpan DefaultRenewWithin = TimeSpan.FromDays(1);

    public async Task<IReadOnlyList<CasTeamsChatSubscription>> RenewSubscriptionsAsync(CasConnection admin, Guid accountId, SecureString? clientSecret, TimeSpan renewWithin, IOperationObserver observer, CancellationToken ct)
    {
        // Longer than a subscription lives means "renew every live one now", which is allowed.
        if (renewWithin < TimeSpan.Zero)
        {
            throw CasException.InvalidArgument($"-RenewWithin must be zero or positive; {renewWithin} was given.",
                "Give how long before expiry to renew, e.g. 1 (a day) or (New-TimeSpan -Hours 12).", accountId.ToString());
        }

        var (store, account) = await LoadAsync(admin, accountId, ct).ConfigureAwait(false);
        if (account.IsLegacy)
        {
            throw new CasException(ErrorIds.LegacyAccountNotSupported, CasErrorCategory.InvalidOperation,
                "This Teams Chat account was provisioned the old way: its subscriptions belong to the vendor's app, not to one CasAdmin can renew.",
                "Protect it with your own app first: Set-CasServiceAccountApp -AppId <id> -ClientSecret <secret>.", accountId.ToString());
        }

        if (account.NotificationUrl is not { } notificationUrl)
        {
            observer.Verbose($"Account {accountId} has no notification URL: it has no chat-message subscriptions to renew.");
            return [];
        }

        store.EnsureWritable();
        var lifecycleUrl = account.LifecycleNotificationUrl is { } l ? new Uri(l) : null;
        var model = account.LicensingModel ?? LicensingModel.Evaluation;
        using var app = await ServiceAppSession.SignInAsync(admin, account.AppId!, Secret(account, clientSecret), ct).ConfigureAwait(false);
        var recorded = await new SubscriptionRepository(store).ListAsync(accountId, ct).ConfigureAwait(false);
        var live = await ListLiveAsync(app.Graph, ct).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        var results = new List<CasTeamsChatSubscription>();

        CasTeamsChatSubscription Result(string id, string resource, DateTimeOffset expires, SubscriptionAction action, string? reason, string? previous = null) => new()
        {
            AccountId = accountId, TenantId = account.TenantId, AppId = account.AppId!, SubscriptionId = id, Resource = resource,
            ExpiresOn = expires, Action = action, Reason = reason, PreviousSubscriptionId = previous,
        };

        async Task<(string Id, DateTimeOffset Expires)> RenewAsync(string id)
        {
            var expires = DateTimeOffset.UtcNow + ChatSubscriptions.LifetimeFor(lifecycleUrl);
            var renewed = await app.Graph.CallAsync((g, c) => g.Subscriptions[id].PatchAsync(new Subscription { ExpirationDateTime = expires }, cancellationToken: c),
                id, ct, ChatSubscriptions.RequiredRoles, app.Identity.Permissions, protectedApi: true).ConfigureAwait(false);
            var actual = renewed?.ExpirationDateTime ?? expires;
            var recordedExpiry = actual + await ChatSubscriptions.ClockOffsetAsync(app.Graph, ct).ConfigureAwait(false);
            await new SubscriptionRepository(store).SetExpiryAsync(id, recordedExpiry, ct).ConfigureAwait(false);
            return (id, actual);
        }

        string Within(DateTimeOffset expires) => string.Create(CultureInfo.InvariantCulture, $"expires within {Math.Max(0, (expires - now).TotalHours):0.#} h");

        var replaced = new List<SubscriptionRow>();
        foreach (var r in recorded)
        {
            if (live.Remove(r.SubscriptionId, out var s))
            {
                var expires = s.ExpirationDateTime ?? r.Expires;
                if (expires - now > renewWithin)
                {
                    results.Add(Result(r.SubscriptionId, r.Resource, expires, SubscriptionAction.Unchanged, null));
                    continue;
                }

                var (id, renewed) = await RenewAsync(r.SubscriptionId).ConfigureAwait(false);
                observer.Verbose($"Renewed subscription {id} of account {accountId} until {renewed:u}.");
                results.Add(Result(id, r.Resource, renewed, SubscriptionAction.Renewed, Within(expires)));
            }
            else
            {
                // Not live: Graph's 404 for an expired subscription and for one it removed look alike; the recorded expiry tells them apart.
                replaced.Add(r);
            }
        }

        if (results.Count == 0)
        {
            var graphNow = replaced.Count == 0 ? now : now + await ChatSubscriptions.ClockOffsetAsync(app.Graph, ct).ConfigureAwait(false);
            var reason = replaced.Count == 0 ? "none recorded" : replaced.Any(r => r.Expires > graphNow) ? "removed" : "expired";
            var previous = replaced.Count > 0 ? replaced[0].SubscriptionId : null;
            var resource = ChatSubscriptions.ResourceFor(model);

            // An interrupted earlier run may have made the replacement already: one of this app's, for this account's URL and model.
            var orphan = live.Values.FirstOrDefault(s => string.Equals(s.NotificationUrl, notificationUrl, StringComparison.Ordinal)
                && string.Equals(s.Resource, resource, StringComparison.OrdinalIgnoreCase));
            if (orphan is not null)
            {
                var expires = orphan.ExpirationDateTime ?? now;
                var adopted = new ChatSubscriptions.Recorded(orphan.Id!, orphan.Resource!, expires + await ChatSubscriptions.ClockOffsetAsync(app.Graph, ct).ConfigureAwait(false));
                await RecordReplacementAsync(store, admin, account, adopted, model, replaced, "AdoptSubscription", ct).ConfigureAwait(false);
                if (expires - now <= renewWithin)
                {
                    (_, expires) = await RenewAsync(adopted.SubscriptionId).ConfigureAwait(false);
                }

                results.Add(Result(adopted.SubscriptionId, adopted.Resource, expires, SubscriptionAction.Adopted, reason, previous));
            }
            else
            {
                var created = await ChatSubscriptions.CreateAsync(app.Graph, model, new Uri(notificationUrl), lifecycleUrl, ct, app.Identity.Permissions).ConfigureAwait(false);
                await RecordReplacementAsync(store, admin, account, created, model, replaced, "RecreateSubscription", ct).ConfigureAwait(false);
                observer.Verbose($"Subscription {previous ?? "(none)"} of account {accountId} was {reason}; created {created.SubscriptionId}.");
                results.Add(Result(created.SubscriptionId, created.Resource, created.GraphExpires, SubscriptionAction.Recreated, reason, previous));
            }
        }
        else if (replaced.Count > 0)
        {
            // Another recorded subscription is live: the dead ones only leave the registry.
            await RecordReplacementAsync(store, admin, account, null, model, replaced, "ForgetSubscription", ct).ConfigureAwait(false);
        }

        if (results.Any(r => r.Action is SubscriptionAction.Renewed))
        {
            await new AccountRepository(store).AuditAsync(AuditEntry.ForAccount(admin, account, "RenewSubscription", "Succeeded",
                string.Join(", ", results.Where(r => r.Action == SubscriptionAction.Renewed).Select(r => r.SubscriptionId))), ct).ConfigureAwait(false);
        }

        return results;
    }

    /// <summary>
    /// The Teams API checks of the health test: protected-API approval (one getAllMessages read, the way the service reads),
    /// the historical Evaluation Mode quota (only if Graph meters again), and the subscriptions.
    /// </summary>
    private static async Task AddTeamsApiFindingsAsync(CasConnection admin, RegistryStore store, CasServiceAccount account, ServiceAppSession app, Action<string, HealthStatus, string, string?> add, CancellationToken ct)
    {
        try
        {
            await LicensingValidator.ProbeEvaluationQuotaAsync(admin, app.Graph, ct).ConfigureAwait(false);
            add("ProtectedApi", HealthStatus.Pass, "Microsoft has approved the app for the Teams protected APIs (chat messages and their subscriptions).", null);
            if (account.LicensingModel == LicensingModel.Evaluation)
            {
                add("EvaluationQuota", HealthStatus.Pass, "Microsoft Graph does not limit Evaluation Mode reads this month.", null);
            }
        }
        catch (CasException ex) when (ex.ErrorId == ErrorIds.ProtectedApiNotApproved)
        {
            add("ProtectedApi", HealthStatus.Fail, ex.Message, ex.RecommendedAction);
        }
        catch (CasException ex) when (ex.ErrorId == ErrorIds.EvaluationQuotaExceeded)
        {
            add("ProtectedApi", HealthStatus.Pass, "Microsoft has approved the app for the Teams protected APIs (chat messages and their subscriptions).", null);
            add("EvaluationQuota", account.LicensingModel == LicensingModel.Evaluation ? HealthStatus.Fail : HealthStatus.Warning, ex.Message, ex.RecommendedAction);
        }

        await AddSubscriptionFindingsAsync(store, account, app, add, ct).ConfigureAwait(false);
    }

    /// <summary>Health of the account's subscriptions as Graph sees them: live, expiring, expired or removed, each with the fix.</summary>
    private static async Task AddSubscriptionFindingsAsync(RegistryStore store, CasServiceAccount account, ServiceAppSession app, Action<string, HealthStatus, string, string?> add, CancellationToken ct)
    {
        if (account.NotificationUrl is null)
        {
            return;
        }

        const string Fix = "Run Update-CasTeamsChatSubscription (or the runbook sample Runbook-RenewTeamsChatSubscriptions.ps1 on a schedule).";
        var recorded = await new SubscriptionRepository(store).ListAsync(account.AccountId, ct).ConfigureAwait(false);
        Dictionary<string, Subscription> live;
        try
        {
            live = await ListLiveAsync(app.Graph, ct).ConfigureAwait(false);
        }
        catch (CasException ex) when (ex.Category is CasErrorCategory.PermissionDenied)
        {
            add("Subscriptions", HealthStatus.Unknown, ex.Message, ex.RecommendedAction);
            return;
        }

        if (recorded.Count == 0)
        {
            add("Subscriptions", HealthStatus.Fail, "No chat-message subscription is recorded: Teams Chat messages are not being delivered.", Fix);
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var graphNow = recorded.Any(r => !live.ContainsKey(r.SubscriptionId)) ? now + await ChatSubscriptions.ClockOffsetAsync(app.Graph, ct).ConfigureAwait(false) : now;
        foreach (var r in recorded)
        {
            if (!live.TryGetValue(r.SubscriptionId, out var s))
            {
                add("Subscriptions", HealthStatus.Fail, r.Expires <= graphNow
                    ? $"Subscription {r.SubscriptionId} expired on {r.Expires:u}: Teams Chat messages are no longer delivered."
                    : $"Subscription {r.SubscriptionId} was removed by Microsoft Graph (it would have expired on {r.Expires:u}): Teams Chat messages are no longer delivered.", Fix);
                continue;
            }

            var expires = s.ExpirationDateTime ?? r.Expires;
            var left = expires - now;
            var hours = string.Create(CultureInfo.InvariantCulture, $"{left.TotalHours:0.#}");
            if (left <= DefaultRenewWithin)
            {
                add("Subscriptions", HealthStatus.Warning, $"Subscription {r.SubscriptionId} expires in {hours} hours ({expires:u}).", Fix);
            }
            else
            {
                add("Subscriptions", HealthStatus.Pass, $"Subscription {r.SubscriptionId} is live; it expires in {hours} hours ({expires:u}).", null);
            }
        }
    }

    private static async Task RecordReplacementAsync(RegistryStore store, CasConnection admin, CasServiceAccount account, ChatSubscriptions.Recorded? created, LicensingModel model,
        IReadOnlyList<SubscriptionRow> replaced, string action, CancellationToken ct) =>
        await new SubscriptionRepository(store).RecordReplacementAsync(account.AccountId, created?.For(model), replaced.Select(r => r.SubscriptionId),
            AuditEntry.ForAccount(admin, account, action, "Succeeded", $"{string.Join(", ", replaced.Select(r => r.SubscriptionId))} -> {created?.SubscriptionId ?? "(none)"}"),
            ct).ConfigureAwait(false);

    /// <summary>The app's live subscriptions (Graph lists only the caller's), by id.</summary>
    private static async Task<Dictionary<string, Subscription>> ListLiveAsync(GraphGateway graph, CancellationToken ct)
    {
        var all = new Dictionary<string, Subscription>(StringComparer.OrdinalIgnoreCase);
        var page = await graph.CallAsync((g, c) => g.Subscriptions.GetAsync(cancellationToken: c), "subscriptions", ct).ConfigureAwait(false);
        while (page is not null)
        {
            foreach (var s in page.Value ?? [])
            {
                if (s.Id is { } id)
                {
                    all[id] = s;
                }
            }

            if (page.OdataNextLink is not { } next)
            {
                break;
            }

            page = await graph.CallAsync((g, c) => g.Subscriptions.WithUrl(next).GetAsync(cancellationToken: c), "subscriptions", ct).ConfigureAwait(false);
        }

        return all;
    }
}
