using System.Data.Common;

namespace CasAdmin.Engine.Store;

/// <summary>
/// Which runner is removing accounts of a tenant through an app now. Graph throttles per app and tenant
/// (learn.microsoft.com/graph/throttling), and a Retry-After one process receives is unknown to the others: runners
/// sharing a registry that all sent to one tenant would each pace alone and together overrun its quota. A claim lets
/// them split the tenants instead. It is advisory: the job's lease, not the claim, decides who runs a job. Each call is
/// one transaction; the claim's end is judged by <see cref="LeaseClock"/>.
/// </summary>
internal sealed class TenantClaimRepository(RegistryStore store, TimeProvider? clock = null)
{
    private readonly TimeProvider clock = clock ?? TimeProvider.System;

    /// <summary>
    /// Claims the tenant's quota of the app for <paramref name="holder"/> unless another live runner holds it: free,
    /// expired, already ours, or held by a runner of this machine that is gone (<see cref="LeaseHolder.IsDeadOnThisMachine"/>).
    /// </summary>
    public Task<TenantClaim> ClaimAsync(string tenantId, string appId, string holder, TimeSpan duration, CancellationToken ct) =>
        store.WriteAsync(async (c, t, c2) =>
        {
            var now = clock.GetUtcNow();
            var until = LeaseClock.UntilExpression(c) ?? "$until";
            var parameters = new (string, object?)[] { ("$t", tenantId), ("$a", appId), ("$h", holder), ("$duration", duration), ("$until", (now + duration).Iso()), ("$now", now.Iso()) };

            // One statement in the usual case: insert, or take over an expired claim or our own, and say whether it is ours.
            var ours = await c.QueryAsync(t,
                $"""
                INSERT INTO tenant_claims (tenant_id, app_id, holder, expires) VALUES ($t, $a, $h, {until})
                ON CONFLICT (tenant_id, app_id) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
                WHERE tenant_claims.holder = excluded.holder OR tenant_claims.expires <= {LeaseClock.NowExpression(c)}
                RETURNING holder
                """, r => r.Text("holder"), c2, Used(c, parameters)).ConfigureAwait(false);
            if (ours.Count == 1)
            {
                return TenantClaim.Ours;
            }

            var held = await c.QueryAsync(t, "SELECT holder, expires FROM tenant_claims WHERE tenant_id = $t AND app_id = $a FOR UPDATE",
                r => (Holder: r.Text("holder")!, Expires: r.Time("expires")!.Value), c2, ("$t", tenantId), ("$a", appId)).ConfigureAwait(false);
            if (held.Count == 1 && LeaseHolder.IsDeadOnThisMachine(held[0].Holder))
            {
                // Its process is gone and will never let go: taken now, under the row lock, rather than after it expires.
                await c.ExecuteAsync(t, $"UPDATE tenant_claims SET holder = $h, expires = {until} WHERE tenant_id = $t AND app_id = $a AND holder = $old", c2,
                    [.. Used(c, parameters), ("$old", held[0].Holder)]).ConfigureAwait(false);
                return TenantClaim.TakenOver(held[0].Holder);
            }

            // Gone between the two statements (released): the next ask takes it.
            return held.Count == 1 ? TenantClaim.HeldBy(held[0].Holder, held[0].Expires) : TenantClaim.HeldBy("a runner that just let go", now);
        }, ct);

    /// <summary>The live claims of every holder but <paramref name="holder"/>: one read for all the tenants a waiting runner waits for.</summary>
    public Task<List<(string TenantId, string AppId, string Holder)>> HeldByOthersAsync(string holder, CancellationToken ct) =>
        store.ReadAsync((c, c2) => c.QueryAsync(null, $"SELECT tenant_id, app_id, holder FROM tenant_claims WHERE holder <> $h AND expires > {LeaseClock.NowExpression(c)}",
            r => (r.Text("tenant_id")!, r.Text("app_id")!, r.Text("holder")!), c2, Used(c, [("$h", holder), ("$now", clock.GetUtcNow().Iso())])), ct);

    /// <summary>Extends every claim of <paramref name="holder"/>; how many it still held.</summary>
    public Task<int> RenewAsync(string holder, TimeSpan duration, CancellationToken ct) =>
        store.WriteAsync((c, t, c2) => c.ExecuteAsync(t, $"UPDATE tenant_claims SET expires = {LeaseClock.UntilExpression(c) ?? "$until"} WHERE holder = $h", c2,
            Used(c, [("$h", holder), ("$duration", duration), ("$until", (clock.GetUtcNow() + duration).Iso())])), ct);

    /// <summary>Lets go of one tenant, if <paramref name="holder"/> still holds it; after Ctrl+C in one attempt only.</summary>
    public Task ReleaseAsync(string tenantId, string appId, string holder, CancellationToken userToken) =>
        store.WriteWindingDownAsync((c, t, c2) => c.ExecuteAsync(t, "DELETE FROM tenant_claims WHERE tenant_id = $t AND app_id = $a AND holder = $h", c2,
            ("$t", tenantId), ("$a", appId), ("$h", holder)), userToken);

    /// <summary>Lets go of every claim of <paramref name="holder"/>; after Ctrl+C in one attempt only (see <see cref="RegistryStore.WriteWindingDownAsync"/>).</summary>
    public Task ReleaseAllAsync(string holder, CancellationToken userToken) =>
        store.WriteWindingDownAsync((c, t, c2) => c.ExecuteAsync(t, "DELETE FROM tenant_claims WHERE holder = $h", c2, ("$h", holder)), userToken);

    /// <summary>The parameters the statement names on this store: the server's clock needs no times from here, SQLite no interval.</summary>
    private static (string, object?)[] Used(DbConnection c, (string Name, object? Value)[] parameters) =>
        c is Npgsql.NpgsqlConnection
            ? parameters.Where(p => p.Name is not ("$until" or "$now")).ToArray()
            : parameters.Where(p => p.Name != "$duration").ToArray();
}

/// <summary>What asking for a tenant came to.</summary>
/// <param name="IsOurs">The claim is ours now.</param>
/// <param name="Holder">Who holds it when it is not ours.</param>
/// <param name="Expires">Until when that holder's claim stands, unless renewed.</param>
/// <param name="TakenOverFrom">The runner of this machine whose process was gone and whose claim we took.</param>
internal sealed record TenantClaim(bool IsOurs, string? Holder, DateTimeOffset Expires, string? TakenOverFrom = null)
{
    public static readonly TenantClaim Ours = new(true, null, DateTimeOffset.MaxValue);

    public static TenantClaim HeldBy(string holder, DateTimeOffset expires) => new(false, holder, expires);

    public static TenantClaim TakenOver(string deadHolder) => new(true, null, DateTimeOffset.MaxValue, deadHolder);
}
