namespace CasAdmin.Engine.Resilience;

/// <summary>
/// A shared pause for every request of one connection (one app in one tenant, the scope Graph throttles).
/// When any request is told to wait, all of them wait until the same moment instead of stampeding: Graph
/// counts requests sent while throttled against the quota.
/// </summary>
public sealed class TenantPacer
{
    private readonly TimeProvider time;
    private readonly object gate = new();
    private DateTimeOffset pausedUntil = DateTimeOffset.MinValue;
    private long pauses;

    public TenantPacer(TimeProvider? timeProvider = null) => time = timeProvider ?? TimeProvider.System;

    /// <summary>How many times a pause was set or extended.</summary>
    public long Pauses => Interlocked.Read(ref pauses);

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

    /// <summary>Waits until no pause is in force; a pause extended while waiting is waited out too.</summary>
    public async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var remaining = PausedUntil - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            await Task.Delay(remaining, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
