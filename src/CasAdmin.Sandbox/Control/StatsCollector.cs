namespace CasAdmin.Sandbox.Control;

/// <summary>Thread-safe statistics and a bounded timeline of everything except the control API.</summary>
internal sealed class StatsCollector(TimeProvider time)
{
    private const int TimelineCapacity = 200_000;
    private readonly Lock _sync = new();
    private StatsCounters _totals = new();
    private readonly Dictionary<string, StatsCounters> _endpoints = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), ClientStats> _clients = new();
    private readonly Queue<TimelineEntry> _timeline = new();
    private long _origin = time.GetTimestamp();

    public double ElapsedMs(long timestamp) => time.GetElapsedTime(_origin, timestamp).TotalMilliseconds;

    public void Record(RequestRecord r)
    {
        lock (_sync)
        {
            _totals.Add(r.Status, r.ResourceUnits, r.Writes, r.Premature, r.TokenRequest, r.Fault, r.DuplicateCreate, r.PrematureResend);
            if (!_endpoints.TryGetValue(r.Endpoint, out var e)) _endpoints[r.Endpoint] = e = new StatsCounters();
            e.Add(r.Status, r.ResourceUnits, r.Writes, r.Premature, r.TokenRequest, r.Fault, r.DuplicateCreate, r.PrematureResend);
            if (r.AppId is { } app && r.TenantId is { } tenant)
            {
                var key = (app.ToLowerInvariant(), tenant.ToLowerInvariant());
                if (!_clients.TryGetValue(key, out var c)) _clients[key] = c = new ClientStats { AppId = app, TenantId = tenant };
                c.Add(r.Status, r.ResourceUnits, r.Writes, r.Premature, r.TokenRequest, r.Fault, r.DuplicateCreate, r.PrematureResend);
            }
            if (_timeline.Count >= TimelineCapacity) _timeline.Dequeue();
            _timeline.Enqueue(new TimelineEntry(Math.Round(ElapsedMs(r.ArrivalTimestamp), 3), r.Method, r.Path, r.Status, r.ResourceUnits,
                Math.Round(r.BucketLevel, 3), r.AppId, r.TenantId, r.Premature));
        }
    }

    public SandboxStats Snapshot()
    {
        lock (_sync)
        {
            return new SandboxStats
            {
                Totals = _totals.CopyTo(new StatsCounters()),
                Endpoints = _endpoints.ToDictionary(kv => kv.Key, kv => kv.Value.CopyTo(new StatsCounters())),
                Clients = _clients.Values.Select(c => c.CopyTo(new ClientStats { AppId = c.AppId, TenantId = c.TenantId })).ToList(),
            };
        }
    }

    public List<TimelineEntry> Timeline()
    {
        lock (_sync) return [.. _timeline];
    }

    public void Clear()
    {
        lock (_sync)
        {
            _totals = new StatsCounters();
            _endpoints.Clear();
            _clients.Clear();
            _timeline.Clear();
            _origin = time.GetTimestamp();
        }
    }
}

/// <summary>What the pipeline reports for one request.</summary>
internal sealed record RequestRecord(
    long ArrivalTimestamp,
    string Method,
    string Path,
    string Endpoint,
    int Status,
    string? AppId,
    string? TenantId,
    int ResourceUnits = 0,
    int Writes = 0,
    bool Premature = false,
    bool TokenRequest = false,
    bool Fault = false,
    double BucketLevel = 0,
    bool DuplicateCreate = false,
    bool PrematureResend = false);
