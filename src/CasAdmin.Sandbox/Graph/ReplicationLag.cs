namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// Entra ID's eventual consistency (PUT /_sandbox/replication). Microsoft documents that a directory write is not at once
/// visible to the next call ("Designing for Eventual Consistency for Microsoft Entra", Identity blog, March 2026) but
/// gives no figures. So each new
/// application, service principal, client secret and app role assignment draws its own delay, uniform in (0, lagMs],
/// and so does each deleted application and service principal (it stays readable by id that long).
/// An object keeps its share of the bound and the bound it was created under; its delay is share × min(that bound, the
/// current one): lowering lagMs shortens every pending delay at once (0 ends them all), raising it does not hold back
/// objects created under a lower bound.
/// </summary>
internal sealed class ReplicationLag
{
    /// <summary>Real tenants show seconds to minutes; 10 s is enough to catch every read-after-write without slowing people down.</summary>
    public const int DefaultLagMs = 10_000;

    private int _lagMs = DefaultLagMs;

    public ReplicationLag(int lagMs = DefaultLagMs) => LagMs = lagMs;

    public int LagMs
    {
        get => Volatile.Read(ref _lagMs);
        set => Volatile.Write(ref _lagMs, Math.Max(0, value));
    }

    /// <summary>A new object's share of the bound: uniform in (0, 1]. Seeded objects keep 0 (replicated long ago).</summary>
    public static double Draw() => 1.0 - Random.Shared.NextDouble();

    /// <summary>True once the object's delay has passed since <paramref name="since"/> (its create, or its delete).</summary>
    public bool HasReplicated(DateTimeOffset since, double share, int boundMs, DateTimeOffset now)
    {
        var bound = Math.Min(LagMs, boundMs);
        return bound <= 0 || share <= 0 || (now - since).TotalMilliseconds >= share * bound;
    }
}
