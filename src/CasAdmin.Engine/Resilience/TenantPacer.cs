namespace CasAdmin.Engine.Resilience;

/// <summary>
/// Paces every request of one connection (one app in one tenant, the scope Graph throttles). When any request
/// is told to wait, all of them wait until the same moment instead of stampeding: Graph counts requests sent
/// while throttled against the quota. After a 429 it also learns the rate the tenant's quota refills at (the
/// requests it got through between two 429s, over that time) and spaces requests to it, so bulk work runs at
/// the limit instead of bursting into the next 429 and sitting out a whole-second Retry-After.
/// </summary>
public sealed class TenantPacer
{
    // The measured rate, as measured: the probe below finds any headroom.
    private const double Headroom = 1.0;

    // Each paced request asks for a slightly shorter interval, so the rate climbs back up to the limit after an
    // underestimate (about 3 % a second at 10 requests a second); the next 429 measures again.
    private const double Probe = 0.997;

    // Without a 429 for this long the tenant is no longer busy: pacing stops until the next one.
    private static readonly TimeSpan Forget = TimeSpan.FromSeconds(30);

    private readonly TimeProvider time;
    private readonly object gate = new();
    private DateTimeOffset pausedUntil = DateTimeOffset.MinValue;
    private long pauses;
    private double intervalSeconds;
    private DateTimeOffset nextSlot = DateTimeOffset.MinValue;
    private DateTimeOffset windowStart = DateTimeOffset.MinValue;
    private DateTimeOffset lastThrottled = DateTimeOffset.MinValue;
    private long admitted;
    private long admittedAtWindowStart;

    public TenantPacer(TimeProvider? timeProvider = null) => time = timeProvider ?? TimeProvider.System;

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
                pausedUntil = until;
                pauses++;
            }
        }
    }

    /// <summary>
    /// A 429 told this connection to wait <paramref name="retryAfter"/>: pause everyone until then, and learn the
    /// refill rate from the requests admitted since the previous 429 (over that span plus this wait).
    /// </summary>
    public void Throttled(TimeSpan retryAfter)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            if (windowStart != DateTimeOffset.MinValue)
            {
                var sent = admitted - admittedAtWindowStart;
                var span = (now - windowStart + retryAfter).TotalSeconds;
                if (sent >= 4 && span > 0)
                {
                    intervalSeconds = 1 / (sent / span * Headroom);
                }
            }

            lastThrottled = now;
            windowStart = now + retryAfter;
            admittedAtWindowStart = admitted;
        }

        PauseUntil(now + retryAfter);
    }

    /// <summary>Waits until no pause is in force and, while pacing, for this request's slot.</summary>
    public async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        var slotTaken = false;
        while (true)
        {
            var remaining = PausedUntil - time.GetUtcNow();
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining, time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (slotTaken)
            {
                // A 429 may have paused everyone while we waited for our slot: checked again above.
                return;
            }

            TimeSpan wait;
            lock (gate)
            {
                var now = time.GetUtcNow();
                admitted++;
                slotTaken = true;
                if (intervalSeconds <= 0 || now - lastThrottled > Forget)
                {
                    intervalSeconds = 0;
                    return;
                }

                var slot = nextSlot > now ? nextSlot : now;
                nextSlot = slot + TimeSpan.FromSeconds(intervalSeconds);
                intervalSeconds *= Probe;
                wait = slot - now;
            }

            if (wait <= TimeSpan.Zero)
            {
                return;
            }

            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
