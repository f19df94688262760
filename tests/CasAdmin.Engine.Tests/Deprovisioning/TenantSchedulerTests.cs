using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Store;
using CasAdmin.Engine.Tenancy;
using Microsoft.Extensions.Time.Testing;

namespace CasAdmin.Engine.Tests.Deprovisioning;

/// <summary>Two runners offered the same accounts split the tenants between them through their claims in the registry.</summary>
public sealed class TenantSchedulerTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    [Fact]
    public async Task TwoRunners_SplitTheTenants_AndTakeAnothersTenantOnlyOnceItIsLetGo()
    {
        using var h = new EngineHarness(sandbox);
        var contoso = await h.AdminAsync(sandbox.Contoso);
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);
        RemovalTarget[] targets = [Target(contoso), Target(contoso), Target(fabrikam), Target(fabrikam)];
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var toldB = new RecordingObserver();

        // The second Contoso account is one A will have removed by the time B takes the tenant.
        var removed = new CasServiceAccount
        {
            AccountId = targets[1].AccountId, TenantId = contoso.TenantId, Service = CasService.Teams, Status = ServiceAccountStatus.Removed,
            CreatedOn = DateTimeOffset.UtcNow, UpdatedOn = DateTimeOffset.UtcNow,
        };
        await RegistryStore.Open(h.StorePath).WriteAsync((c, t, ct) => AccountRepository.InsertAsync(c, t, removed, ct), CancellationToken.None);
        await using var a = new TenantScheduler(targets, throttleLimit: 2, "runner-a", TimeSpan.FromMinutes(2), clock, h.Observer);
        await using var b = new TenantScheduler(targets, throttleLimit: 2, "runner-b", TimeSpan.FromMinutes(2), clock, toldB);

        // A claims Contoso; B finds it held and claims Fabrikam. Neither then takes the other's tenant: each runs a second
        // job in its own instead.
        var a1 = await a.TakeAsync(CancellationToken.None);
        var b1 = await b.TakeAsync(CancellationToken.None);
        var a2 = await a.TakeAsync(CancellationToken.None);
        var b2 = await b.TakeAsync(CancellationToken.None);
        Assert.Equal([0, 1], new[] { a1, a2 }.Order());
        Assert.Equal([2, 3], new[] { b1, b2 }.Order());

        // What is left to each is the other's tenant: it waits, asking again now and then, while the other holds it.
        var a3 = a.TakeAsync(CancellationToken.None).AsTask();
        var b3 = b.TakeAsync(CancellationToken.None).AsTask();
        await AdvanceAsync(clock, 5 * TenantScheduler.Recheck);
        Assert.False(a3.IsCompleted);
        Assert.False(b3.IsCompleted);
        Assert.Contains(toldB.Messages, m => m.Contains("runner-a", StringComparison.Ordinal) && m.Contains(contoso.TenantDomain ?? contoso.TenantId, StringComparison.OrdinalIgnoreCase));

        // A's last Contoso job ends: A lets go of Contoso, and B takes it at its next ask.
        await a.DoneAsync(a1);
        await AdvanceAsync(clock, 2 * TenantScheduler.Recheck);
        Assert.False(b3.IsCompleted);
        await a.DoneAsync(a2);
        while (!b3.IsCompleted)
        {
            await AdvanceAsync(clock, TenantScheduler.Recheck);
        }

        // What A finished, B learns from one read when it takes the tenant, and hands out first without running it.
        Assert.Equal(1, await b3);
        Assert.Equal(removed.AccountId, b.FinishedElsewhere(1)?.AccountId);
        Assert.Equal(0, await b.TakeAsync(CancellationToken.None));
        Assert.Null(b.FinishedElsewhere(0));
        Assert.False(a3.IsCompleted);
    }

    /// <summary>One account at the prompt does not wait for a bulk run of its tenant to finish: it is removed alongside.</summary>
    [Fact]
    public async Task OneAccountInATenantAnotherRunnerHolds_IsTakenAtOnce_SeveralWait()
    {
        using var h = new EngineHarness(sandbox);
        var contoso = await h.AdminAsync(sandbox.Contoso);
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var told = new RecordingObserver();
        await using var bulk = new TenantScheduler([Target(contoso), Target(contoso), Target(fabrikam), Target(fabrikam)], throttleLimit: 2, "bulk", TimeSpan.FromMinutes(2), clock, h.Observer);
        Assert.Equal(0, await bulk.TakeAsync(CancellationToken.None));
        Assert.Equal(2, await bulk.TakeAsync(CancellationToken.None));

        await using var one = new TenantScheduler([Target(contoso)], throttleLimit: 1, "at-the-prompt", TimeSpan.FromMinutes(2), clock, told);
        await using var two = new TenantScheduler([Target(fabrikam), Target(fabrikam)], throttleLimit: 1, "small-batch", TimeSpan.FromMinutes(2), clock, h.Observer);

        Assert.Equal(0, await one.TakeAsync(CancellationToken.None));
        Assert.Contains(told.Messages, m => m.Contains("alongside", StringComparison.Ordinal));
        var waiting = two.TakeAsync(CancellationToken.None).AsTask();
        await AdvanceAsync(clock, 3 * TenantScheduler.Recheck);
        Assert.False(waiting.IsCompleted);
    }

    [Fact]
    public async Task ARunAlone_TakesEveryTenant_AndLetsGoOfEachWhenItsLastJobEnds()
    {
        using var h = new EngineHarness(sandbox);
        var contoso = await h.AdminAsync(sandbox.Contoso);
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);
        RemovalTarget[] targets = [Target(contoso), Target(fabrikam)];
        var claims = new TenantClaimRepository(RegistryStore.Open(h.StorePath));
        await using var run = new TenantScheduler(targets, throttleLimit: 2, "runner-a", TimeSpan.FromMinutes(2), TimeProvider.System, h.Observer);

        var first = await run.TakeAsync(CancellationToken.None);
        var second = await run.TakeAsync(CancellationToken.None);
        Assert.Equal(-1, await run.TakeAsync(CancellationToken.None));
        Assert.False((await claims.ClaimAsync(contoso.TenantId.ToLowerInvariant(), contoso.AppId!.ToLowerInvariant(), "runner-b", TimeSpan.FromMinutes(2), CancellationToken.None)).IsOurs);

        await run.DoneAsync(first);
        await run.DoneAsync(second);

        Assert.True((await claims.ClaimAsync(contoso.TenantId.ToLowerInvariant(), contoso.AppId!.ToLowerInvariant(), "runner-b", TimeSpan.FromMinutes(2), CancellationToken.None)).IsOurs);
        Assert.True((await claims.ClaimAsync(fabrikam.TenantId.ToLowerInvariant(), fabrikam.AppId!.ToLowerInvariant(), "runner-b", TimeSpan.FromMinutes(2), CancellationToken.None)).IsOurs);
    }

    /// <summary>Moves the fake clock on in small steps, letting the waits it ends run between them.</summary>
    private static async Task AdvanceAsync(FakeTimeProvider clock, TimeSpan by)
    {
        for (var moved = TimeSpan.Zero; moved < by; moved += TimeSpan.FromMilliseconds(250))
        {
            clock.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(20);
        }
    }

    private static RemovalTarget Target(CasConnection connection) => RemovalTarget.For(new AccountScope(new CasServiceAccount
    {
        AccountId = Guid.NewGuid(), TenantId = connection.TenantId, Service = CasService.Teams, Status = ServiceAccountStatus.Active,
        CreatedOn = DateTimeOffset.UtcNow, UpdatedOn = DateTimeOffset.UtcNow,
    }, connection, null), confirmed: true);
}
