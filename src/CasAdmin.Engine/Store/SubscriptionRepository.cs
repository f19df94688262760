using System.Data.Common;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Domain;

namespace CasAdmin.Engine.Store;

/// <summary>
/// The chat-message subscriptions the registry knows of, per service account. Every public method is one whole read
/// or write; a subscription recorded together with the account change it belongs to is recorded by
/// <see cref="AccountRepository.RecordChangeAsync(CasServiceAccount, IReadOnlyCollection{NewSubscription}, AuditEntry, CancellationToken)"/>.
/// </summary>
internal sealed class SubscriptionRepository(RegistryStore store)
{
    public RegistryStore Store => store;

    /// <summary>
    /// Records a subscription Graph made, or updates it in place when it is recorded already (a rerun that finds the one
    /// an interrupted run made).
    /// </summary>
    public Task RecordAsync(Guid accountId, NewSubscription subscription, CancellationToken cancellationToken) =>
        store.WriteAsync((c, t, ct) => InsertAsync(c, t, accountId, subscription, ct), cancellationToken);

    /// <summary>
    /// Records that subscriptions were replaced, in one transaction with its audit entry: the one made or adopted in
    /// their place (none when another recorded subscription is live) is recorded, and the replaced ones forgotten.
    /// </summary>
    public Task RecordReplacementAsync(Guid accountId, NewSubscription? replacement, IEnumerable<string> replacedIds, AuditEntry audit, CancellationToken cancellationToken) =>
        store.WriteAsync(async (c, t, ct) =>
        {
            if (replacement is not null)
            {
                await InsertAsync(c, t, accountId, replacement, ct).ConfigureAwait(false);
            }

            foreach (var id in replacedIds)
            {
                await DeleteAsync(c, t, id, ct).ConfigureAwait(false);
            }

            await AccountRepository.AuditAsync(c, t, audit, ct).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>The INSERT of a subscription (an update in place when it is recorded already), for the Store's writes.</summary>
    internal static async Task InsertAsync(DbConnection c, DbTransaction t, Guid accountId, NewSubscription subscription, CancellationToken ct) =>
        await c.ExecuteAsync(t,
            """
            INSERT INTO subscriptions (subscription_id, account_id, resource, change_type, model, expires, created) VALUES ($id, $a, $r, $c, $m, $e, $now)
            ON CONFLICT (subscription_id) DO UPDATE SET account_id = excluded.account_id, resource = excluded.resource, change_type = excluded.change_type,
                model = excluded.model, expires = excluded.expires, created = excluded.created
            """,
            ct, ("$id", subscription.Row.SubscriptionId), ("$a", accountId.ToString()), ("$r", subscription.Row.Resource), ("$c", subscription.ChangeType),
            ("$m", subscription.Model.ToString()), ("$e", subscription.Row.Expires.Iso()), ("$now", DateTimeOffset.UtcNow.Iso())).ConfigureAwait(false);

    private static async Task DeleteAsync(DbConnection c, DbTransaction t, string subscriptionId, CancellationToken ct) =>
        await c.ExecuteAsync(t, "DELETE FROM subscriptions WHERE subscription_id = $id", ct, ("$id", subscriptionId)).ConfigureAwait(false);

    /// <summary>Forgets subscriptions, all in one transaction.</summary>
    public Task DeleteAsync(IEnumerable<string> subscriptionIds, CancellationToken cancellationToken) =>
        store.WriteAsync(async (c, t, ct) =>
        {
            foreach (var id in subscriptionIds)
            {
                await DeleteAsync(c, t, id, ct).ConfigureAwait(false);
            }
        }, cancellationToken);

    /// <summary>The account's subscriptions, oldest first.</summary>
    public Task<List<SubscriptionRow>> ListAsync(Guid accountId, CancellationToken cancellationToken) =>
        store.ReadAsync((c, ct) => c.QueryAsync(null, "SELECT subscription_id, resource, expires FROM subscriptions WHERE account_id = $a ORDER BY created",
            r => new SubscriptionRow(r.Text("subscription_id")!, r.Text("resource")!, r.Time("expires")!.Value), ct, ("$a", accountId.ToString())),
            cancellationToken);

    /// <summary>Records a renewed subscription's new expiry.</summary>
    public Task SetExpiryAsync(string subscriptionId, DateTimeOffset expires, CancellationToken cancellationToken) =>
        store.WriteAsync((c, t, ct) => c.ExecuteAsync(t, "UPDATE subscriptions SET expires = $e WHERE subscription_id = $id", ct,
            ("$e", expires.Iso()), ("$id", subscriptionId)), cancellationToken);
}

/// <summary>A subscription as the registry keeps it; <see cref="Expires"/> is on the clock that expires it.</summary>
internal sealed record SubscriptionRow(string SubscriptionId, string Resource, DateTimeOffset Expires);

/// <summary>A subscription Graph made, to record: the registry keeps its change types and the licensing model it was made for too.</summary>
internal sealed record NewSubscription(SubscriptionRow Row, string ChangeType, LicensingModel Model);
