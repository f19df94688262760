using System.Security.Cryptography;
using System.Text;

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

    // Exactly-once bookkeeping, per object (tenant + path): who deleted it, and which writes it took (with which body).
    private readonly Dictionary<string, string> _deletedBy = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _writtenBy = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Tenant, string Method, string Path), long> _repeated = new();
    private long _origin = time.GetTimestamp();

    public double ElapsedMs(long timestamp) => time.GetElapsedTime(_origin, timestamp).TotalMilliseconds;

    public void Record(RequestRecord r)
    {
        lock (_sync)
        {
            var (repeatedDelete, repeatedWrite) = Repeats(r);
            _totals.Add(r.Status, r.ResourceUnits, r.Writes, r.Premature, r.TokenRequest, r.Fault, r.DuplicateCreate, r.PrematureResend, repeatedDelete, repeatedWrite);
            if (!_endpoints.TryGetValue(r.Endpoint, out var e))
            {
                _endpoints[r.Endpoint] = e = new StatsCounters();
            }

            e.Add(r.Status, r.ResourceUnits, r.Writes, r.Premature, r.TokenRequest, r.Fault, r.DuplicateCreate, r.PrematureResend, repeatedDelete, repeatedWrite);
            if (r.AppId is { } app && r.TenantId is { } tenant)
            {
                var key = (app.ToLowerInvariant(), tenant.ToLowerInvariant());
                if (!_clients.TryGetValue(key, out var c))
                {
                    _clients[key] = c = new ClientStats { AppId = app, TenantId = tenant };
                }

                c.Add(r.Status, r.ResourceUnits, r.Writes, r.Premature, r.TokenRequest, r.Fault, r.DuplicateCreate, r.PrematureResend, repeatedDelete, repeatedWrite);
            }
            if (_timeline.Count >= TimelineCapacity)
            {
                _timeline.Dequeue();
            }

            _timeline.Enqueue(new TimelineEntry(Math.Round(ElapsedMs(r.ArrivalTimestamp), 3), r.Method, r.Path, r.Status, r.ResourceUnits,
                Math.Round(r.BucketLevel, 3), r.AppId, r.TenantId, r.Premature));
        }
    }

    /// <summary>
    /// Whether a request the handler answered repeats, as a new request, a delete or a write the object already took.
    /// A request is told apart from a resend of itself by its client-request-id, which Graph clients keep on retries.
    /// </summary>
    private (bool Delete, bool Write) Repeats(RequestRecord r)
    {
        if (r.HandledStatus is not int handled || r.TenantId is not { } tenant || r.ClientRequestId is not { } requestId)
        {
            return (false, false);
        }

        var method = r.Method.ToUpperInvariant();
        var path = r.Path.TrimEnd('/');
        var target = tenant.ToLowerInvariant() + " " + path.ToLowerInvariant();
        var ok = handled is >= 200 and < 300;
        if (method == "DELETE")
        {
            if (ok)
            {
                _deletedBy.TryAdd(target, requestId);
                return (false, false);
            }

            if (handled == 404 && _deletedBy.TryGetValue(target, out var first) && first != requestId)
            {
                Count(tenant, method, path);
                return (true, false);
            }

            return (false, false);
        }

        if (!ok || method is not ("POST" or "PATCH" or "PUT") || path.EndsWith("/$batch", StringComparison.Ordinal))
        {
            return (false, false);
        }

        var write = method + " " + target + " " + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(r.Body ?? "")));
        if (_writtenBy.TryAdd(write, requestId) || _writtenBy[write] == requestId)
        {
            return (false, false);
        }

        Count(tenant, method, path);
        return (false, true);
    }

    private void Count(string tenant, string method, string path)
    {
        var key = (tenant, method, path);
        _repeated[key] = _repeated.GetValueOrDefault(key) + 1;
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
                Repeated = _repeated.Select(kv => new RepeatedObject { TenantId = kv.Key.Tenant, Method = kv.Key.Method, Path = kv.Key.Path, Repeats = kv.Value }).ToList(),
            };
        }
    }

    public List<TimelineEntry> Timeline()
    {
        lock (_sync)
        {
            return [.. _timeline];
        }
    }

    public void Clear()
    {
        lock (_sync)
        {
            _totals = new StatsCounters();
            _endpoints.Clear();
            _clients.Clear();
            _timeline.Clear();
            _deletedBy.Clear();
            _writtenBy.Clear();
            _repeated.Clear();
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
    bool PrematureResend = false,
    string? ClientRequestId = null,
    int? HandledStatus = null,
    string? Body = null);
