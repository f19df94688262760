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
    private const int PendingBatch = 500;

    private readonly InventoryRepository rows = new(store);

    public async Task<TeamsChatInventoryResult> RunAsync(int workers, IOperationObserver observer, int parentActivityId, CancellationToken ct)
    {
        var resumed = await rows.StartOrResumeAsync(accountId, ct).ConfigureAwait(false);
        if (resumed)
        {
            observer.Verbose("Resuming the Teams Chat inventory where it stopped.");
        }

        var total = await EnumerateUsersAsync(ct).ConfigureAwait(false);
        var done = await rows.CountScannedUsersAsync(accountId, ct).ConfigureAwait(false);
        using var progress = new ProgressTracker(observer, "Updating the Teams Chat data", total, parentActivityId);
        progress.Report((int)done, Status(done, total), force: true);

        var pending = Channel.CreateBounded<string>(new BoundedChannelOptions(workers * 4) { SingleWriter = true });
        var results = Channel.CreateBounded<ScannedUser>(new BoundedChannelOptions(workers * 4) { SingleReader = true });
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = failure.Token;

        var producer = ProduceAsync(pending.Writer, token);
        var scanners = Enumerable.Range(0, Math.Max(1, workers)).Select(_ => ScanAsync(pending.Reader, results.Writer, token)).ToArray();
        var writer = WriteAsync(results.Reader, done, total, progress, token);
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

        var chats = await rows.CountChatsAsync(accountId, ct).ConfigureAwait(false);
        await rows.CompleteAsync(accountId, ct).ConfigureAwait(false);
        return new TeamsChatInventoryResult(total, chats, resumed) { AccountId = accountId };
    }

    private static string Status(long done, long total) =>
        string.Create(CultureInfo.InvariantCulture, $"{done} of {total} users");

    /// <summary>Pages through the tenant's users into the registry; a resumed run re-lists them, adding only the new.</summary>
    private async Task<int> EnumerateUsersAsync(CancellationToken ct)
    {
        if (await rows.UsersListedAsync(accountId, ct).ConfigureAwait(false))
        {
            return (int)await rows.CountUsersAsync(accountId, ct).ConfigureAwait(false);
        }

        var page = await graph.CallAsync((g, c) => g.Users.GetAsync(r =>
        {
            r.QueryParameters.Select = ["id"];
            r.QueryParameters.Top = 999;
        }, c), "users", ct).ConfigureAwait(false);
        while (page?.Value is { } users)
        {
            await rows.AddUsersAsync(accountId, users.Select(u => u.Id).OfType<string>().ToArray(), ct).ConfigureAwait(false);

            if (page.OdataNextLink is not { } next)
            {
                break;
            }

            page = await graph.CallAsync((g, c) => g.Users.WithUrl(next).GetAsync(cancellationToken: c), "users", ct).ConfigureAwait(false);
        }

        var total = (int)await rows.CountUsersAsync(accountId, ct).ConfigureAwait(false);
        await rows.StartScanningAsync(accountId, total, ct).ConfigureAwait(false);
        return total;
    }

    private async Task ProduceAsync(ChannelWriter<string> pending, CancellationToken ct)
    {
        try
        {
            // Keyset paging over the pending users keeps memory to one batch.
            var after = string.Empty;
            while (true)
            {
                var batch = await rows.PendingUsersAsync(accountId, after, PendingBatch, ct).ConfigureAwait(false);
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

    private async Task ScanAsync(ChannelReader<string> pending, ChannelWriter<ScannedUser> results, CancellationToken ct)
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

            await results.WriteAsync(new ScannedUser(user, chats), ct).ConfigureAwait(false);
        }
    }

    private async Task WriteAsync(ChannelReader<ScannedUser> results, long done, long total, ProgressTracker progress, CancellationToken ct)
    {
        var batch = new List<ScannedUser>(WriterBatch);
        while (await results.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (batch.Count < WriterBatch && results.TryRead(out var item))
            {
                batch.Add(item);
            }

            await rows.RecordScannedAsync(accountId, batch, ct).ConfigureAwait(false);

            done += batch.Count;
            progress.Report((int)done, Status(done, total));
            batch.Clear();
        }
    }
}
