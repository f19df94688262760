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

    [Fact]
    public async Task AfterAPause_TheSlotsItSkippedGoAtOnce_AndALullEarnsAtMostWhatTheBucketHolds()
    {
        var clock = new ManualTimeProvider();
        var pacer = new TenantPacer(clock);
        for (var i = 0; i < 20; i++)
        {
            await pacer.WaitAsync(CancellationToken.None);
        }

        // The first burst: 20 requests went through before the first 429, so the bucket holds 20.
        pacer.Throttled(TimeSpan.Zero);
        Assert.Equal(20, pacer.Capacity);
        for (var i = 0; i < 20; i++)
        {
            await pacer.WaitAsync(CancellationToken.None);
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        pacer.Throttled(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));

        // 20 requests in 1 s plus the 1 s wait: one every 100 ms. The second of pause refilled ten requests' worth;
        // a fifth is kept back as a margin and the throttled request takes one back, so 8 go now (with the one due
        // now); the next waits for its slot.
        Assert.Equal(100, pacer.Interval.TotalMilliseconds, precision: 0);
        Assert.Equal(8, ImmediatelyAdmitted(pacer));

        // A lull of 20 s (still busy: no 30 s without a 429) refills the bucket, but no further than its capacity:
        // 20 requests' worth, plus the one due now.
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(21, ImmediatelyAdmitted(pacer));
    }

    private static int ImmediatelyAdmitted(TenantPacer pacer)
    {
        // Bounded, so a pacer that stopped pacing fails the assertion instead of hanging the test.
        for (var n = 0; n < 1000; n++)
        {
            if (!pacer.WaitAsync(CancellationToken.None).IsCompleted)
            {
                return n;
            }
        }

        return 1000;
    }
}
