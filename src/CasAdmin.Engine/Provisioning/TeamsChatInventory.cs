using System.Globalization;
using System.Threading.Channels;
using CasAdmin.Engine.Graph;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Provisioning;

/// <summary>
/// "Cloud App Security then updates the Teams Chat data": every user's chats, counted once each.
/// Users are streamed from Graph into the registry page by page and scanned by a bounded pool of workers;
/// one writer commits results in batches. A user is marked done in the same transaction that records its
/// chats, so an interrupted run resumes where it stopped and counts nobody twice. Memory stays flat in
/// tenant size: at most one page of users and the in-flight users' chats are held.
/// </summary>
internal sealed class TeamsChatInventory(RegistryStore store, GraphGateway graph, Guid accountId)
{
    private const int ChatPageSize = 50;
    private const int WriterBatch = 64;

    public async Task<TeamsChatInventoryResult> RunAsync(int workers, IOperationObserver observer, int parentActivityId, CancellationToken ct)
    {
        var account = accountId.ToString();
        var resumed = await StartAsync(account, ct).ConfigureAwait(false);
        if (resumed)
        {
            observer.Verbose("Resuming the Teams Chat inventory where it stopped.");
        }

        var total = await EnumerateUsersAsync(account, ct).ConfigureAwait(false);
        var done = await CountAsync("SELECT COUNT(*) FROM inventory_users WHERE account_id = $a AND done = 1", account, ct).ConfigureAwait(false);
        using var progress = new ProgressTracker(observer, "Updating the Teams Chat data", total, parentActivityId);
        progress.Report((int)done, Status(done, total), force: true);

        var pending = Channel.CreateBounded<string>(new BoundedChannelOptions(workers * 4) { SingleWriter = true });
        var results = Channel.CreateBounded<UserChats>(new BoundedChannelOptions(workers * 4) { SingleReader = true });
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = failure.Token;

        var producer = ProduceAsync(account, pending.Writer, token);
        var scanners = Enumerable.Range(0, Math.Max(1, workers)).Select(_ => ScanAsync(pending.Reader, results.Writer, token)).ToArray();
        var writer = WriteAsync(account, results.Reader, done, total, progress, token);
        var all = Task.WhenAll(scanners).ContinueWith(_ => results.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        // The first failure cancels the others at once: a producer blocked on a full queue whose scanners all
        // failed would otherwise wait for ever.
        async Task StopOthersOnFailure(Task task)
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch
            {
                await failure.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        Task[] guarded = [StopOthersOnFailure(producer), .. scanners.Select(StopOthersOnFailure), StopOthersOnFailure(writer)];
        try
        {
            await Task.WhenAll(guarded).ConfigureAwait(false);
        }
        catch
        {
            // What was committed stays, and a rerun resumes from there.
            await failure.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(producer, all, writer).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);

            // Report the failure that stopped the run, not the cancellations it caused.
            var cause = guarded.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).FirstOrDefault(e => e is not OperationCanceledException);
            if (cause is not null && !ct.IsCancellationRequested)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            }

            throw;
        }

        var chats = await CountAsync("SELECT COUNT(*) FROM inventory_chats WHERE account_id = $a", account, ct).ConfigureAwait(false);
        await store.WriteAsync((c, t, c2) => c.ExecuteAsync(t,
            "UPDATE inventory_runs SET status = 'Completed', completed = $now WHERE account_id = $a", c2,
            ("$a", account), ("$now", DateTimeOffset.UtcNow.Iso())), ct).ConfigureAwait(false);
        return new TeamsChatInventoryResult(total, chats, resumed) { AccountId = accountId };
    }

    private static string Status(long done, long total) =>
        string.Create(CultureInfo.InvariantCulture, $"{done} of {total} users");

    /// <summary>Starts a run, or finds the one an interruption left. Returns true when resuming.</summary>
    private Task<bool> StartAsync(string account, CancellationToken ct) =>
        store.WriteAsync(async (c, t, c2) =>
        {
            var status = (string?)await c.ScalarAsync(t, "SELECT status FROM inventory_runs WHERE account_id = $a", c2, ("$a", account)).ConfigureAwait(false);
            if (status is null or "Completed")
            {
                // A completed inventory is redone from scratch when asked for again.
                await c.ExecuteAsync(t, "DELETE FROM inventory_users WHERE account_id = $a", c2, ("$a", account)).ConfigureAwait(false);
                await c.ExecuteAsync(t, "DELETE FROM inventory_chats WHERE account_id = $a", c2, ("$a", account)).ConfigureAwait(false);
                await c.ExecuteAsync(t,
                    "INSERT INTO inventory_runs (account_id, status, users_total, started) VALUES ($a, 'Enumerating', 0, $now) ON CONFLICT (account_id) DO UPDATE SET status = 'Enumerating', users_total = 0, started = $now, completed = NULL",
                    c2, ("$a", account), ("$now", DateTimeOffset.UtcNow.Iso())).ConfigureAwait(false);
                return false;
            }

            return true;
        }, ct);

    /// <summary>Pages through the tenant's users into the registry; a resumed run re-lists them, adding only the new.</summary>
    private async Task<int> EnumerateUsersAsync(string account, CancellationToken ct)
    {
        var status = (string?)await store.ReadAsync((c, c2) => c.ScalarAsync(null, "SELECT status FROM inventory_runs WHERE account_id = $a", c2, ("$a", account)), ct).ConfigureAwait(false);
        if (status == "Scanning")
        {
            return (int)await CountAsync("SELECT COUNT(*) FROM inventory_users WHERE account_id = $a", account, ct).ConfigureAwait(false);
        }

        var page = await graph.CallAsync((g, c) => g.Users.GetAsync(r =>
        {
            r.QueryParameters.Select = ["id"];
            r.QueryParameters.Top = 999;
        }, c), "users", ct).ConfigureAwait(false);
        while (page?.Value is { } users)
        {
            var ids = users.Select(u => u.Id).OfType<string>().ToArray();
            await store.WriteAsync(async (c, t, c2) =>
            {
                foreach (var id in ids)
                {
                    await c.ExecuteAsync(t, "INSERT INTO inventory_users (account_id, user_id) VALUES ($a, $u) ON CONFLICT DO NOTHING", c2, ("$a", account), ("$u", id)).ConfigureAwait(false);
                }
            }, ct).ConfigureAwait(false);

            if (page.OdataNextLink is not { } next)
            {
                break;
            }

            page = await graph.CallAsync((g, c) => g.Users.WithUrl(next).GetAsync(cancellationToken: c), "users", ct).ConfigureAwait(false);
        }

        var total = (int)await CountAsync("SELECT COUNT(*) FROM inventory_users WHERE account_id = $a", account, ct).ConfigureAwait(false);
        await store.WriteAsync((c, t, c2) => c.ExecuteAsync(t,
            "UPDATE inventory_runs SET status = 'Scanning', users_total = $n WHERE account_id = $a", c2, ("$a", account), ("$n", total)), ct).ConfigureAwait(false);
        return total;
    }

    private async Task ProduceAsync(string account, ChannelWriter<string> pending, CancellationToken ct)
    {
        try
        {
            // Keyset paging over the pending users keeps memory to one batch.
            var after = string.Empty;
            while (true)
            {
                var batch = await store.ReadAsync((c, c2) => c.QueryAsync(null,
                    "SELECT user_id FROM inventory_users WHERE account_id = $a AND done = 0 AND user_id > $after ORDER BY user_id LIMIT 500",
                    r => r.GetString(0), c2, ("$a", account), ("$after", after)), ct).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    break;
                }

                foreach (var user in batch)
                {
                    await pending.WriteAsync(user, ct).ConfigureAwait(false);
                }

                after = batch[^1];
            }

            pending.TryComplete();
        }
        catch (Exception ex)
        {
            pending.TryComplete(ex);
            throw;
        }
    }

    private async Task ScanAsync(ChannelReader<string> pending, ChannelWriter<UserChats> results, CancellationToken ct)
    {
        await foreach (var user in pending.ReadAllAsync(ct).ConfigureAwait(false))
        {
            var chats = new List<(string Id, string? Type)>();
            var page = await graph.CallAsync((g, c) => g.Users[user].Chats.GetAsync(r =>
            {
                r.QueryParameters.Select = ["id", "chatType"];
                r.QueryParameters.Top = ChatPageSize;
            }, c), user, ct).ConfigureAwait(false);
            while (page?.Value is { } items)
            {
                chats.AddRange(items.Where(i => i.Id is not null).Select(i => (i.Id!, i.ChatType?.ToString())));
                if (page.OdataNextLink is not { } next)
                {
                    break;
                }

                page = await graph.CallAsync((g, c) => g.Users[user].Chats.WithUrl(next).GetAsync(cancellationToken: c), user, ct).ConfigureAwait(false);
            }

            await results.WriteAsync(new UserChats(user, chats), ct).ConfigureAwait(false);
        }
    }

    private async Task WriteAsync(string account, ChannelReader<UserChats> results, long done, long total, ProgressTracker progress, CancellationToken ct)
    {
        var batch = new List<UserChats>(WriterBatch);
        while (await results.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (batch.Count < WriterBatch && results.TryRead(out var item))
            {
                batch.Add(item);
            }

            await store.WriteAsync(async (c, t, c2) =>
            {
                foreach (var user in batch)
                {
                    foreach (var (id, type) in user.Chats)
                    {
                        await c.ExecuteAsync(t, "INSERT INTO inventory_chats (account_id, chat_id, chat_type) VALUES ($a, $c, $t) ON CONFLICT DO NOTHING", c2,
                            ("$a", account), ("$c", id), ("$t", type)).ConfigureAwait(false);
                    }

                    await c.ExecuteAsync(t, "UPDATE inventory_users SET done = 1, chats_seen = $n WHERE account_id = $a AND user_id = $u", c2,
                        ("$a", account), ("$u", user.UserId), ("$n", user.Chats.Count)).ConfigureAwait(false);
                }
            }, ct).ConfigureAwait(false);

            done += batch.Count;
            progress.Report((int)done, Status(done, total));
            batch.Clear();
        }
    }

    private async Task<long> CountAsync(string sql, string account, CancellationToken ct) =>
        (long)(await store.ReadAsync((c, c2) => c.ScalarAsync(null, sql, c2, ("$a", account)), ct).ConfigureAwait(false) ?? 0L);

    private sealed record UserChats(string UserId, List<(string Id, string? Type)> Chats);
}
