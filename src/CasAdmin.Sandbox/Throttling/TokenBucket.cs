namespace CasAdmin.Sandbox.Throttling;

/// <summary>
/// A token bucket whose level may go negative: requests that arrive while throttled still consume quota
/// (Graph counts them), down to one bucket's worth of debt.
/// </summary>
internal sealed class TokenBucket(double capacity, double refillPerSecond, long nowTicks)
{
    private long _lastTicks = nowTicks;

    public double Capacity { get; } = capacity;
    public double RefillPerSecond { get; } = refillPerSecond;
    public double Level { get; private set; } = capacity;

    public void Refill(long nowTicks, long ticksPerSecond)
    {
        if (nowTicks <= _lastTicks)
        {
            return;
        }

        Level = Math.Min(Capacity, Level + (nowTicks - _lastTicks) * RefillPerSecond / ticksPerSecond);
        _lastTicks = nowTicks;
    }

    /// <summary>A cost larger than the bucket is clamped to the bucket so a very small scale still lets work through.</summary>
    public double Effective(double cost) => Math.Min(cost, Capacity);

    public bool Fits(double cost) => Level >= Effective(cost);

    public void Consume(double cost) => Level = Math.Max(-Capacity, Level - Effective(cost));

    /// <summary>Seconds until a request of this cost fits, assuming no other traffic.</summary>
    public double SecondsUntilFits(double cost) => Fits(cost) ? 0 : (Effective(cost) - Level) / RefillPerSecond;

    /// <summary>Fraction of the limit used (0.0–2.0); Graph reports it above 0.8.</summary>
    public double UsedFraction => (Capacity - Level) / Capacity;
}
