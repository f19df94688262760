using CasAdmin.Engine.Store;
using Microsoft.Extensions.Time.Testing;

namespace CasAdmin.Engine.Tests.Store;

/// <summary>Runners sharing a registry split the tenants: one live holder per app and tenant, on both stores.</summary>
[Collection(PostgresCollection.Name)]
public sealed class TenantClaimTests(PostgresFixture postgres) : IDisposable
{
    private const string A = "host-a/pid 1/00000000000000000000000000000001/00000001";
    private const string B = "host-b/pid 2/00000000000000000000000000000002/00000002";
    private static readonly TimeSpan Duration = TimeSpan.FromMinutes(2);
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    public static TheoryData<string> Stores => new() { "sqlite", "postgres" };

    private async Task<RegistryStore> NewStoreAsync(string kind) =>
        RegistryStore.Open(kind == "sqlite" ? folder.File(Guid.NewGuid().ToString("N") + ".db") : postgres.Cluster.ConnectionString(await postgres.Cluster.CreateDatabaseAsync()));

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task OneLiveHolderPerAppAndTenant_AnotherAppOrTenantIsFree_AndALetGoTenantIsTaken(string kind)
    {
        var claims = new TenantClaimRepository(await NewStoreAsync(kind));
        var tenant = Guid.NewGuid().ToString();

        Assert.True((await claims.ClaimAsync(tenant, "app-1", A, Duration, CancellationToken.None)).IsOurs);
        var refused = await claims.ClaimAsync(tenant, "app-1", B, Duration, CancellationToken.None);
        Assert.False(refused.IsOurs);
        Assert.Equal(A, refused.Holder);
        Assert.True(refused.Expires > DateTimeOffset.UtcNow + Duration / 2);

        // Graph's quota is per app and tenant: another app, or another tenant, is another quota.
        Assert.True((await claims.ClaimAsync(tenant, "app-2", B, Duration, CancellationToken.None)).IsOurs);
        Assert.True((await claims.ClaimAsync(Guid.NewGuid().ToString(), "app-1", B, Duration, CancellationToken.None)).IsOurs);

        // Asking again for one's own is a renewal, not a refusal.
        Assert.True((await claims.ClaimAsync(tenant, "app-1", A, Duration, CancellationToken.None)).IsOurs);

        // Only the holder lets go.
        await claims.ReleaseAsync(tenant, "app-1", B, CancellationToken.None);
        Assert.False((await claims.ClaimAsync(tenant, "app-1", B, Duration, CancellationToken.None)).IsOurs);
        await claims.ReleaseAsync(tenant, "app-1", A, CancellationToken.None);
        Assert.True((await claims.ClaimAsync(tenant, "app-1", B, Duration, CancellationToken.None)).IsOurs);
        Assert.False((await claims.ClaimAsync(tenant, "app-1", A, Duration, CancellationToken.None)).IsOurs);

        await claims.ReleaseAllAsync(B, CancellationToken.None);
        Assert.True((await claims.ClaimAsync(tenant, "app-2", A, Duration, CancellationToken.None)).IsOurs);
    }

    [Fact]
    public async Task AClaimNotRenewed_Expires_AndRenewingKeepsIt()
    {
        // SQLite judges by this machine's clock, which the test moves (PostgreSQL's is the server's).
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var claims = new TenantClaimRepository(await NewStoreAsync("sqlite"), clock);
        var tenant = Guid.NewGuid().ToString();
        Assert.True((await claims.ClaimAsync(tenant, "app", A, Duration, CancellationToken.None)).IsOurs);

        clock.Advance(Duration - TimeSpan.FromSeconds(1));
        Assert.Equal(1, await claims.RenewAsync(A, Duration, CancellationToken.None));
        clock.Advance(Duration - TimeSpan.FromSeconds(1));
        Assert.False((await claims.ClaimAsync(tenant, "app", B, Duration, CancellationToken.None)).IsOurs);

        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True((await claims.ClaimAsync(tenant, "app", B, Duration, CancellationToken.None)).IsOurs);
        Assert.Equal(0, await claims.RenewAsync(A, Duration, CancellationToken.None));
    }

    [Fact]
    public async Task ThePostgresClaim_IsJudgedByTheServersClock()
    {
        // A runner whose own clock is far ahead would see every claim as expired if its clock judged them.
        var ahead = new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromDays(1));
        var store = await NewStoreAsync("postgres");
        var tenant = Guid.NewGuid().ToString();
        Assert.True((await new TenantClaimRepository(store).ClaimAsync(tenant, "app", A, Duration, CancellationToken.None)).IsOurs);

        var refused = await new TenantClaimRepository(store, ahead).ClaimAsync(tenant, "app", B, Duration, CancellationToken.None);

        Assert.False(refused.IsOurs);
        Assert.InRange(refused.Expires, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow + Duration + TimeSpan.FromMinutes(1));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task AHolderOnThisMachineWhoseProcessIsGone_IsTakenOverAtOnce_ALiveOneIsNot(string kind)
    {
        var claims = new TenantClaimRepository(await NewStoreAsync(kind));
        var dead = await CrashHost.KilledRunnerOwnerAsync();
        var live = LeaseHolder.NewOwner();
        var (gone, kept) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        Assert.True((await claims.ClaimAsync(gone, "app", dead, Duration, CancellationToken.None)).IsOurs);
        Assert.True((await claims.ClaimAsync(kept, "app", live, Duration, CancellationToken.None)).IsOurs);

        var taken = await claims.ClaimAsync(gone, "app", B, Duration, CancellationToken.None);
        var refused = await claims.ClaimAsync(kept, "app", B, Duration, CancellationToken.None);

        Assert.True(taken.IsOurs);
        Assert.Equal(dead, taken.TakenOverFrom);
        Assert.False(refused.IsOurs);
        Assert.Equal(live, refused.Holder);
        LeaseHolder.Retire(live);
    }
}
