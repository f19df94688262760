namespace CasAdmin.Engine.Resilience;

/// <summary>
/// Paces every request of one connection (one app in one tenant, the scope Graph throttles). When any request
/// is told to wait, all of them wait until the same moment instead of stampeding: Graph counts requests sent
/// while throttled against the quota. After 429s it also models the tenant's quota as the token bucket it is:
/// the refill rate (the requests that got through between two 429s, over that time) and the capacity (the
/// requests of the first burst). Requests are then spaced to the refill rate, and slots left unused (a pause, a
/// lull while jobs journal, the gap between two runs) may be caught up at once, as far as the bucket holds, so
/// bulk work spends the quota as it refills instead of leaving it unused or bursting into the next 429.
/// Graph also warns before it throttles: above 80 % of a limit, answers carry <c>x-ms-throttle-limit-percentage</c>.
/// Near the limit the pacer starts pacing without waiting for a 429, and while pacing it holds the quota between
/// nearly and completely used: slower when the warning says it is almost gone, faster when the warning stops.
/// </summary>
public sealed class TenantPacer
{
    // Each request the pace holds back asks for a slightly shorter interval, so the rate climbs back up to the limit
    // after an underestimate (about 10 % a second at 10 requests a second); the next 429 measures again.
    private const double ProbePerSecond = 0.01;

    // The share of a pause's slots kept back when catching up after it.
    private const double PauseMargin = 0.1;

    // How much of the rate learnt so far each new window between two 429s keeps.
    private const double Memory = 0.7;

    // Pacing starts when an answer says this much of the limit is used: the rest covers the requests in flight.
    private const double NearlyUsed = 0.9;

    // While pacing, the pace holds the used share near this: the few percent left cover the requests in flight.
    private const double Target = 0.97;

    // How hard the pace leans against the distance from the target: 5 × (0.97 − used) faster below it (four times
    // that slower above it), so the quota moves back to the target in a second or two without overshooting; and how
    // fast the estimate of the refill rate itself follows a level that stays off the target.
    private const double Gain = 5;
    private const double Drift = 0.2;

    // An answer without a warning: at least this much is left.
    private const double Unwarned = 0.8;

    // The largest share Graph documents for x-ms-throttle-limit-percentage.
    private const double MaxShare = 1.8;

    // Graph's resource-unit limits are a quota per 10 s (learn.microsoft.com/graph/throttling-limits): a bucket holds ten seconds of its refill.
    private const double QuotaWindowSeconds = 10;

    // Without a 429 or a warning for this long the tenant is no longer busy: pacing stops until the next one.
    private static readonly TimeSpan Forget = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan OneMillisecond = TimeSpan.FromMilliseconds(1);

    // Until the pace is known (no warning, no rate learnt from 429s yet) at most this many requests are in flight, one more
    // every Widening: a quota that runs out while many requests are in flight answers every one of them 429, and Graph
    // charges each. A few in flight already outrun a quota of hundreds a second at a sandbox's round trip of milliseconds;
    // at Graph's round trips of a tenth of a second the limit has widened to the caller's own within a few seconds.
    private const int StartInFlight = 6;
    private static readonly TimeSpan Widening = TimeSpan.FromMilliseconds(500);

    // Slots left unused may always be caught up this far back, even before the capacity is known.
    private static readonly TimeSpan MinimumCredit = TimeSpan.FromSeconds(1);

    private readonly TimeProvider time;
    private readonly object gate = new();
    private DateTimeOffset pausedUntil = DateTimeOffset.MinValue;
    private long pauses;
    private long pausedTicks;
    private double intervalSeconds;
    private long capacity;
    private DateTimeOffset nextSlot = DateTimeOffset.MinValue;
    private DateTimeOffset windowStart = DateTimeOffset.MinValue;
    private DateTimeOffset lastThrottled = DateTimeOffset.MinValue;
    private TimeSpan pauseCredit = MinimumCredit;
    private long admitted;
    private long admittedAtWindowStart;
    private long admittedAtBurstStart;
    private double sentSeen;
    private double secondsSeen;
    private bool warned;
    private DateTimeOffset warningSince = DateTimeOffset.MinValue;
    private long admittedAtWarning;
    private double usedAtWarning;
    private double refillInterval;

    // Graph asked to wait past a call's whole budget: until when it asked, and until when that answer stands (at most one
    // budget after it came, so an absurd Retry-After cannot close the connection for longer).
    private int inFlight;
    private DateTimeOffset busySince = DateTimeOffset.MinValue;
    private readonly LinkedList<TaskCompletionSource> freed = new();
    private DateTimeOffset refusedUntil = DateTimeOffset.MinValue;
    private DateTimeOffset refusalEnds = DateTimeOffset.MinValue;

    public TenantPacer(TimeProvider? timeProvider = null) => time = timeProvider ?? TimeProvider.System;

    /// <summary>
    /// Reads <c>x-ms-throttle-limit-percentage</c>: a finite share from 0 to 1.8 (Graph documents 0.8–1.8,
    /// learn.microsoft.com/graph/throttling-limits). Anything else (NaN, Infinity, 1e308, a negative or unreadable value)
    /// is not a share of a limit and is ignored.
    /// </summary>
    public static bool TryReadShare(string? value, out double share)
    {
        share = 0;
        if (!double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
            || !IsShare(parsed))
        {
            return false;
        }

        share = parsed;
        return true;
    }

    private static bool IsShare(double value) => double.IsFinite(value) && value is >= 0 and <= MaxShare;

    /// <summary>How many times a pause was set or extended.</summary>
    public long Pauses => Interlocked.Read(ref pauses);

    /// <summary>The learnt spacing between requests, or zero while unpaced.</summary>
    public TimeSpan Interval
    {
        get
        {
            lock (gate)
            {
                return TimeSpan.FromSeconds(intervalSeconds);
            }
        }
    }

    public DateTimeOffset PausedUntil
    {
        get
        {
            lock (gate)
            {
                return pausedUntil;
            }
        }
    }

    public void PauseUntil(DateTimeOffset until)
    {
        lock (gate)
        {
            if (until > pausedUntil)
            {
                // Only the part of the pause that no earlier pause covered: overlapping 429s are one wait, not two.
                var now = time.GetUtcNow();
                var from = pausedUntil > now ? pausedUntil : now;
                if (until > from)
                {
                    pausedTicks += (until - from).Ticks;
                }

                pausedUntil = until;
                pauses++;
            }
        }
    }

    /// <summary>How long this tenant's requests were held back by Retry-After pauses so far (the union of the pauses).</summary>
    public TimeSpan Paused
    {
        get
        {
            lock (gate)
            {
                return TimeSpan.FromTicks(pausedTicks);
            }
        }
    }

    /// <summary>The learnt capacity of the quota, in requests, or zero while unknown.</summary>
    public long Capacity
    {
        get
        {
            lock (gate)
            {
                return capacity;
            }
        }
    }

    /// <summary>
    /// A 429 told this connection to wait <paramref name="retryAfter"/>: pause everyone until then, and learn the
    /// refill rate from the requests admitted since the previous 429 (over that span plus this wait) and, at the
    /// end of the first unpaced burst, the capacity.
    /// </summary>
    public void Throttled(TimeSpan retryAfter)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            var burst = admitted - admittedAtBurstStart;
            var burstSeconds = busySince == DateTimeOffset.MinValue ? 0 : (now - busySince + retryAfter).TotalSeconds;
            if (windowStart == DateTimeOffset.MinValue && intervalSeconds <= 0 && !warned && burst >= 4 && burstSeconds > 0)
            {
                // The first 429 of a busy tenant: the first burst emptied the quota, which refills during this pause. Its
                // requests over its time plus the pause are the first estimate of the refill rate: exact for a quota that
                // holds about one pause of refill (Teams: requests per second), too fast for a deeper one, where the next
                // 429 measures again. Either way the next burst is paced, not free: a free burst with many requests in
                // flight when the quota runs out again gets a 429 for each.
                sentSeen = burst;
                secondsSeen = burstSeconds;
                intervalSeconds = refillInterval = secondsSeen / sentSeen;
                capacity = Math.Max(4, (long)(retryAfter.TotalSeconds / intervalSeconds));
            }
            else if (capacity == 0 && intervalSeconds <= 0 && burst >= 4)
            {
                capacity = burst;
            }

            if (windowStart != DateTimeOffset.MinValue)
            {
                var sent = admitted - admittedAtWindowStart;
                var span = (now - windowStart + retryAfter).TotalSeconds;
                if (sent >= 4 && span > 0)
                {
                    // One window between two 429s holds a handful of requests, too few for the rate on its own:
                    // earlier windows count too, fading, so the estimate settles instead of jumping by a request.
                    sentSeen = sentSeen * Memory + sent;
                    secondsSeen = secondsSeen * Memory + span;
                    intervalSeconds = refillInterval = secondsSeen / sentSeen;
                }
            }

            lastThrottled = now;
            windowStart = now + retryAfter;
            busySince = windowStart;
            admittedAtWindowStart = admitted;

            // The quota is empty now and refills during the pause, so the slots the pause skips are owed, all but a
            // margin: requests cost more than one unit now and then, and every throttled request was charged too
            // (each takes one slot back), or the burst after the pause would run straight into the next 429.
            var sameEpisode = pausedUntil > now;
            nextSlot = (sameEpisode ? nextSlot : now + retryAfter * PauseMargin) + TimeSpan.FromSeconds(intervalSeconds);
            pauseCredit = retryAfter > MinimumCredit ? retryAfter : MinimumCredit;
        }

        PauseUntil(now + retryAfter);
    }

    /// <summary>
    /// An answer said <paramref name="usedFraction"/> of a limit is used (<c>x-ms-throttle-limit-percentage</c>, sent from
    /// 0.8 up). Unpaced and near the limit: start pacing, at the rate learnt from earlier 429s or else at the rate the
    /// warnings so far imply. Paced: slow down when the quota is almost gone.
    /// </summary>
    public void NearLimit(double usedFraction)
    {
        // NaN would poison every interval after it (and TimeSpan.FromSeconds(NaN) throws): such a value is not a warning.
        if (!IsShare(usedFraction))
        {
            return;
        }

        var now = time.GetUtcNow();
        lock (gate)
        {
            warned = true;
            if (intervalSeconds > 0)
            {
                if (usedFraction >= NearlyUsed)
                {
                    lastThrottled = now;
                }

                Steer(usedFraction);
                return;
            }

            if (warningSince == DateTimeOffset.MinValue)
            {
                warningSince = now;
                admittedAtWarning = admitted;
                usedAtWarning = usedFraction;
            }

            if (usedFraction < NearlyUsed)
            {
                return;
            }

            // Since the first warning, n requests used the share Δu of a bucket of ten seconds' refill r, plus what
            // refilled in those t seconds: n = r·(10·Δu + t).
            var n = admitted - admittedAtWarning;
            var used = usedFraction - usedAtWarning;
            var seconds = (now - warningSince).TotalSeconds;
            if (sentSeen > 0)
            {
                refillInterval = secondsSeen / sentSeen;
            }
            else if (n >= 4 && used > 0)
            {
                refillInterval = (QuotaWindowSeconds * used + seconds) / n;
            }
            else
            {
                return;
            }

            intervalSeconds = refillInterval;
            Steer(usedFraction);
            lastThrottled = now;
            nextSlot = now;
            pauseCredit = MinimumCredit;
        }
    }

    /// <summary>An answer charged to the quota came without a warning: more than a fifth of it is left, so a pace may quicken.</summary>
    public void Unhindered()
    {
        lock (gate)
        {
            if (intervalSeconds <= 0)
            {
                warningSince = DateTimeOffset.MinValue;
            }
            else if (warned)
            {
                Steer(Unwarned);
            }
        }
    }

    /// <summary>
    /// Sets the pace from the estimated refill rate and how far the used share is from the target (a proportional
    /// controller: the level is the integral of the pace's error, so leaning on the level alone settles it).
    /// </summary>
    private void Steer(double usedFraction)
    {
        if (refillInterval <= 0)
        {
            refillInterval = intervalSeconds;
        }

        refillInterval *= 1 + (Drift * (usedFraction - Target));
        // Past the target it leans four times as hard: the little left there is all that stands before a 429.
        var lean = Target - usedFraction;
        intervalSeconds = refillInterval / Math.Clamp(1 + (Gain * (lean < 0 ? 4 * lean : lean)), 0.5, 2);
    }

    /// <summary>An admitted request has its answer (or failed): its place in flight is free. True when a waiter was woken.</summary>
    public bool Completed()
    {
        lock (gate)
        {
            inFlight = Math.Max(0, inFlight - 1);

            // One waiter may take the place; one that gave up (canceled) passes it on.
            while (freed.First is { } next)
            {
                freed.RemoveFirst();
                if (next.Value.TrySetResult())
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>A waiter gave up: if a place was already handed to it, the next waiter gets it instead.</summary>
    private void GiveUpPlace(TaskCompletionSource waiter)
    {
        lock (gate)
        {
            if (freed.Remove(waiter))
            {
                return;
            }

            while (freed.First is { } next)
            {
                freed.RemoveFirst();
                if (next.Value.TrySetResult())
                {
                    return;
                }
            }
        }
    }

    /// <summary>Requests waiting for a place in flight (for tests that drive the pacer on a clock of their own).</summary>
    internal int WaitingForAPlace
    {
        get
        {
            lock (gate)
            {
                return freed.Count;
            }
        }
    }

    private void Admit()
    {
        admitted++;
        inFlight++;
    }

    /// <summary>How many may be in flight before the pace is known: a few at first, one more every <see cref="Widening"/> busy.</summary>
    private int InFlightLimit(DateTimeOffset now) =>
        busySince == DateTimeOffset.MinValue || now <= busySince
            ? StartInFlight
            : StartInFlight + (int)Math.Min(int.MaxValue - StartInFlight, (now - busySince) / Widening);

    /// <summary>
    /// A 429 asked this connection to wait <paramref name="retryAfter"/>, past a call's whole <paramref name="budget"/>.
    /// Nothing is paused: for up to one budget from now, a call that cannot outlast the wait fails at once
    /// (<see cref="RetryBudgetExceededException"/>) without sending, and one that can waits for it. After that, calls go
    /// out again and learn afresh from Graph's next answer.
    /// </summary>
    public void Refused(TimeSpan retryAfter, TimeSpan budget)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            var until = ResilienceHandler.Later(now, retryAfter);
            if (now >= refusalEnds || until > refusedUntil)
            {
                refusedUntil = until;
                refusalEnds = ResilienceHandler.Later(now, budget);
            }
        }
    }

    /// <summary>Waits until no pause is in force and, while pacing, for this request's slot.</summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken) => WaitAsync(DateTimeOffset.MaxValue, cancellationToken);

    /// <summary>
    /// Waits until no pause is in force and, while pacing, for this request's slot; throws
    /// <see cref="RetryBudgetExceededException"/> at once, without waiting, when Graph asked this connection to wait past
    /// <paramref name="deadline"/>.
    /// </summary>
    internal async ValueTask WaitAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = time.GetUtcNow();
            DateTimeOffset until;
            lock (gate)
            {
                until = pausedUntil;
                if (now < refusalEnds && refusedUntil > until)
                {
                    until = refusedUntil;
                }
            }

            if (until > deadline)
            {
                throw new RetryBudgetExceededException(until);
            }

            var remaining = until - now;
            if (remaining > TimeSpan.Zero)
            {
                // Task.Delay counts whole milliseconds: a shorter wait would return at once and spin here until the clock moved.
                await Task.Delay(remaining < OneMillisecond ? OneMillisecond : remaining, time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            TimeSpan wait;
            long pausesAtSlot;
            TaskCompletionSource? slotFreed = null;
            lock (gate)
            {
                now = time.GetUtcNow();
                if (intervalSeconds > 0 && now - lastThrottled > Forget)
                {
                    intervalSeconds = refillInterval = 0;
                    sentSeen = secondsSeen = 0;
                    admittedAtBurstStart = admitted;
                    busySince = DateTimeOffset.MinValue;
                }

                if (intervalSeconds <= 0)
                {
                    // Not paced yet: free, but with only so many in flight while nothing is known of the quota.
                    if (warned || inFlight < InFlightLimit(now))
                    {
                        Admit();
                        return;
                    }

                    // The tenant is busy from the first request held back: the quota was full then (the requests before
                    // were few), so the burst that empties it, and the first estimate of its rate, count from here.
                    if (busySince == DateTimeOffset.MinValue)
                    {
                        busySince = now;
                        admittedAtBurstStart = admitted - inFlight;
                    }

                    slotFreed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    freed.AddLast(slotFreed);
                    wait = TimeSpan.Zero;
                    pausesAtSlot = 0;
                }
                else
                {
                    (wait, pausesAtSlot) = TakeSlot(now);
                    if (wait <= TimeSpan.Zero)
                    {
                        return;
                    }
                }
            }

            if (slotFreed is not null)
            {
                try
                {
                    await slotFreed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    GiveUpPlace(slotFreed);
                    throw;
                }

                continue;
            }

            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            lock (gate)
            {
                // A 429 while we waited emptied the bucket and handed out the slots afresh: take a new one after it.
                if (pauses == pausesAtSlot)
                {
                    Admit();
                    return;
                }
            }
        }
    }

    /// <summary>This request's slot in the pace: admitted now (zero wait) or the wait until it.</summary>
    private (TimeSpan Wait, long Pauses) TakeSlot(DateTimeOffset now)
    {
        // A slot in the past is quota that refilled unused: taken at once, back to what the bucket holds.
        var credit = Math.Max(pauseCredit.TotalSeconds, capacity * intervalSeconds);
        var earliest = now - TimeSpan.FromSeconds(credit);
        var slot = nextSlot > earliest ? nextSlot : earliest;
        nextSlot = slot + TimeSpan.FromSeconds(intervalSeconds);
        var wait = slot - now;
        if (wait <= TimeSpan.Zero)
        {
            Admit();
            return (TimeSpan.Zero, pauses);
        }

        // Held back by the pace, not by a pause: ask a little more of the quota next time (where Graph sends no
        // warnings; where it does, they steer the pace instead), about 2 % more for every second held back.
        if (!warned)
        {
            intervalSeconds *= 1 - (ProbePerSecond * intervalSeconds);
        }

        return (wait, pauses);
    }
}

/// <summary>Graph asked the connection to wait until <see cref="Until"/>, past the call's retry budget.</summary>
internal sealed class RetryBudgetExceededException(DateTimeOffset until) : Exception("Graph asked to wait past the retry budget.")
{
    public DateTimeOffset Until { get; } = until;
}
