using CasAdmin.Engine.Resilience;

namespace CasAdmin.Engine.Tests.Unit;

public sealed class TenantPacerTests
{
    [Fact]
    public void PauseUntil_OnlyExtends()
    {
        var clock = new ManualTimeProvider();
        var pacer = new TenantPacer(clock);
        var later = clock.GetUtcNow().AddSeconds(5);

        pacer.PauseUntil(later);
        pacer.PauseUntil(later.AddSeconds(-3));

        Assert.Equal(later, pacer.PausedUntil);
        Assert.Equal(1, pacer.Pauses);
    }

    [Fact]
    public async Task WaitAsync_NoPause_ReturnsAtOnce()
    {
        var pacer = new TenantPacer(new ManualTimeProvider());

        var wait = pacer.WaitAsync(CancellationToken.None);

        Assert.True(wait.IsCompleted);
        await wait;
    }

    [Fact]
    public async Task WaitAsync_Canceled_ThrowsWithoutWaitingOut()
    {
        var pacer = new TenantPacer();
        pacer.PauseUntil(DateTimeOffset.UtcNow.AddHours(1));
        using var cts = new CancellationTokenSource();

        var wait = pacer.WaitAsync(cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }

    [Fact]
    public async Task Throttled_LearnsTheRateBetweenTwo429s_AndForgetsItWhenTheTenantQuietsDown()
    {
        var clock = new ManualTimeProvider();
        var pacer = new TenantPacer(clock);
        pacer.Throttled(TimeSpan.Zero);
        for (var i = 0; i < 20; i++)
        {
            await pacer.WaitAsync(CancellationToken.None);
        }

        clock.Advance(TimeSpan.FromSeconds(2));
        pacer.Throttled(TimeSpan.Zero);

        // 20 requests got through in 2 s: 10 a second, one every 100 ms.
        Assert.Equal(100, pacer.Interval.TotalMilliseconds, precision: 0);

        clock.Advance(TimeSpan.FromSeconds(31));
        await pacer.WaitAsync(CancellationToken.None);
        Assert.Equal(TimeSpan.Zero, pacer.Interval);
    }
}
