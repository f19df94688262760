using CasAdmin.Engine.Resilience;

namespace CasAdmin.Engine.Tests.Unit;

/// <summary>
/// A discrete-event simulation of one connection against one Graph quota, on a clock of its own: parallel workers each
/// send a request through the <see cref="TenantPacer"/>, it reaches a token bucket (Graph's rules as the sandbox
/// models them: throttled requests charged too, Retry-After in whole seconds, at least 1) after half a round trip, and
/// its answer comes back after the other half. A 429 is handled as <see cref="ResilienceHandler"/> does: the pacer is
/// told, and the request is sent again after Retry-After plus the handler's margin. Nothing depends on the machine's
/// speed: the clock only moves from one event to the next.
/// </summary>
internal sealed class PacerSimulation
{
    private static readonly TimeSpan RetryAfterMargin = TimeSpan.FromMilliseconds(50);

    public required int Workers { get; init; }

    public required int Requests { get; init; }

    public required double Capacity { get; init; }

    public required double RefillPerSecond { get; init; }

    public required TimeSpan RoundTrip { get; init; }

    /// <summary>Up to this much more per round trip, spread evenly (deterministic).</summary>
    public TimeSpan RoundTripJitter { get; init; }

    /// <summary>Graph's warning: when set, answers carry the used share from 0.8 up, as identity and access calls do.</summary>
    public bool Warnings { get; init; }

    public sealed record Outcome(int Sent, int Throttled, double Seconds, double IdealSeconds)
    {
        /// <summary>Every arrival: seconds since the first, whether it fitted, the bucket's level after it.</summary>
        public List<(double At, bool Ok, double Level)> Arrivals { get; } = [];

        /// <summary>Tenths of a second: requests, 429s and the bucket's level, to see where the quota went unused.</summary>
        public IEnumerable<string> Tenths() => Arrivals.GroupBy(a => (int)(a.At * 10)).Select(g => FormattableString.Invariant(
            $"@{g.Key / 10.0,5:0.0}s requests={g.Count(),3} 429s={g.Count(a => !a.Ok)} level {g.Min(a => a.Level),4:0}..{g.Max(a => a.Level),4:0}"));

        public double Eta => IdealSeconds / Seconds;

        public override string ToString() => FormattableString.Invariant($"eta={Eta:0.000} sent={Sent} 429s={Throttled} T={Seconds:0.00}s T_ideal={IdealSeconds:0.00}s");
    }

    public Outcome Run()
    {
        var clock = new EventClock();
        var pacer = new TenantPacer(clock);
        var level = Capacity;
        var levelAt = clock.GetUtcNow();
        var workers = Enumerable.Range(0, Workers).Select(i => new Worker(i)).ToArray();
        var remaining = Requests;
        var sent = 0;
        var throttled = 0;
        var jitterStep = 0;
        DateTimeOffset? first = null;
        var last = DateTimeOffset.MinValue;
        var arrivals = new List<(double At, bool Ok, double Level)>();

        TimeSpan Half()
        {
            var jitter = RoundTripJitter.Ticks == 0 ? 0 : RoundTripJitter.Ticks * (jitterStep++ * 7 % 11) / 10;
            return TimeSpan.FromTicks((RoundTrip.Ticks + jitter) / 2);
        }

        void Refill()
        {
            var now = clock.GetUtcNow();
            level = Math.Min(Capacity, level + ((now - levelAt).TotalSeconds * RefillPerSecond));
            levelAt = now;
        }

        void Ask(Worker w)
        {
            w.Wait = pacer.WaitAsync(CancellationToken.None);
            w.State = State.Pacing;
        }

        foreach (var w in workers)
        {
            if (remaining-- > 0)
            {
                Ask(w);
            }
            else
            {
                w.State = State.Done;
            }
        }

        var guard = 0;
        while (workers.Any(w => w.State != State.Done))
        {
            if (++guard > 10_000_000)
            {
                throw new InvalidOperationException("the simulation does not end");
            }

            // Everyone the pacer let through is sent now.
            var progressed = false;
            foreach (var w in workers.Where(w => w.State == State.Pacing && w.Wait.IsCompleted))
            {
                w.Wait.GetAwaiter().GetResult();
                w.State = State.InFlight;
                w.ArrivesAt = clock.GetUtcNow() + Half();
                progressed = true;
            }

            if (progressed)
            {
                continue;
            }

            // Otherwise the clock moves to the next event: an arrival, an answer, the end of a backoff or a pacer's timer.
            var next = workers.Where(w => w.State is State.InFlight or State.Answering or State.Backoff).Select(w => w.State switch
            {
                State.InFlight => w.ArrivesAt,
                State.Answering => w.AnswersAt,
                _ => w.RetryAt,
            }).Append(clock.NextDue ?? DateTimeOffset.MaxValue).Min();
            if (next == DateTimeOffset.MaxValue)
            {
                if (!clock.Settle(() => workers.Any(w => w.State == State.Pacing && w.Wait.IsCompleted)))
                {
                    throw new InvalidOperationException("nothing left to happen, and the pacer holds every worker");
                }

                continue;
            }

            if (next > clock.GetUtcNow())
            {
                clock.MoveTo(next);
            }

            var now = clock.GetUtcNow();
            foreach (var w in workers)
            {
                if (w.State == State.InFlight && w.ArrivesAt <= now)
                {
                    // Graph's bucket: a request that does not fit is charged anyway, down to one bucket of debt.
                    Refill();
                    sent++;
                    first ??= now;
                    last = now;
                    w.Ok = level >= 1;
                    level = Math.Max(-Capacity, level - 1);
                    if (!w.Ok)
                    {
                        throttled++;
                        w.RetryAfter = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling((1 - level) / RefillPerSecond)));
                    }

                    w.Used = 1 - (level / Capacity);
                    arrivals.Add(((now - first.Value).TotalSeconds, w.Ok, level));
                    w.State = State.Answering;
                    w.AnswersAt = now + Half();
                }
                else if (w.State == State.Answering && w.AnswersAt <= now)
                {
                    var queued = pacer.WaitingForAPlace;
                    var timers = clock.Created;
                    var ready = workers.Count(x => x.State == State.Pacing && x.Wait.IsCompleted);
                    if (pacer.Completed())
                    {
                        // The woken request runs on the thread pool: it is admitted, or waits again (a timer, or back in the queue).
                        clock.Settle(() => workers.Count(x => x.State == State.Pacing && x.Wait.IsCompleted) > ready
                            || clock.Created != timers || pacer.WaitingForAPlace >= queued);
                    }
                    if (w.Ok)
                    {
                        if (Warnings && w.Used >= 0.8)
                        {
                            pacer.NearLimit(Math.Min(1.8, w.Used));
                        }
                        else if (Warnings)
                        {
                            pacer.Unhindered();
                        }

                        if (remaining-- > 0)
                        {
                            Ask(w);
                        }
                        else
                        {
                            w.State = State.Done;
                        }
                    }
                    else
                    {
                        var delay = w.RetryAfter + RetryAfterMargin;
                        pacer.Throttled(delay);
                        w.State = State.Backoff;
                        w.RetryAt = now + delay;
                    }
                }
                else if (w.State == State.Backoff && w.RetryAt <= now)
                {
                    Ask(w);
                }
            }

            clock.FireDue(() => workers.Any(w => w.State == State.Pacing && w.Wait.IsCompleted));
        }

        var ideal = Math.Max(0, (Requests - Capacity) / RefillPerSecond);
        var outcome = new Outcome(sent, throttled, (last - first!.Value).TotalSeconds, ideal);
        outcome.Arrivals.AddRange(arrivals);
        return outcome;
    }

    private enum State
    {
        Pacing,
        InFlight,
        Answering,
        Backoff,
        Done,
    }

    private sealed class Worker(int id)
    {
        public int Id { get; } = id;

        public State State { get; set; }

        public ValueTask Wait { get; set; }

        public DateTimeOffset ArrivesAt { get; set; }

        public DateTimeOffset AnswersAt { get; set; }

        public DateTimeOffset RetryAt { get; set; }

        public TimeSpan RetryAfter { get; set; }

        public bool Ok { get; set; }

        public double Used { get; set; }
    }

    /// <summary>A clock that moves only when told, and runs the timers that fall due (the pacer's Task.Delay).</summary>
    private sealed class EventClock : TimeProvider
    {
        private readonly object gate = new();
        private readonly List<Timer> timers = [];
        private DateTimeOffset now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        private int created;

        public override DateTimeOffset GetUtcNow()
        {
            lock (gate)
            {
                return now;
            }
        }

        public override long GetTimestamp() => GetUtcNow().UtcTicks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public int Created => Volatile.Read(ref created);

        public DateTimeOffset? NextDue
        {
            get
            {
                lock (gate)
                {
                    return timers.Count == 0 ? null : timers.Min(t => t.Due);
                }
            }
        }

        public void MoveTo(DateTimeOffset to)
        {
            lock (gate)
            {
                now = to;
            }
        }

        /// <summary>Fires every timer due now; each continuation runs on the thread pool, so wait until it has settled.</summary>
        public void FireDue(Func<bool> admitted)
        {
            while (true)
            {
                Timer? due;
                lock (gate)
                {
                    due = timers.Where(t => t.Due <= now).OrderBy(t => t.Due).FirstOrDefault();
                    if (due is null)
                    {
                        return;
                    }

                    timers.Remove(due);
                }

                var before = Volatile.Read(ref created);
                due.Callback(due.State);
                Settle(() => admitted() || Volatile.Read(ref created) != before);
            }
        }

        /// <summary>Waits (in real time, bounded) until the code the clock released has either finished or waits again.</summary>
        public bool Settle(Func<bool> done) => SpinWait.SpinUntil(done, TimeSpan.FromSeconds(10));

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new Timer(this, callback, state);
            timer.Change(dueTime, period);
            Interlocked.Increment(ref created);
            return timer;
        }

        private sealed class Timer(EventClock clock, TimerCallback callback, object? state) : ITimer
        {
            public TimerCallback Callback { get; } = callback;

            public object? State { get; } = state;

            public DateTimeOffset Due { get; private set; }

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                lock (clock.gate)
                {
                    clock.timers.Remove(this);
                    if (dueTime != Timeout.InfiniteTimeSpan)
                    {
                        Due = clock.now + dueTime;
                        clock.timers.Add(this);
                    }
                }

                return true;
            }

            public void Dispose()
            {
                lock (clock.gate)
                {
                    clock.timers.Remove(this);
                }
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return default;
            }
        }
    }
}
