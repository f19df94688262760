using System.Data.Common;

namespace CasAdmin.Engine.Store;

/// <summary>
/// The rows of a Teams Chat inventory run, per service account: the run itself (Enumerating, then Scanning, then
/// Completed), the tenant's users with whether each was scanned, and the chats found. A user is marked scanned in
/// the same transaction that records its chats, so a run resumed after an interruption counts nobody twice.
/// </summary>
internal sealed class InventoryRepository(RegistryStore store)
{
    public RegistryStore Store => store;

    /// <summary>
    /// Starts a run, or finds the one an interruption left; true when resuming. A completed run is redone from
    /// scratch: its users and chats are forgotten.
    /// </summary>
    public Task<bool> StartOrResumeAsync(Guid accountId, CancellationToken cancellationToken) =>
        store.WriteAsync(async (c, t, ct) =>
        {
            var account = accountId.ToString();
            if (await StatusAsync(c, t, account, ct).ConfigureAwait(false) is not (null or "Completed"))
            {
                return true;
            }

            await c.ExecuteAsync(t, "DELETE FROM inventory_users WHERE account_id = $a", ct, ("$a", account)).ConfigureAwait(false);
            await c.ExecuteAsync(t, "DELETE FROM inventory_chats WHERE account_id = $a", ct, ("$a", account)).ConfigureAwait(false);
            await c.ExecuteAsync(t,
                "INSERT INTO inventory_runs (account_id, status, users_total, started) VALUES ($a, 'Enumerating', 0, $now) ON CONFLICT (account_id) DO UPDATE SET status = 'Enumerating', users_total = 0, started = $now, completed = NULL",
                ct, ("$a", account), ("$now", DateTimeOffset.UtcNow.Iso())).ConfigureAwait(false);
            return false;
        }, cancellationToken);

    /// <summary>True once the run has listed all the tenant's users (it is scanning them, or has finished).</summary>
    public async Task<bool> UsersListedAsync(Guid accountId, CancellationToken cancellationToken) =>
        await store.ReadAsync((c, ct) => StatusAsync(c, null, accountId.ToString(), ct), cancellationToken).ConfigureAwait(false) is "Scanning" or "Completed";

    /// <summary>Adds users to the run, in one transaction; users it has already are left as they are.</summary>
    public Task AddUsersAsync(Guid accountId, IReadOnlyCollection<string> userIds, CancellationToken cancellationToken) =>
        store.WriteAsync(async (c, t, ct) =>
        {
            foreach (var id in userIds)
            {
                await c.ExecuteAsync(t, "INSERT INTO inventory_users (account_id, user_id) VALUES ($a, $u) ON CONFLICT DO NOTHING", ct, ("$a", accountId.ToString()), ("$u", id)).ConfigureAwait(false);
            }
        }, cancellationToken);

    /// <summary>Marks the user list complete: the run scans from now on, and a resumed run does not list users again.</summary>
    public Task StartScanningAsync(Guid accountId, int usersTotal, CancellationToken cancellationToken) =>
        store.WriteAsync((c, t, ct) => c.ExecuteAsync(t,
            "UPDATE inventory_runs SET status = 'Scanning', users_total = $n WHERE account_id = $a", ct, ("$a", accountId.ToString()), ("$n", usersTotal)), cancellationToken);

    /// <summary>Up to <paramref name="limit"/> users not scanned yet, in id order after <paramref name="after"/> (keyset paging).</summary>
    public Task<List<string>> PendingUsersAsync(Guid accountId, string after, int limit, CancellationToken cancellationToken) =>
        store.ReadAsync((c, ct) => c.QueryAsync(null,
            "SELECT user_id FROM inventory_users WHERE account_id = $a AND done = 0 AND user_id > $after ORDER BY user_id LIMIT $limit",
            r => r.GetString(0), ct, ("$a", accountId.ToString()), ("$after", after), ("$limit", limit)), cancellationToken);

    /// <summary>Records scanned users with the chats each is in, in one transaction; a chat found twice is counted once.</summary>
    public Task RecordScannedAsync(Guid accountId, IReadOnlyCollection<ScannedUser> users, CancellationToken cancellationToken) =>
        store.WriteAsync(async (c, t, ct) =>
        {
            var account = accountId.ToString();
            foreach (var (user, chats) in users)
            {
                foreach (var (id, type) in chats)
                {
                    await c.ExecuteAsync(t, "INSERT INTO inventory_chats (account_id, chat_id, chat_type) VALUES ($a, $c, $t) ON CONFLICT DO NOTHING", ct,
                        ("$a", account), ("$c", id), ("$t", type)).ConfigureAwait(false);
                }

                await c.ExecuteAsync(t, "UPDATE inventory_users SET done = 1, chats_seen = $n WHERE account_id = $a AND user_id = $u", ct,
                    ("$a", account), ("$u", user), ("$n", chats.Count)).ConfigureAwait(false);
            }
        }, cancellationToken);

    public Task CompleteAsync(Guid accountId, CancellationToken cancellationToken) =>
        store.WriteAsync((c, t, ct) => c.ExecuteAsync(t,
            "UPDATE inventory_runs SET status = 'Completed', completed = $now WHERE account_id = $a", ct,
            ("$a", accountId.ToString()), ("$now", DateTimeOffset.UtcNow.Iso())), cancellationToken);

    public Task<long> CountUsersAsync(Guid accountId, CancellationToken cancellationToken) =>
        CountAsync("SELECT COUNT(*) FROM inventory_users WHERE account_id = $a", accountId, cancellationToken);

    public Task<long> CountScannedUsersAsync(Guid accountId, CancellationToken cancellationToken) =>
        CountAsync("SELECT COUNT(*) FROM inventory_users WHERE account_id = $a AND done = 1", accountId, cancellationToken);

    public Task<long> CountChatsAsync(Guid accountId, CancellationToken cancellationToken) =>
        CountAsync("SELECT COUNT(*) FROM inventory_chats WHERE account_id = $a", accountId, cancellationToken);

    private static async Task<string?> StatusAsync(DbConnection c, DbTransaction? t, string accountId, CancellationToken ct) =>
        (string?)await c.ScalarAsync(t, "SELECT status FROM inventory_runs WHERE account_id = $a", ct, ("$a", accountId)).ConfigureAwait(false);

    private async Task<long> CountAsync(string sql, Guid accountId, CancellationToken cancellationToken) =>
        (long)(await store.ReadAsync((c, ct) => c.ScalarAsync(null, sql, ct, ("$a", accountId.ToString())), cancellationToken).ConfigureAwait(false) ?? 0L);
}

/// <summary>A user an inventory run has scanned, with the chats the user is in.</summary>
internal sealed record ScannedUser(string UserId, IReadOnlyList<(string Id, string? Type)> Chats);
