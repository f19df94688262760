using CasAdmin.Engine.Resilience;
using Microsoft.Extensions.Time.Testing;

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
            pacer.Completed();
        }

        clock.Advance(TimeSpan.FromSeconds(2));
        pacer.Throttled(TimeSpan.Zero);

        // 20 requests got through in 2 s: 10 a second, one every 100 ms.
        Assert.Equal(100, pacer.Interval.TotalMilliseconds, precision: 0);

        clock.Advance(TimeSpan.FromSeconds(31));
        await pacer.WaitAsync(CancellationToken.None);
        pacer.Completed();
        Assert.Equal(TimeSpan.Zero, pacer.Interval);
    }

    [Fact]
    public async Task BeforeThePaceIsKnown_OnlyAFewAreInFlight_AndAnAnswerLetsTheNextGo()
    {
        // Sixteen workers at once against a quota nobody knows yet: when it runs out, every request in flight gets a 429,
        // and Graph charges each one. A few in flight keep that to a few.
        var clock = new ManualTimeProvider();
        var pacer = new TenantPacer(clock);
        var waits = Enumerable.Range(0, 16).Select(_ => pacer.WaitAsync(CancellationToken.None).AsTask()).ToArray();

        Assert.Equal(6, waits.Count(w => w.IsCompleted));
        Assert.Equal(10, pacer.WaitingForAPlace);

        // A waiter that gives up leaves the queue; an answer lets exactly one more go.
        using var cancel = new CancellationTokenSource();
        var impatient = pacer.WaitAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        // Which waits are still waiting is taken before the answer: the one it wakes completes on the thread pool, and
        // could otherwise finish before the list is made and leave only waits that never end.
        var waiting = waits.Where(w => !w.IsCompleted).ToArray();
        Assert.True(pacer.Completed());
        await Task.WhenAny(waiting);
        Assert.Equal(7, waits.Count(w => w.IsCompleted));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(1e308)]
    [InlineData(-0.5)]
    public async Task AShareThatIsNoShare_IsIgnored_AndThePaceKeepsAdmitting(double hostile)
    {
        var clock = new ManualTimeProvider();
        var pacer = new TenantPacer(clock);
        pacer.Throttled(TimeSpan.Zero);
        for (var i = 0; i < 20; i++)
        {
            await pacer.WaitAsync(CancellationToken.None);
            pacer.Completed();
        }

        clock.Advance(TimeSpan.FromSeconds(2));
        pacer.Throttled(TimeSpan.Zero);
        var paced = pacer.Interval;

        pacer.NearLimit(hostile);

        Assert.Equal(paced, pacer.Interval);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.InRange(ImmediatelyAdmitted(pacer), 1, 1000);
    }

    [Theory]
    [InlineData("NaN", false)]
    [InlineData("Infinity", false)]
    [InlineData("-Infinity", false)]
    [InlineData("1e308", false)]
    [InlineData("1.81", false)]
    [InlineData("-0.1", false)]
    [InlineData("eighty", false)]
    [InlineData(null, false)]
    [InlineData("0.85", true)]
    [InlineData("1.8", true)]
    public void TryReadShare_TakesOnlyWhatGraphDocuments(string? header, bool read)
    {
        Assert.Equal(read, TenantPacer.TryReadShare(header, out var share));
        Assert.True(double.IsFinite(share));
    }

    [Fact]
    public async Task ARefusalPastTheBudget_FailsCallsThatCannotOutlastIt_AtOnce_ForAtMostOneBudget()
    {
        var clock = new ManualTimeProvider();
        var pacer = new TenantPacer(clock);
        var budget = TimeSpan.FromMinutes(5);
        var asked = clock.GetUtcNow().AddDays(1);

        pacer.Refused(TimeSpan.FromDays(1), budget);

        // A call with five minutes left fails now, naming the time Graph asked for; nothing was paused.
        var refused = await Assert.ThrowsAsync<RetryBudgetExceededException>(() => pacer.WaitAsync(clock.GetUtcNow() + budget, CancellationToken.None).AsTask());
        Assert.Equal(asked, refused.Until);
        Assert.True(pacer.PausedUntil <= clock.GetUtcNow());

        // One budget later the answer is stale: calls go out again and hear from Graph afresh.
        clock.Advance(budget);
        Assert.True(pacer.WaitAsync(clock.GetUtcNow() + budget, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task APauseEndingAfterACallsDeadline_FailsThatCallAtOnce_NotAtItsTimeout()
    {
        var clock = new ManualTimeProvider();
        var pacer = new TenantPacer(clock);
        pacer.Throttled(TimeSpan.FromSeconds(90));

        var refused = await Assert.ThrowsAsync<RetryBudgetExceededException>(() => pacer.WaitAsync(clock.GetUtcNow().AddSeconds(60), CancellationToken.None).AsTask());

        Assert.Equal(clock.GetUtcNow().AddSeconds(90), refused.Until);
    }

    [Fact]
    public async Task AfterAPause_TheSlotsItSkippedGoAtOnce_AndALullEarnsAtMostWhatTheBucketHolds()
    {
        var clock = new ManualTimeProvider();
        var pacer = new TenantPacer(clock);
        for (var i = 0; i < 20; i++)
        {
            await pacer.WaitAsync(CancellationToken.None);
            pacer.Completed();
        }

        // The first burst: 20 requests went through before the first 429, so the bucket holds 20.
        pacer.Throttled(TimeSpan.Zero);
        Assert.Equal(20, pacer.Capacity);
        for (var i = 0; i < 20; i++)
        {
            await pacer.WaitAsync(CancellationToken.None);
            pacer.Completed();
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        pacer.Throttled(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));

        // 20 requests in 1 s plus the 1 s wait: one every 100 ms. The second of pause refilled ten requests' worth;
        // a tenth is kept back as a margin and the throttled request takes one back, so 9 go now (with the one due
        // now); the next waits for its slot.
        Assert.Equal(100, pacer.Interval.TotalMilliseconds, precision: 0);
        Assert.Equal(9, ImmediatelyAdmitted(pacer));

        // A lull of 20 s (still busy: no 30 s without a 429) refills the bucket, but no further than its capacity:
        // 20 requests' worth, plus the one due now.
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(21, ImmediatelyAdmitted(pacer));
    }

    [Fact]
    public async Task GraphsWarning_StartsPacingBeforeAny429_AndSteersByHowMuchIsUsed()
    {
        var clock = new ManualTimeProvider();
        var pacer = new TenantPacer(clock);
        pacer.NearLimit(0.8);
        for (var i = 0; i < 10; i++)
        {
            await pacer.WaitAsync(CancellationToken.None);
            pacer.Completed();
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.Zero, pacer.Interval);

        // Ten requests took a tenth of a ten-second bucket plus a second of refill: the refill is ten a second.
        pacer.NearLimit(0.9);
        var paced = pacer.Interval;
        Assert.InRange(paced.TotalMilliseconds, 100, 200);
        Assert.Equal(0, pacer.Pauses);

        pacer.NearLimit(0.99);
        Assert.True(pacer.Interval > paced, "almost all used: slower");
        var slow = pacer.Interval;
        pacer.Unhindered();
        Assert.True(pacer.Interval < slow, "no warning: more than a fifth is left, faster");
    }

    [Fact]
    public async Task AnswersWithoutAWarning_ForgetTheWarningsBefore_SoAnOldOneDoesNotSkewTheEstimate()
    {
        var clock = new ManualTimeProvider();
        var pacer = new TenantPacer(clock);
        pacer.NearLimit(0.8);
        for (var i = 0; i < 10; i++)
        {
            await pacer.WaitAsync(CancellationToken.None);
            pacer.Completed();
        }

        // More than a fifth left after all: the ten requests since that warning say nothing about the next one.
        pacer.Unhindered();
        clock.Advance(TimeSpan.FromMinutes(5));

        // Counted from the old warning, ten requests and 0.1 of the bucket would start pacing; from this one, nothing yet.
        pacer.NearLimit(0.9);

        Assert.Equal(TimeSpan.Zero, pacer.Interval);
    }

    [Fact]
    public async Task AgainstGraphsBucket_TheWarningsHoldTheQuotaNearlyUsed_WithoutA429()
    {
        // A bucket of 100 requests refilling 10 a second, answering as Graph does: the used share from 0.8 up. The
        // fake clock fires the pacer's delays as it is moved.
        var clock = new SteppingClock();
        var pacer = new TenantPacer(clock);
        var bucket = new SimulatedBucket(clock, capacity: 100, perSecond: 10);
        var start = clock.GetUtcNow();
        var sent = 0;
        var empty = 0;
        while (clock.GetUtcNow() - start < TimeSpan.FromSeconds(60))
        {
            await clock.RunAsync(pacer.WaitAsync(CancellationToken.None));
            pacer.Completed();
            sent++;
            if (!bucket.TryTake())
            {
                empty++;
                pacer.Throttled(TimeSpan.FromSeconds(1));
                continue;
            }

            // One request in flight: its answer comes 20 ms later.
            clock.Advance(TimeSpan.FromMilliseconds(20));
            if (bucket.Used >= 0.8)
            {
                pacer.NearLimit(bucket.Used);
            }
            else
            {
                pacer.Unhindered();
            }
        }

        Assert.Equal(0, empty);

        // All the quota the minute allows: the first bucket and 60 s of refill, less the few percent kept back.
        Assert.InRange(sent, 0.95 * 700, 700);
    }

    /// <summary>
    /// A fake clock that moves to each delay's end as soon as the code waits on it; the code's continuation then runs
    /// on the thread pool, so the clock waits (in real time, bounded) until it either completes or waits again.
    /// </summary>
    private sealed class SteppingClock : FakeTimeProvider
    {
        private TimeSpan lastDelay;
        private int timers;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lastDelay = dueTime;
            Interlocked.Increment(ref timers);
            return base.CreateTimer(callback, state, dueTime, period);
        }

        public async Task RunAsync(ValueTask wait)
        {
            while (!wait.IsCompleted)
            {
                var before = Volatile.Read(ref timers);
                Advance(lastDelay);
                Assert.True(SpinWait.SpinUntil(() => wait.IsCompleted || Volatile.Read(ref timers) != before, TimeSpan.FromSeconds(30)), "the pacer neither admitted nor waited again");
            }

            await wait;
        }
    }

    private sealed class SimulatedBucket(TimeProvider clock, double capacity, double perSecond)
    {
        private double level = double.MaxValue;
        private DateTimeOffset at = clock.GetUtcNow();

        public double Used => 1 - (Refilled() / capacity);

        public bool TryTake()
        {
            if (Refilled() < 1)
            {
                level -= 1; // a throttled request is charged too
                return false;
            }

            level -= 1;
            return true;
        }

        private double Refilled()
        {
            var now = clock.GetUtcNow();
            level = Math.Min(capacity, level + ((now - at).TotalSeconds * perSecond));
            at = now;
            return level;
        }
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

            pacer.Completed();
        }

        return 1000;
    }
}
