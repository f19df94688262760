namespace CasAdmin.Sandbox.Throttling;

/// <summary>
/// Remembers, per (app, tenant), every 429 still in force — when it was served and until when it told the client to
/// wait, whether it came from the buckets or from fault injection — to count <b>premature retries</b>: requests that
/// arrive before an advertised Retry-After time although they were sent after the client could have seen that 429.
/// A request arriving within the grace period after the 429 was served was already in flight (parallel requests, one of
/// them throttled) and no client could have held it back, so it does not count.
/// </summary>
internal sealed class RetryAfterLedger(TimeProvider time)
{
    /// <summary>Round trip allowance on top of the configured latency: a request sent before the 429 reached the client.</summary>
    public static readonly TimeSpan BaseGrace = TimeSpan.FromMilliseconds(250);

    // Small allowance for clock granularity; a client that waits the advertised time is never counted.
    private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(15);
    private const int MaxAdvertisements = 256;

    private readonly Lock _sync = new();

    // Per (app, tenant): the 429s still in force, by serving time, each asking to wait longer than the ones before it
    // (a later 429 asking for less adds nothing: every request premature under it is premature under the earlier one).
    private readonly Dictionary<(string App, string Tenant), List<(DateTimeOffset Served, DateTimeOffset Until)>> _adverts = new();

    // Per (app, tenant, client-request-id): until when that very request was told to wait.
    private readonly Dictionary<(string App, string Tenant, string Request), DateTimeOffset> _throttledRequests = new();
    private const int MaxThrottledRequests = 100_000;

    /// <summary>
    /// Records a 429 served at <paramref name="served"/> for the request <paramref name="clientRequestId"/> that told the
    /// client to wait until <paramref name="until"/>.
    /// </summary>
    public void Advertise(string appId, string tenantId, string clientRequestId, DateTimeOffset served, DateTimeOffset until)
    {
        var key = (appId.ToLowerInvariant(), tenantId.ToLowerInvariant());
        lock (_sync)
        {
            if (_throttledRequests.Count >= MaxThrottledRequests)
            {
                foreach (var expired in _throttledRequests.Where(kv => kv.Value <= served).Select(kv => kv.Key).ToList())
                {
                    _throttledRequests.Remove(expired);
                }
            }
            if (_throttledRequests.Count < MaxThrottledRequests)
            {
                _throttledRequests[(key.Item1, key.Item2, clientRequestId)] = until;
            }

            if (!_adverts.TryGetValue(key, out var list))
            {
                _adverts[key] = list = [];
            }

            list.RemoveAll(a => a.Until <= served);
            if (list.Count > 0 && list[^1].Until >= until)
            {
                return;
            }

            list.Add((served, until));
            if (list.Count > MaxAdvertisements)
            {
                list.RemoveAt(0);
            }
        }
    }

    /// <summary>
    /// True when a request arriving now is a premature retry: before the time a 429 advertised to this (app, tenant), and
    /// more than <paramref name="grace"/> after that 429 was served (see <see cref="Grace"/>).
    /// </summary>
    public bool IsPremature(string appId, string tenantId, TimeSpan grace)
    {
        var now = time.GetUtcNow();
        lock (_sync)
        {
            if (!_adverts.TryGetValue((appId.ToLowerInvariant(), tenantId.ToLowerInvariant()), out var list))
            {
                return false;
            }

            list.RemoveAll(a => a.Until <= now);
            foreach (var (served, until) in list)
            {
                if (now - served > grace && now + Tolerance < until)
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>True when this very request was throttled and is sent again before the time it was told to wait for.</summary>
    public bool IsPrematureResend(string appId, string tenantId, string clientRequestId)
    {
        var now = time.GetUtcNow();
        lock (_sync)
        {
            return _throttledRequests.TryGetValue((appId.ToLowerInvariant(), tenantId.ToLowerInvariant(), clientRequestId), out var until) && now + Tolerance < until;
        }
    }

    /// <summary>The grace for the current latency setting: 250 ms plus the fixed latency plus the jitter.</summary>
    public static TimeSpan Grace(LatencySettings latency) =>
        BaseGrace + TimeSpan.FromMilliseconds(Math.Max(0, latency.FixedMs) + Math.Max(0, latency.JitterMs));

    /// <summary>
    /// Retry-After as an HTTP date: whole seconds, rounded up, so a client waiting until the date always waited at least
    /// the required time.
    /// </summary>
    public static DateTimeOffset RetryAfterDate(DateTimeOffset now, int seconds)
    {
        var ticks = now.UtcTicks + seconds * TimeSpan.TicksPerSecond;
        var rest = ticks % TimeSpan.TicksPerSecond;
        if (rest != 0)
        {
            ticks += TimeSpan.TicksPerSecond - rest;
        }

        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    public void Clear()
    {
        lock (_sync)
        {
            _adverts.Clear();
            _throttledRequests.Clear();
        }
    }
}
