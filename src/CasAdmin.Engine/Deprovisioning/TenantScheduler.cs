using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Resilience;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>
/// Hands each free worker the next account of the tenant that can use it best. Graph throttles per app and tenant,
/// so the tenants' own quotas are what bulk removal spends:
/// <list type="bullet">
/// <item>a tenant this run works already and nobody is working right now comes first, then a tenant nobody works yet,
/// then another job in a tenant of this run's;</item>
/// <item>a tenant paused by a 429 waits behind the others, so a worker never waits out one tenant's Retry-After while
/// another tenant's quota sits unused;</item>
/// <item>a tenant's quota is claimed in the registry (<see cref="TenantClaimRepository"/>) before its first job: runners
/// sharing the registry split the tenants instead of pacing one quota from several processes, none of which knows the
/// Retry-After the others were told. A tenant another live runner holds is left to it; while workers have nothing else
/// to do, one of them asks the registry every <see cref="Recheck"/> which tenants others still hold, and a tenant let go
/// of (or no longer renewed) is claimed.</item>
/// </list>
/// Claims are renewed while this run holds them and let go of as soon as its last job in the tenant ends.
/// </summary>
internal sealed class TenantScheduler : IAsyncDisposable
{
    /// <summary>How often a worker with nothing else to do asks again for a tenant another runner holds.</summary>
    internal static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);

    private readonly object gate = new();
    private readonly List<Lane> lanes;
    private readonly Dictionary<int, Lane> laneOf = [];
    private readonly IReadOnlyList<RemovalTarget> targets;
    private readonly Dictionary<int, RemovedAccount> finishedElsewhere = [];
    private readonly int perTenant;
    private readonly string holder;
    private readonly TimeSpan claimDuration;
    private readonly TimeProvider clock;
    private readonly IOperationObserver observer;
    private readonly CancellationToken runToken;
    private readonly CancellationTokenSource renewing = new();
    private Task? renewal;
    private TaskCompletionSource changed = NewSignal();
    private bool polling;
    private DateTimeOffset nextPoll = DateTimeOffset.MinValue;
    private long taken;

    /// <param name="targets">The batch.</param>
    /// <param name="throttleLimit">Jobs at once across the batch.</param>
    /// <param name="holder">Who holds this run's claims (an owner of <see cref="LeaseHolder"/>, so a run that ended is known as gone on this machine).</param>
    /// <param name="claimDuration">How long a claim holds without renewal.</param>
    /// <param name="clock">The clock of the waits and the renewals.</param>
    /// <param name="observer">Told, verbosely, which tenants wait for another runner.</param>
    /// <param name="runToken">The run's Ctrl+C: once it is set, letting go of a claim gets one attempt (it expires by itself otherwise).</param>
    public TenantScheduler(IReadOnlyList<RemovalTarget> targets, int throttleLimit, string holder, TimeSpan claimDuration, TimeProvider clock, IOperationObserver observer,
        CancellationToken runToken = default)
    {
        this.runToken = runToken;
        this.targets = targets;
        this.holder = holder;
        this.claimDuration = claimDuration;
        this.clock = clock;
        this.observer = observer;
        lanes = Enumerable.Range(0, targets.Count)
            // Paced and claimed by the connection the steps really use: -AdminConnection's when given (its app's quota in the tenant).
            .GroupBy(i => Quota.Of(targets[i]))
            .Select(g => new Lane(g.Key, new Queue<int>(g), (targets[g.First()].AdminConnection ?? targets[g.First()].Connection).Context.Graph.Pacer,
                targets[g.First()].Connection.TenantDomain ?? targets[g.First()].Connection.TenantId))
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

    /// <summary>The next account's index in the batch, or -1 when every account has been handed out.</summary>
    public async ValueTask<int> TakeAsync(CancellationToken ct)
    {
        while (true)
        {
            Lane? toClaim;
            Task changedOrDue;
            var poll = false;
            lock (gate)
            {
                var now = clock.GetUtcNow();
                var lane = Pick(now);
                if (lane is { State: LaneState.Ours or LaneState.Elsewhere })
                {
                    return TakeFrom(lane);
                }

                if (lane is not null)
                {
                    lane.State = LaneState.Claiming;
                    toClaim = lane;
                    changedOrDue = Task.CompletedTask;
                }
                else if (lanes.All(l => l.Pending.Count == 0))
                {
                    return -1;
                }
                else
                {
                    // Left: tenants other runners hold (or a worker of ours is claiming). One worker asks the registry which
                    // of them are free now, once every Recheck; the others wait for a change or the next ask.
                    toClaim = null;
                    var waitingForOthers = lanes.Any(l => l.Pending.Count > 0 && l.State == LaneState.Elsewhere);
                    if (waitingForOthers && !polling && now >= nextPoll)
                    {
                        polling = poll = true;
                        changedOrDue = Task.CompletedTask;
                    }
                    else
                    {
                        var wait = (waitingForOthers && !polling ? nextPoll : now + Recheck) - now;
                        changedOrDue = Task.WhenAny(changed.Task, Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1), clock, ct));
                    }
                }
            }

            if (poll)
            {
                await PollAsync(ct).ConfigureAwait(false);
                continue;
            }

            if (toClaim is null)
            {
                await changedOrDue.ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                continue;
            }

            TenantClaim claim;
            List<RemovedAccount> finished;
            try
            {
                claim = await ClaimAsync(toClaim, ct).ConfigureAwait(false);
                finished = claim.IsOurs && toClaim.WorkedElsewhere ? await FinishedAmongAsync(toClaim, ct).ConfigureAwait(false) : [];
            }
            catch
            {
                // Ctrl+C (or anything unforeseen) while claiming: the lane must not stay "claiming", or the other workers
                // would wait for it for ever; another worker may ask again.
                lock (gate)
                {
                    toClaim.State = LaneState.Unclaimed;
                    Signal();
                }

                throw;
            }

            lock (gate)
            {
                if (claim.IsOurs)
                {
                    if (finished.Count > 0)
                    {
                        // Handed out first: they cost no Graph request and no more registry reads.
                        var byAccount = finished.ToDictionary(f => f.AccountId);
                        var rest = toClaim.Pending.Where(i => !byAccount.ContainsKey(targets[i].AccountId)).ToList();
                        foreach (var i in toClaim.Pending.Where(i => byAccount.ContainsKey(targets[i].AccountId)).ToList())
                        {
                            finishedElsewhere[i] = byAccount[targets[i].AccountId];
                            rest.Insert(0, i);
                        }

                        toClaim.Pending.Clear();
                        rest.ForEach(toClaim.Pending.Enqueue);
                    }

                    toClaim.State = LaneState.Ours;
                    renewal ??= RenewAsync(renewing.Token);
                    if (claim.TakenOverFrom is { } dead)
                    {
                        observer.Verbose($"Tenant {toClaim.Name}: took over the claim of {dead}, which is no longer running.");
                    }

                    Signal();
                    return TakeFrom(toClaim);
                }

                if (!toClaim.WorkedElsewhere)
                {
                    observer.Verbose(toClaim.Pending.Count == 1 && toClaim.Running == 0
                        ? $"Tenant {toClaim.Name}: {claim.Holder} is removing its accounts through the same app; this run removes its one account there alongside it."
                        : $"Tenant {toClaim.Name}: {claim.Holder} is removing its accounts through the same app; this run takes them once it has finished (Graph throttles per app and tenant).");
                }

                toClaim.State = LaneState.Elsewhere;
                toClaim.WorkedElsewhere = true;
                var recheck = clock.GetUtcNow() + Recheck;
                if (nextPoll < recheck)
                {
                    nextPoll = recheck;
                }

                Signal();
            }
        }
    }

    /// <summary>
    /// The account of <paramref name="index"/> as the registry showed it when this run took its tenant from another
    /// runner: removed, with no unfinished job. Null when it is not known to be finished.
    /// </summary>
    public RemovedAccount? FinishedElsewhere(int index)
    {
        lock (gate)
        {
            return finishedElsewhere.GetValueOrDefault(index);
        }
    }

    /// <summary>The job of <paramref name="index"/> ended: its place is free, and a tenant with nothing left to hand out is let go of.</summary>
    public async ValueTask DoneAsync(int index)
    {
        Lane lane;
        lock (gate)
        {
            lane = laneOf[index];
            lane.Running--;
            if (lane.Pending.Count > 0 || lane.Running > 0 || lane.State != LaneState.Ours)
            {
                Signal();
                return;
            }

            lane.State = LaneState.Done;
            Signal();
        }

        await ReleaseAsync(lane).ConfigureAwait(false);
    }

    /// <summary>Stops renewing and lets go of every claim this run still holds (a run stopped by Ctrl+C or a registry failure).</summary>
    public async ValueTask DisposeAsync()
    {
        await renewing.CancelAsync().ConfigureAwait(false);
        if (renewal is not null)
        {
            await renewal.ConfigureAwait(false);
        }

        foreach (var path in lanes.Where(l => l.State is LaneState.Ours).Select(l => l.Quota.StorePath).Distinct())
        {
            try
            {
                await new TenantClaimRepository(RegistryStore.Open(path), clock).ReleaseAllAsync(holder, runToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is CasException or OperationCanceledException)
            {
                observer.Verbose($"The tenant claims of {holder} were not let go of ({(ex as CasException)?.ErrorId ?? "canceled"}); they expire by themselves.");
            }
        }

        renewing.Dispose();
    }

    private Lane? Pick(DateTimeOffset now)
    {
        var open = lanes.Where(l => l.Pending.Count > 0
            && (l.State is LaneState.Ours or LaneState.Unclaimed || IsSingleJoin(l))).ToList();
        return open.Where(l => l.Running < perTenant).OrderBy(l => Rank(l, now)).ThenBy(l => l.Running).ThenBy(l => l.LastTaken).FirstOrDefault()
            // Every tenant has its share: more jobs in a tenant of this run's before asking others for theirs again. Not
            // while a claim is on its way: the first tenants claimed would take every spare worker at once, and their
            // quota a burst of jobs into its first 429s (seen as 91 requests in one tenant's first second).
            ?? (lanes.Any(l => l.State == LaneState.Claiming) ? null : open.OrderBy(l => l.State == LaneState.Ours ? 0 : 1).ThenBy(l => l.Running).FirstOrDefault());
    }

    /// <summary>
    /// Not paused before paused; then a tenant of this run's with no job running (never left idle while another is
    /// claimed), a tenant nobody works (or another runner has let go of), and another job in a tenant of this run's.
    /// </summary>
    private static int Rank(Lane lane, DateTimeOffset now) =>
        (lane.Pacer.PausedUntil > now ? 3 : 0) + lane.State switch
        {
            LaneState.Ours when lane.Running == 0 => 0,
            LaneState.Unclaimed => 1,
            _ => 2,
        };

    /// <summary>
    /// A tenant another runner holds, where this run has one account and nothing running: removed alongside that runner
    /// rather than after it. One job's requests cost the holder little, and a person removing one account at the prompt
    /// does not wait for a bulk run of the same tenant to finish.
    /// </summary>
    private static bool IsSingleJoin(Lane lane) => lane.State == LaneState.Elsewhere && lane.Pending.Count == 1 && lane.Running == 0;

    /// <summary>
    /// Asks each registry once which tenants other live runners hold: every tenant this run waits for that is no longer
    /// among them (let go of, expired, or held by a runner of this machine that is gone) may be claimed again.
    /// </summary>
    private async Task PollAsync(CancellationToken ct)
    {
        try
        {
            string?[] paths;
            lock (gate)
            {
                paths = lanes.Where(l => l.Pending.Count > 0 && l.State == LaneState.Elsewhere).Select(l => l.Quota.StorePath).Distinct().ToArray();
            }

            var held = new HashSet<Quota>();
            foreach (var path in paths)
            {
                try
                {
                    foreach (var (tenant, app, by) in await new TenantClaimRepository(RegistryStore.Open(path), clock).HeldByOthersAsync(holder, ct).ConfigureAwait(false))
                    {
                        if (!LeaseHolder.IsDeadOnThisMachine(by))
                        {
                            held.Add(new Quota(path, tenant, app));
                        }
                    }
                }
                catch (CasException ex)
                {
                    // Not known: every tenant waited for is asked for again, and the claim itself decides.
                    observer.Verbose($"Which tenants other runners hold is not known ({ex.ErrorId}); asking for each again.");
                }
            }

            lock (gate)
            {
                foreach (var lane in lanes.Where(l => l.Pending.Count > 0 && l.State == LaneState.Elsewhere && !held.Contains(l.Quota)))
                {
                    lane.State = LaneState.Unclaimed;
                }
            }
        }
        finally
        {
            lock (gate)
            {
                polling = false;
                nextPoll = clock.GetUtcNow() + Recheck;
                Signal();
            }
        }
    }

    private int TakeFrom(Lane lane)
    {
        // Round-robin among equals, so one tenant's jobs do not run back to back into its own throttling.
        lane.Running++;
        lane.LastTaken = ++taken;
        return lane.Pending.Dequeue();
    }

    private void Signal()
    {
        var was = changed;
        changed = NewSignal();
        was.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task<TenantClaim> ClaimAsync(Lane lane, CancellationToken ct)
    {
        var quota = lane.Quota;
        try
        {
            return await new TenantClaimRepository(RegistryStore.Open(quota.StorePath), clock).ClaimAsync(quota.TenantId, quota.AppId, holder, claimDuration, ct).ConfigureAwait(false);
        }
        catch (CasException ex)
        {
            // A claim only steers; a registry that cannot take one fails the job itself, with its own error and record.
            observer.Verbose($"Tenant {lane.Name}: no claim taken ({ex.ErrorId}); its jobs run without one.");
            return TenantClaim.Ours;
        }
    }

    /// <summary>The lane's accounts another runner finished while it held the tenant; none when the registry cannot say.</summary>
    private async Task<List<RemovedAccount>> FinishedAmongAsync(Lane lane, CancellationToken ct)
    {
        List<Guid> accounts;
        lock (gate)
        {
            accounts = lane.Pending.Select(i => targets[i].AccountId).ToList();
        }

        try
        {
            return await new RemovalJobRepository(RegistryStore.Open(lane.Quota.StorePath), clock).FinishedAmongAsync(accounts, ct).ConfigureAwait(false);
        }
        catch (CasException ex)
        {
            observer.Verbose($"Tenant {lane.Name}: which of its accounts another runner removed is not known ({ex.ErrorId}); each is looked at on its own.");
            return [];
        }
    }

    private async Task ReleaseAsync(Lane lane)
    {
        var quota = lane.Quota;
        try
        {
            await new TenantClaimRepository(RegistryStore.Open(quota.StorePath), clock).ReleaseAsync(quota.TenantId, quota.AppId, holder, runToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CasException or OperationCanceledException)
        {
            observer.Verbose($"Tenant {lane.Name}: its claim was not let go of ({(ex as CasException)?.ErrorId ?? "canceled"}); it expires by itself.");
        }
    }

    /// <summary>Renews this run's claims, a third of their duration apart, in each registry it holds claims in.</summary>
    private async Task RenewAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(claimDuration / 3, clock, ct).ConfigureAwait(false);
                string?[] paths;
                lock (gate)
                {
                    paths = lanes.Where(l => l.State == LaneState.Ours).Select(l => l.Quota.StorePath).Distinct().ToArray();
                }

                foreach (var path in paths)
                {
                    try
                    {
                        await new TenantClaimRepository(RegistryStore.Open(path), clock).RenewAsync(holder, claimDuration, ct).ConfigureAwait(false);
                    }
                    catch (CasException ex)
                    {
                        observer.Verbose($"The tenant claims of {holder} were not renewed ({ex.ErrorId}); they may expire and be taken by another runner.");
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    /// <summary>The quota a lane spends: one app in one tenant, in one registry.</summary>
    private sealed record Quota(string? StorePath, string TenantId, string AppId)
    {
        public static Quota Of(RemovalTarget target)
        {
            var connection = target.AdminConnection ?? target.Connection;
            return new Quota(target.Connection.StorePath, connection.TenantId.ToLowerInvariant(), (connection.AppId ?? string.Empty).ToLowerInvariant());
        }
    }

    private enum LaneState
    {
        Unclaimed,
        Claiming,
        Ours,
        Elsewhere,
        Done,
    }

    private sealed class Lane(Quota quota, Queue<int> pending, TenantPacer pacer, string name)
    {
        /// <summary>The tenant as people read it: its domain where known.</summary>
        public string Name { get; } = name;

        public Quota Quota { get; } = quota;

        public Queue<int> Pending { get; } = pending;

        public TenantPacer Pacer { get; } = pacer;

        public LaneState State { get; set; }

        /// <summary>Another runner held this tenant: some of its accounts may be removed already.</summary>
        public bool WorkedElsewhere { get; set; }

        public int Running { get; set; }

        public long LastTaken { get; set; }
    }
}
