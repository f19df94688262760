using System.Collections.Concurrent;

namespace CasAdmin.Sandbox.Throttling;

/// <summary>
/// Remembers, per (app, tenant), until when the last 429 told the client to wait — whether the 429 came from the
/// buckets or from fault injection — so a request arriving earlier is counted as a premature retry.
/// </summary>
internal sealed class RetryAfterLedger(TimeProvider time)
{
    // Small allowance for clock granularity; a client that waits the advertised time is never counted.
    private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(15);
    private readonly ConcurrentDictionary<(string App, string Tenant), DateTimeOffset> _until = new();

    public void Advertise(string appId, string tenantId, DateTimeOffset until) =>
        _until.AddOrUpdate((appId, tenantId), until, (_, old) => until > old ? until : old);

    /// <summary>True when this arrival is before the advertised time (a premature retry).</summary>
    public bool IsPremature(string appId, string tenantId) =>
        _until.TryGetValue((appId, tenantId), out var until) && time.GetUtcNow() + Tolerance < until;

    public void Clear() => _until.Clear();
}
