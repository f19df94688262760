using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>
/// Runs a batch of removals: <see cref="RemovalOptions.ThrottleLimit"/> jobs at a time, handed out by the
/// <see cref="TenantScheduler"/>; each account's outcome is a result, never an exception of the batch.
/// </summary>
/// <remarks>
/// Each run of a job has an owner of its own (<see cref="LeaseHolder.NewOwner"/>), unless the runner was given a fixed
/// one (tests playing another process): two runspaces of one process share this runner, never a lease.
/// </remarks>
internal sealed class RemovalRunner(ISecretVault vault, string? fixedOwner = null)
{
    /// <summary>Who watches the runs' seams: nobody in the product; tests and the crash host set theirs.</summary>
    internal IRemovalProbe Probe { get; set; } = RemovalProbe.None;

    /// <summary>The clock of lease timing on this machine (renewal intervals, the stop point; the lease's end itself is the registry's).</summary>
    internal TimeProvider Clock { get; set; } = TimeProvider.System;

    public async Task<IReadOnlyList<RemovalResult>> RunAsync(IReadOnlyList<RemovalTarget> targets, RemovalOptions options, IOperationObserver observer, CancellationToken ct)
    {
        using var batch = new ProgressTracker(observer, "Removing service accounts", targets.Count);
        var results = new RemovalResult[targets.Count];
        var done = 0;
        batch.Report(0, $"0 of {targets.Count} accounts", force: true);
        // The run's claims on tenants have an owner of their own, gone (on this machine) as soon as the run ends however it ends.
        var claimHolder = fixedOwner ?? LeaseHolder.NewOwner();
        CasException? storeFailure = null;
        try
        {
            await using var scheduler = new TenantScheduler(targets, Math.Max(1, options.ThrottleLimit), claimHolder, options.LeaseDuration, Clock, observer, ct);
            var workers = Enumerable.Range(0, Math.Min(Math.Max(1, options.ThrottleLimit), Math.Max(1, targets.Count))).Select(async _ =>
            {
                while (Volatile.Read(ref storeFailure) is null && await scheduler.TakeAsync(ct).ConfigureAwait(false) is var i and >= 0)
                {
                    try
                    {
                        ct.ThrowIfCancellationRequested();
                        results[i] = scheduler.FinishedElsewhere(i) is { } removed
                            ? new RemovalResult(removed.AccountId, null, DeprovisioningRules.AlreadyRemoved(removed.Service, removed.TenantDomain ?? removed.TenantId, removed.AccountId))
                            : await RunOneAsync(targets[i], options, observer, batch.ActivityId, ct).ConfigureAwait(false);
                        if (results[i].Error is { } error && ErrorRules.IsRegistryUnusable(error.ErrorId))
                        {
                            // Every other job would fail alike (and leave no record): start no more.
                            Interlocked.CompareExchange(ref storeFailure, error, null);
                        }
                    }
                    finally
                    {
                        await scheduler.DoneAsync(i).ConfigureAwait(false);
                    }

                    var n = Interlocked.Increment(ref done);
                    batch.Report(n, $"{n} of {targets.Count} accounts");
                }
            }).ToArray();
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        finally
        {
            LeaseHolder.Retire(claimHolder);
        }

        for (var i = 0; i < results.Length; i++)
        {
            results[i] ??= new RemovalResult(targets[i].AccountId, null, storeFailure);
        }

        return results;
    }

    public async Task<RemovalResult> RunOneAsync(RemovalTarget target, RemovalOptions options, IOperationObserver observer, int parentActivityId, CancellationToken ct)
    {
        var owner = fixedOwner ?? LeaseHolder.NewOwner();
        try
        {
            var job = await new RemovalJobRunner(vault, Probe, Clock).RunAsync(target, options, observer, parentActivityId, owner, ct).ConfigureAwait(false);
            return new RemovalResult(target.AccountId, job, null);
        }
        catch (CasException ex)
        {
            return new RemovalResult(target.AccountId, null, ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever went wrong (a dropped connection, a disposed client, a full disk) ends this account's removal
            // only: the other jobs run on and every finished one is still reported.
            return new RemovalResult(target.AccountId, null, UnexpectedFailure.Wrap(ex, target.AccountId.ToString(), ErrorIds.RemovalFailed, "The removal", RecommendedActions.ResumeRemoval));
        }
        finally
        {
            // However this run ended, its owner is gone: a rerun in this process takes over whatever lease it still holds.
            LeaseHolder.Retire(owner);
        }
    }
}
