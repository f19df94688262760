using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Resilience;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>
/// Hands each free worker the next account of the tenant that can use it best: one not paused by Graph
/// throttling, with the fewest jobs running, never more than its share. A worker then never waits out one
/// tenant's 429 while another tenant's quota sits unused; the tenants' own quotas are what bulk removal spends.
/// </summary>
internal sealed class TenantScheduler
{
    private readonly object gate = new();
    private readonly List<Lane> lanes;
    private readonly Dictionary<int, Lane> laneOf = [];
    private readonly int perTenant;
    private long taken;

    public TenantScheduler(IReadOnlyList<RemovalTarget> targets, int throttleLimit)
    {
        lanes = Enumerable.Range(0, targets.Count)
            .GroupBy(i => targets[i].Connection.TenantId, StringComparer.OrdinalIgnoreCase)
            // Paced by the connection the steps really use: -AdminConnection's when given (its app's quota in the tenant).
            .Select(g => new Lane(new Queue<int>(g), (targets[g.First()].AdminConnection ?? targets[g.First()].Connection).Context.Graph.Pacer))
            .ToList();
        foreach (var lane in lanes)
        {
            foreach (var i in lane.Pending)
            {
                laneOf[i] = lane;
            }
        }

        perTenant = Math.Max(1, (int)Math.Ceiling(throttleLimit / (double)Math.Max(1, lanes.Count)));
    }

    public bool TryTake(out int index)
    {
        lock (gate)
        {
            var now = DateTimeOffset.UtcNow;
            var lane = lanes.Where(l => l.Pending.Count > 0 && l.Running < perTenant)
                .OrderBy(l => l.Pacer.PausedUntil > now)
                .ThenBy(l => l.Running)
                .ThenBy(l => l.LastTaken)
                .FirstOrDefault()
                ?? lanes.Where(l => l.Pending.Count > 0).OrderBy(l => l.Running).FirstOrDefault();
            if (lane is null)
            {
                index = -1;
                return false;
            }

            // Round-robin among equals, so one tenant's jobs do not run back to back into its own throttling.
            lane.Running++;
            lane.LastTaken = ++taken;
            index = lane.Pending.Dequeue();
            return true;
        }
    }

    public void Done(int index)
    {
        lock (gate)
        {
            laneOf[index].Running--;
        }
    }

    private sealed class Lane(Queue<int> pending, TenantPacer pacer)
    {
        public Queue<int> Pending { get; } = pending;

        public TenantPacer Pacer { get; } = pacer;

        public int Running { get; set; }

        public long LastTaken { get; set; }
    }
}
