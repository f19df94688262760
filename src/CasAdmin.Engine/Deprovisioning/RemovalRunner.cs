using System.Runtime.ExceptionServices;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>The outcome of removing one account: its job, or why no job could run.</summary>
public sealed record RemovalResult(Guid AccountId, CasRemovalJob? Job, CasException? Error)
{
    public bool Succeeded => Error is null && Job?.Status is RemovalJobStatus.Succeeded or RemovalJobStatus.Forced;
}

/// <summary>
/// Runs removal jobs: each journaled in the registry before and after every step, held by a lease so two
/// processes never run the same job, resumed from its first unfinished step when run again.
/// </summary>
/// <remarks>
/// Each run of a job has an owner of its own (<see cref="LeaseHolder.NewOwner"/>), unless the runner was given a fixed
/// one (tests playing another process): two runspaces of one process share this runner, never a lease.
/// </remarks>
internal sealed class RemovalRunner(ISecretVault vault, string? fixedOwner = null)
{
    /// <summary>Test hook: called after each step is journaled; throwing here is a crash at a step boundary.</summary>
    internal Action<Guid, StepKind>? AfterStep { get; set; }

    /// <summary>Test hook: called as each step's work starts; throwing here is that step's work failing.</summary>
    internal Action<CasServiceAccount, StepKind>? BeforeStep { get; set; }

    /// <summary>Test hook: stands in for the registry's lease renewal (a store that does not answer, or one that throws).</summary>
    internal Func<CancellationToken, Task<bool>>? RenewHook { get; set; }

    /// <summary>Test hook: called once a job's lease has stopped its work (the reason is on the keeper).</summary>
    internal Action<LeaseKeeper>? LeaseStopped { get; set; }

    /// <summary>The clock of lease timing on this machine (renewal intervals, the stop point; the lease's end itself is the registry's).</summary>
    internal TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>After Ctrl+C, how long winding down (journaling a failure, letting go of the lease) may still take.</summary>
    internal static readonly TimeSpan WindDown = TimeSpan.FromSeconds(5);

    public async Task<IReadOnlyList<RemovalResult>> RunAsync(IReadOnlyList<RemovalTarget> targets, RemovalOptions options, IOperationObserver observer, CancellationToken ct)
    {
        using var batch = new ProgressTracker(observer, "Removing service accounts", targets.Count);
        var results = new RemovalResult[targets.Count];
        var done = 0;
        batch.Report(0, $"0 of {targets.Count} accounts", force: true);
        var scheduler = new TenantScheduler(targets, Math.Max(1, options.ThrottleLimit));
        CasException? storeFailure = null;
        var workers = Enumerable.Range(0, Math.Min(Math.Max(1, options.ThrottleLimit), Math.Max(1, targets.Count))).Select(async _ =>
        {
            while (Volatile.Read(ref storeFailure) is null && scheduler.TryTake(out var i))
            {
                try
                {
                    ct.ThrowIfCancellationRequested();
                    results[i] = await RunOneAsync(targets[i], options, observer, batch.ActivityId, ct).ConfigureAwait(false);
                    if (results[i].Error is { } error && StopsTheRun(error))
                    {
                        // Every other job would fail alike (and leave no record): start no more.
                        Interlocked.CompareExchange(ref storeFailure, error, null);
                    }
                }
                catch (SimulatedCrash crash)
                {
                    // A test's stand-in for the process dying at a step boundary: nothing may wind down.
                    ExceptionDispatchInfo.Capture(crash.InnerException!).Throw();
                }
                finally
                {
                    scheduler.Done(i);
                }

                var n = Interlocked.Increment(ref done);
                batch.Report(n, $"{n} of {targets.Count} accounts");
            }
        }).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        for (var i = 0; i < results.Length; i++)
        {
            results[i] ??= new RemovalResult(targets[i].AccountId, null, storeFailure);
        }

        return results;
    }

    /// <summary>A registry that cannot record anything (read-only, locked, damaged, gone): the bulk run stops starting jobs.</summary>
    internal static bool StopsTheRun(CasException error) =>
        error.ErrorId is ErrorIds.StoreReadOnly or ErrorIds.StoreLocked or ErrorIds.StoreCorrupt or ErrorIds.StoreSchemaTooNew or ErrorIds.StoreUnavailable
            or ErrorIds.StoreAccessDenied or ErrorIds.StoreDatabaseMissing;

    /// <summary>
    /// Hands each free worker the next account of the tenant that can use it best: one not paused by Graph
    /// throttling, with the fewest jobs running, never more than its share. A worker then never waits out one
    /// tenant's 429 while another tenant's quota sits unused; the tenants' own quotas are what bulk removal spends.
    /// </summary>
    internal sealed class TenantScheduler
    {
        private readonly object gate = new();
        private readonly List<Lane> lanes;
        private readonly Dictionary<int, Lane> laneOf = [];
        private readonly int perTenant;
        private long taken;

        public TenantScheduler(IReadOnlyList<RemovalTarget> targets, int throttleLimit)
        {
            lanes = Enumerable.Range(0, targets.Count)
                .GroupBy(i => targets[i].Connection.TenantId, StringComparer.OrdinalIgnoreCase)
                // Paced by the connection the steps really use: -AdminConnection's when given (its app's quota in the tenant).
                .Select(g => new Lane(new Queue<int>(g), (targets[g.First()].AdminConnection ?? targets[g.First()].Connection).Context.Graph.Pacer))
                .ToList();
            foreach (var lane in lanes)
            {
                foreach (var i in lane.Pending)
                {
                    laneOf[i] = lane;
                }
            }

            perTenant = Math.Max(1, (int)Math.Ceiling(throttleLimit / (double)Math.Max(1, lanes.Count)));
        }

        public bool TryTake(out int index)
        {
            lock (gate)
            {
                var now = DateTimeOffset.UtcNow;
                var lane = lanes.Where(l => l.Pending.Count > 0 && l.Running < perTenant)
                    .OrderBy(l => l.Pacer.PausedUntil > now)
                    .ThenBy(l => l.Running)
                    .ThenBy(l => l.LastTaken)
                    .FirstOrDefault()
                    ?? lanes.Where(l => l.Pending.Count > 0).OrderBy(l => l.Running).FirstOrDefault();
                if (lane is null)
                {
                    index = -1;
                    return false;
                }

                // Round-robin among equals, so one tenant's jobs do not run back to back into its own throttling.
                lane.Running++;
                lane.LastTaken = ++taken;
                index = lane.Pending.Dequeue();
                return true;
            }
        }

        public void Done(int index)
        {
            lock (gate)
            {
                laneOf[index].Running--;
            }
        }

        private sealed class Lane(Queue<int> pending, Resilience.TenantPacer pacer)
        {
            public Queue<int> Pending { get; } = pending;

            public Resilience.TenantPacer Pacer { get; } = pacer;

            public int Running { get; set; }

            public long LastTaken { get; set; }
        }
    }

    public async Task<RemovalResult> RunOneAsync(RemovalTarget target, RemovalOptions options, IOperationObserver observer, int parentActivityId, CancellationToken ct)
    {
        try
        {
            return new RemovalResult(target.AccountId, await RunJobAsync(target, options, observer, parentActivityId, ct).ConfigureAwait(false), null);
        }
        catch (CasException ex)
        {
            return new RemovalResult(target.AccountId, null, ex);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or SimulatedCrash))
        {
            // Whatever went wrong (a dropped connection, a disposed client, a full disk) ends this account's removal
            // only: the other jobs run on and every finished one is still reported.
            return new RemovalResult(target.AccountId, null, Unexpected(ex, target.AccountId.ToString()));
        }
    }

    /// <summary>An exception CasAdmin did not foresee, as an error scripts can match; its type and text are kept for support.</summary>
    internal static CasException Unexpected(Exception ex, string target) => new(ErrorIds.RemovalFailed, CasErrorCategory.NotSpecified,
        $"The removal failed unexpectedly ({ex.GetType().Name}: {ex.Message}).",
        "Run Remove-CasServiceAccount again to resume (finished steps are not repeated); Get-CasRemovalJob shows the step that failed.", target, ex);

    private async Task<CasRemovalJob> RunJobAsync(RemovalTarget target, RemovalOptions options, IOperationObserver observer, int parentActivityId, CancellationToken ct)
    {
        var owner = fixedOwner ?? LeaseHolder.NewOwner();
        try
        {
            return await RunJobAsync(target, options, observer, parentActivityId, owner, ct).ConfigureAwait(false);
        }
        finally
        {
            // However this run ended, its owner is gone: a rerun in this process takes over whatever lease it still holds.
            LeaseHolder.Retire(owner);
        }
    }

    private async Task<CasRemovalJob> RunJobAsync(RemovalTarget target, RemovalOptions options, IOperationObserver observer, int parentActivityId, string owner, CancellationToken ct)
    {
        var store = RegistryStore.Open(target.Connection.StorePath);
        store.EnsureWritable();
        var jobs = new RemovalJobRepository(store, Clock);
        var account = await LoadAccountAsync(store, target, ct).ConfigureAwait(false);
        var admin = target.AdminConnection ?? target.Connection;

        if (account.Service == CasService.ExchangeOnline && !options.Force && !target.Confirmed)
        {
            var (query, caption) = DeprovisioningRules.ExchangeConfirmation(account);
            if (!await observer.ShouldContinueAsync(query, caption, ct).ConfigureAwait(false))
            {
                throw new CasException(ErrorIds.RemovalNotConfirmed, CasErrorCategory.OperationStopped,
                    $"The removal of the Exchange Online account of {account.TenantDomain ?? account.TenantId} was not confirmed; nothing was changed.",
                    "Confirm the prompt, or pass -Force in unattended runs.", account.AccountId.ToString());
            }
        }

        var grantedAt = Clock.GetUtcNow();
        var (jobId, lease) = await OpenAndLeaseJobAsync(jobs, account, owner, options.LeaseDuration, ct).ConfigureAwait(false);
        if (lease.IsFinished)
        {
            // Another process finished it between our look and our lease.
            throw new CasException(ErrorIds.AlreadyRemoved, CasErrorCategory.ObjectNotFound,
                $"The {account.Service} account of {account.TenantDomain ?? account.TenantId} was removed by another process just now.",
                "Nothing to do; Get-CasRemovalJob -AccountId shows how it was removed.", account.AccountId.ToString());
        }

        if (!lease.IsAcquired)
        {
            throw new CasException(ErrorIds.RemovalInProgress, CasErrorCategory.ResourceUnavailable,
                $"The {account.Service} account of {account.TenantDomain ?? account.TenantId} is being removed by {lease.Holder}.",
                "Wait for that removal to finish (Get-CasRemovalJob shows it). Should that process end without finishing, a rerun on the same machine takes over at once; on another machine, once its lease expires.",
                account.AccountId.ToString());
        }

        // From here on the lease is ours: it is kept, and let go of, whatever happens next (Ctrl+C included).
        var keeper = new LeaseKeeper(RenewHook ?? (token => jobs.RenewLeaseAsync(jobId, owner, options.LeaseDuration, token)), options.LeaseDuration, grantedAt, Clock, ct, LeaseStopped);
        var succeeded = false;
        try
        {
            var job = (await jobs.GetAsync(jobId, keeper.Token).ConfigureAwait(false))!;
            if (lease.TakenOverFrom is { } dead)
            {
                observer.Information($"Took over the removal of the {account.Service} account of {account.TenantDomain ?? account.TenantId} from {dead}, which is no longer running; it resumes at its first unfinished step.");
            }

            var context = new RemovalContext(account, job, admin, options, store, vault, observer, owner);
            // A person who confirmed has read the warning already; an unattended -Force run still gets it in its log.
            if (account.Service == CasService.ExchangeOnline && !target.Confirmed)
            {
                observer.Warning(DeprovisioningRules.ExchangeWarning);
            }

            succeeded = await ExecuteStepsAsync(jobs, context, observer, parentActivityId, keeper.Token, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (keeper.Ended && !ct.IsCancellationRequested)
        {
            throw keeper.Error($"the {account.Service} account of {account.TenantDomain ?? account.TenantId}", account.AccountId.ToString());
        }
        finally
        {
            await keeper.DisposeAsync().ConfigureAwait(false);

            // Released even after Ctrl+C, so a rerun need not wait for the lease to expire (a job that succeeded let go
            // of it in its last write); should the store be down now, the lease simply expires (or, on this machine, is
            // taken over at once: this run's owner is retired), and the job's outcome is what matters to the caller.
            if (!succeeded)
            {
                try
                {
                    await jobs.Store.WriteWindingDownAsync((c, t, c2) => RemovalJobRepository.ReleaseLeaseAsync(c, t, jobId, owner, c2), ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is CasException or OperationCanceledException)
                {
                    observer.Verbose($"The lease of job {jobId} was not released ({(ex as CasException)?.ErrorId ?? "canceled"}); it expires by itself.");
                }
            }
        }

        return (await jobs.GetAsync(jobId, CancellationToken.None).ConfigureAwait(false))!;
    }

    /// <summary>Runs the job's unfinished steps; true when the job succeeded (its last write also released the lease).</summary>
    private async Task<bool> ExecuteStepsAsync(RemovalJobRepository jobs, RemovalContext x, IOperationObserver observer, int parentActivityId, CancellationToken token, CancellationToken userToken)
    {
        var steps = x.Job.Steps;
        using var progress = new ProgressTracker(observer, $"Removing the {x.Account.Service} account of {x.Account.TenantDomain ?? x.Account.TenantId}", steps.Count, parentActivityId);
        var pending = Enumerable.Range(0, steps.Count).Where(i => steps[i].Status is not (RemovalStepStatus.Succeeded or RemovalStepStatus.Skipped)).ToList();
        if (pending.Count == 0)
        {
            await x.JournalAsync((c, t, c2) => RemovalJobRepository.FinishJobAsync(c, t, x.Job.JobId, RemovalJobStatus.Succeeded, false, null, null, null, c2), token).ConfigureAwait(false);
            return false;
        }

        // Each step's end is journaled together with the next one's start (or the job's success).
        await jobs.StartStepAsync(x.Job.JobId, x.Owner, steps[pending[0]].Ordinal, token).ConfigureAwait(false);
        for (var p = 0; p < pending.Count; p++)
        {
            var i = pending[p];
            var step = steps[i];
            var next = p + 1 < pending.Count ? steps[pending[p + 1]].Ordinal : (int?)null;
            var kind = RemovalPlan.KindOf(step.Name);
            progress.Report(i, step.Name, $"{step.Name} (about {StepClock.Estimate(RemovalJobStatus.Running, steps.Skip(i).ToList())} s left)", force: true);
            var started = DateTimeOffset.UtcNow;
            StepOutcome outcome;
            CasException? failure;
            try
            {
                BeforeStep?.Invoke(x.Account, kind);
                outcome = await RemovalSteps.RunAsync(kind, x, token).ConfigureAwait(false);
                failure = null;
            }
            catch (CasException cas) when (cas.ErrorId != ErrorIds.LeaseLost)
            {
                outcome = null!;
                failure = cas;
            }
            catch (Exception other) when (other is not (OperationCanceledException or CasException or SimulatedCrash))
            {
                // Not foreseen (HttpRequestException, IOException, ObjectDisposedException…): still this step's failure, journaled like any other.
                outcome = null!;
                failure = Unexpected(other, x.Account.AccountId.ToString());
            }

            if (failure is { } ex)
            {
                // Journal the failure even when the operation was canceled meanwhile (then with one attempt only: Ctrl+C
                // with the registry down must not wait out the store's retries).
                await x.Store.WriteWindingDownAsync((c, t, c2) => RemovalJobRepository.FinishStepAsync(c, t, x.Job.JobId, x.Owner, step.Ordinal, RemovalStepStatus.Failed, null, ex.ErrorId, ex.Message, [], c2),
                    userToken).ConfigureAwait(false);
                if (x.Options.Force && RemovalSteps.IsForceable(ex))
                {
                    await ForceAsync(jobs, x, i, ex, observer, token).ConfigureAwait(false);
                    return false;
                }

                await x.Store.WriteWindingDownAsync(async (c, t, c2) =>
                {
                    await RemovalJobRepository.AssertLeaseAsync(c, t, x.Job.JobId, x.Owner, c2).ConfigureAwait(false);
                    await RemovalJobRepository.FinishJobAsync(c, t, x.Job.JobId, RemovalJobStatus.Failed, false, ex.ErrorId, ex.Message,
                        ex.RecommendedAction ?? "Run Remove-CasServiceAccount again to resume (finished steps are not repeated), or with -Force to forcibly remove CasAdmin's data.", c2).ConfigureAwait(false);
                }, userToken).ConfigureAwait(false);
                return false;
            }

            StepClock.Record(step.Name, DateTimeOffset.UtcNow - started);
            await jobs.FinishStepAsync(x.Job.JobId, x.Owner, step.Ordinal, outcome.Status, outcome.Detail, null, null, outcome.Remaining, token,
                nextOrdinal: next, jobSucceeded: next is null).ConfigureAwait(false);
            observer.Verbose($"{x.Account.Service} {x.Account.TenantDomain ?? x.Account.TenantId}: {step.Name}: {outcome.Detail}");
            try
            {
                AfterStep?.Invoke(x.Job.JobId, kind);
            }
            catch (Exception crash)
            {
                throw new SimulatedCrash(crash);
            }
        }

        return true;
    }

    /// <summary>Forced removal: the tenant steps not done are listed as remaining changes, then CasAdmin's own data goes.</summary>
    private static async Task ForceAsync(RemovalJobRepository jobs, RemovalContext x, int failedAt, CasException why, IOperationObserver observer, CancellationToken token)
    {
        observer.Warning($"Forcing removal of CasAdmin's data for the {x.Account.Service} account: {why.Message}");
        var pending = x.Job.Steps.Skip(failedAt)
            .Select(s => RemovalPlan.KindOf(s.Name))
            .Where(RemovalPlan.TouchesTenant)
            .Select(k => RemovalSteps.Pending(x, k, why.Message))
            .ToArray();
        var local = x.Job.Steps.Where(s => RemovalPlan.KindOf(s.Name) is StepKind.RemoveLocalData or StepKind.ListRemainingChanges).ToArray();
        await x.JournalAsync(async (c, t, c2) =>
        {
            foreach (var item in pending)
            {
                await RemovalJobRepository.AddCleanupAsync(c, t, item, c2).ConfigureAwait(false);
            }

            // Steps after the failure that touch the tenant are not attempted.
            foreach (var step in x.Job.Steps.Skip(failedAt + 1).Where(s => RemovalPlan.TouchesTenant(RemovalPlan.KindOf(s.Name))))
            {
                await c.ExecuteAsync(t, "UPDATE removal_steps SET status = 'Skipped', detail = 'Left undone by forced removal' WHERE job_id = $j AND ordinal = $o",
                    c2, ("$j", x.Job.JobId.ToString()), ("$o", step.Ordinal)).ConfigureAwait(false);
            }
        }, token).ConfigureAwait(false);

        foreach (var step in local)
        {
            await jobs.StartStepAsync(x.Job.JobId, x.Owner, step.Ordinal, token).ConfigureAwait(false);
            var outcome = await RemovalSteps.RunAsync(RemovalPlan.KindOf(step.Name), x, token).ConfigureAwait(false);
            await jobs.FinishStepAsync(x.Job.JobId, x.Owner, step.Ordinal, outcome.Status, outcome.Detail, null, null, outcome.Remaining, token).ConfigureAwait(false);
        }

        await x.JournalAsync((c, t, c2) => RemovalJobRepository.FinishJobAsync(c, t, x.Job.JobId, RemovalJobStatus.Forced, true, why.ErrorId, why.Message,
            "Clean up what stayed in the tenant: Get-CasCleanupItem -JobId " + x.Job.JobId, c2), token).ConfigureAwait(false);
    }

    private static async Task<CasServiceAccount> LoadAccountAsync(RegistryStore store, RemovalTarget target, CancellationToken ct)
    {
        var account = await new AccountRepository(store).GetAsync(target.AccountId, ct).ConfigureAwait(false)
            ?? throw new CasException(ErrorIds.ServiceAccountNotFound, CasErrorCategory.ObjectNotFound,
                $"No service account {target.AccountId} is in the registry.", "List the accounts with Get-CasServiceAccount.", target.AccountId.ToString());
        if (account.Status == ServiceAccountStatus.Removed
            && await new RemovalJobRepository(store).OpenJobAsync(account.AccountId, ct).ConfigureAwait(false) is null)
        {
            // Removed with no unfinished job: done. (An open job means a run stopped after the local data went: it resumes.)
            throw new CasException(ErrorIds.AlreadyRemoved, CasErrorCategory.ObjectNotFound,
                $"The {account.Service} account of {account.TenantDomain ?? account.TenantId} was already removed.",
                "Nothing to do; Get-CasRemovalJob -AccountId shows how it was removed.", account.AccountId.ToString());
        }

        if (!string.Equals(account.TenantId, target.Connection.TenantId, StringComparison.OrdinalIgnoreCase))
        {
            throw CasException.InvalidArgument(
                $"The {account.Service} account belongs to tenant {account.TenantId}, but the connection is to {target.Connection.TenantId}.",
                "Connect to the account's tenant (one connection per tenant) and run the removal again.", account.AccountId.ToString());
        }

        return account;
    }

    /// <summary>
    /// In one write: the account's unfinished job (or a new one), its lease and, once leased, its start. A runner that
    /// meets a job another one holds learns so from this single write, and writes nothing.
    /// </summary>
    private async Task<(Guid JobId, LeaseOutcome Lease)> OpenAndLeaseJobAsync(RemovalJobRepository jobs, CasServiceAccount account, string owner, TimeSpan leaseDuration, CancellationToken ct)
    {
        var (id, lease) = await jobs.Store.WriteAsync(async (c, t, c2) =>
        {
            // Inside BEGIN IMMEDIATE (SQLite) or under the account's row lock (PostgreSQL): two runners cannot both see
            // "no open job" and both create one.
            await c.ExecuteAsync(t, "SELECT account_id FROM service_accounts WHERE account_id = $a FOR UPDATE", c2, ("$a", account.AccountId.ToString())).ConfigureAwait(false);
            var open = (string?)await c.ScalarAsync(t, "SELECT job_id FROM removal_jobs WHERE account_id = $a AND status IN ('Pending', 'Running', 'Failed')", c2,
                ("$a", account.AccountId.ToString())).ConfigureAwait(false);
            Guid jobId;
            if (open is not null)
            {
                jobId = Guid.Parse(open);
            }
            else
            {
                // Read again under the write lock: another process may have finished the removal since we loaded the account.
                var status = (string?)await c.ScalarAsync(t, "SELECT status FROM service_accounts WHERE account_id = $a", c2, ("$a", account.AccountId.ToString())).ConfigureAwait(false);
                if (status == nameof(ServiceAccountStatus.Removed))
                {
                    return (Guid.Empty, LeaseOutcome.Finished);
                }

                var job = new CasRemovalJob
                {
                    JobId = Guid.NewGuid(), AccountId = account.AccountId, TenantId = account.TenantId, Service = account.Service,
                    AppId = account.AppId, DelegateAccount = account.DelegateAccount,
                };
                await RemovalJobRepository.CreateAsync(c, t, job, RemovalPlan.For(account).Select(k => RemovalPlan.Names[k]).ToArray(), c2).ConfigureAwait(false);
                await c.ExecuteAsync(t, "UPDATE service_accounts SET status = 'Removing', updated = $now WHERE account_id = $a", c2,
                    ("$a", account.AccountId.ToString()), ("$now", DateTimeOffset.UtcNow.Iso())).ConfigureAwait(false);
                jobId = job.JobId;
            }

            var outcome = await RemovalJobRepository.TryLeaseAsync(c, t, jobId, owner, leaseDuration, Clock, c2).ConfigureAwait(false);
            if (outcome.IsAcquired)
            {
                await RemovalJobRepository.MarkRunningAsync(c, t, jobId, c2).ConfigureAwait(false);
            }

            return (jobId, outcome);
        }, ct).ConfigureAwait(false);
        return (id, lease);
    }

    /// <summary>Carries an exception thrown by the <see cref="AfterStep"/> test hook past every handler, as a real crash would go.</summary>
    private sealed class SimulatedCrash(Exception inner) : Exception(inner.Message, inner);
}

/// <summary>The product's rules about confirming a removal.</summary>
public static class DeprovisioningRules
{
    public const string ExchangeWarning =
        "After the Exchange Online service account is removed, the Threat Investigation, Threat Mitigation and Threat Remediation automation APIs stop working.";

    /// <summary>The extra confirmation the removal of an Exchange Online account needs (skipped by -Force).</summary>
    public static (string Query, string Caption) ExchangeConfirmation(CasServiceAccount account) =>
        ($"{ExchangeWarning} Remove the Exchange Online service account of {account.TenantDomain ?? account.TenantId}?",
         "Remove the Exchange Online service account");

    public static bool NeedsConfirmation(CasServiceAccount account) => account.Service == CasService.ExchangeOnline;
}
