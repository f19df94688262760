using System.Globalization;

namespace CasAdmin.Sandbox.Throttling;

/// <summary>Outcome of charging one request against every bucket that applies to it.</summary>
internal sealed record ThrottleDecision(
    bool Allowed,
    int ResourceUnits,
    int Writes,
    int RetryAfterSeconds,
    string? Scope,
    string? Information,
    double? LimitPercentage,
    double BucketLevel);

/// <summary>
/// Graph's documented limits (learn.microsoft.com/graph/throttling-limits) as token buckets, each capacity and refill rate multiplied by the scale.
/// One lock: a decision must charge several buckets atomically, and the work under it is tiny.
/// </summary>
internal sealed class Throttler(TimeProvider time)
{
    private readonly Lock _sync = new();
    private readonly Dictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private bool _enabled = true;
    private double _scale = 1.0;
    private RetryAfterMode _mode = RetryAfterMode.Seconds;

    public bool Enabled { get { lock (_sync) { return _enabled; } } }
    public double Scale { get { lock (_sync) { return _scale; } } }
    public RetryAfterMode Mode { get { lock (_sync) { return _mode; } } }

    public void Configure(bool? enabled, double? scale, RetryAfterMode? mode)
    {
        if (scale is <= 0 or double.NaN)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), "Scale must be positive.");
        }

        lock (_sync)
        {
            _enabled = enabled ?? _enabled;
            _scale = scale ?? _scale;
            _mode = mode ?? _mode;
            _buckets.Clear(); // new limits start from full buckets
        }
    }

    public void Reset(double scale)
    {
        lock (_sync)
        {
            _enabled = true;
            _scale = scale;
            _mode = RetryAfterMode.Seconds;
            _buckets.Clear();
        }
    }

    /// <summary>Resource units per 10 s per app per tenant by tenant size.</summary>
    public static int ResourceUnitLimit(int tenantUsers) => tenantUsers < 50 ? 3_500 : tenantUsers <= 500 ? 5_000 : 8_000;

    public ThrottleDecision Charge(string appId, string tenantId, int tenantUsers, RequestCost cost, IReadOnlyDictionary<string, string> query)
    {
        var ru = cost.ResourceUnits(query);
        var writes = cost.IsWrite ? 1 : 0;
        if (cost.Family == BucketFamily.None)
        {
            return new ThrottleDecision(true, 0, 0, 0, null, null, null, 0);
        }

        var now = time.GetTimestamp();
        var tps = time.TimestampFrequency;
        lock (_sync)
        {
            if (!_enabled)
            {
                return new ThrottleDecision(true, ru, writes, 0, null, null, null, 0);
            }

            // (bucket, amount, scope, information) for every limit this request counts against.
            var charges = new List<(TokenBucket Bucket, double Amount, string Scope, string Info)>(6);
            TokenBucket? primary;
            switch (cost.Family)
            {
                case BucketFamily.Teams:
                case BucketFamily.TeamsGetAllMessages:
                    var rps = cost.Family == BucketFamily.Teams ? 30 : 200;
                    primary = Bucket($"teams{(int)cost.Family}|{appId}|{tenantId}", rps, 1, now);
                    charges.Add((primary, 1, $"Tenant_Application/Read/{appId}/{tenantId}", "RequestLimitExceeded"));
                    break;
                default:
                    primary = Bucket($"ru|{appId}|{tenantId}", ResourceUnitLimit(tenantUsers), 10, now);
                    charges.Add((primary, ru, $"Tenant_Application/ReadWrite/{appId}/{tenantId}", "ResourceUnitLimitExceeded"));
                    charges.Add((Bucket($"ru|{appId}", 150_000, 20, now), ru, $"Application/ReadWrite/{appId}", "ResourceUnitLimitExceeded"));
                    if (writes > 0)
                    {
                        charges.Add((Bucket($"w|{appId}|{tenantId}", 3_000, 150, now), 1, $"Tenant_Application/Write/{appId}/{tenantId}", "WriteLimitExceeded"));
                        charges.Add((Bucket($"w|{tenantId}", 18_000, 300, now), 1, $"Tenant/Write/{tenantId}", "WriteLimitExceeded"));
                        charges.Add((Bucket($"w|{appId}", 70_000, 300, now), 1, $"Application/Write/{appId}", "WriteLimitExceeded"));
                    }
                    break;
            }
            charges.Add((Bucket($"req|{appId}", 130_000, 10, now), 1, $"Application/ReadWrite/{appId}", "RequestLimitExceeded"));

            double wait = 0;
            string? scope = null, info = null;
            foreach (var (bucket, amount, s, i) in charges)
            {
                bucket.Refill(now, tps);
                var w = bucket.SecondsUntilFits(amount);
                if (w > wait) { wait = w; scope = s; info = i; }
            }
            double maxUsed = 0;
            foreach (var (bucket, amount, _, _) in charges)
            {
                bucket.Consume(amount); // throttled requests are charged too
                maxUsed = Math.Max(maxUsed, bucket.UsedFraction);
            }
            if (wait > 0)
            {
                // Recompute after charging: the advertised time is when the *next* request of this cost fits.
                var after = charges.Max(c => c.Bucket.SecondsUntilFits(c.Amount));
                var seconds = (int)Math.Max(1, Math.Ceiling(after));
                return new ThrottleDecision(false, ru, writes, seconds, scope, info, null, primary.Level);
            }
            // Graph sends the share only above 0.8, from 0.8 to 1.8, and only on identity and access answers (RequestCost.ReportsQuota).
            double? pct = cost.ReportsQuota && maxUsed > 0.8 ? Math.Round(Math.Min(maxUsed, 1.8), 2) : null;
            return new ThrottleDecision(true, ru, writes, 0, null, null, pct, primary.Level);
        }
    }

    private TokenBucket Bucket(string key, double limit, double windowSeconds, long now)
    {
        if (!_buckets.TryGetValue(key, out var b))
        {
            var capacity = Math.Max(1, limit * _scale);
            b = new TokenBucket(capacity, capacity / windowSeconds, now);
            _buckets[key] = b;
        }
        return b;
    }

    public static string FormatPercentage(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
