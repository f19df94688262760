using System.Net;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Tests;

/// <summary>Premature retries count only client misbehaviour; Retry-After dates never make a compliant client early.</summary>
public sealed class PrematureRetryTests(SandboxFixture fixture) : SandboxTest(fixture)
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Ledger_InFlightRequestsAreNotPremature_ARetryAfterTheGraceButBeforeTheTimeIs()
    {
        var clock = new ManualClock(T0);
        var ledger = new RetryAfterLedger(clock);
        var grace = RetryAfterLedger.Grace(new LatencySettings(0));
        ledger.Advertise("app", "tenant", "r1", T0, T0.AddSeconds(1));

        clock.Now = T0.AddMilliseconds(3); // a parallel request that was already on its way
        Assert.False(ledger.IsPremature("app", "tenant", grace));
        clock.Now = T0.AddMilliseconds(900); // a retry 100 ms before the advertised time, sent well after the 429 arrived
        Assert.True(ledger.IsPremature("app", "tenant", grace));
        Assert.False(ledger.IsPremature("other-app", "tenant", grace));
        clock.Now = T0.AddMilliseconds(1001); // waited long enough
        Assert.False(ledger.IsPremature("app", "tenant", grace));
    }

    [Fact]
    public void Ledger_AResendOfTheThrottledRequestBeforeItsTime_IsPrematureEvenWithinTheGrace()
    {
        var clock = new ManualClock(T0);
        var ledger = new RetryAfterLedger(clock);
        ledger.Advertise("app", "tenant", "throttled-request", T0, T0.AddSeconds(1));

        clock.Now = T0.AddMilliseconds(3);
        Assert.True(ledger.IsPrematureResend("app", "tenant", "throttled-request"));
        Assert.False(ledger.IsPrematureResend("app", "tenant", "another-request")); // in flight alongside: not a resend
        Assert.False(ledger.IsPrematureResend("other-app", "tenant", "throttled-request"));
        clock.Now = T0.AddMilliseconds(1001);
        Assert.False(ledger.IsPrematureResend("app", "tenant", "throttled-request"));
    }

    [Fact]
    public void Ledger_GraceGrowsWithLatency_AndAHammeringClientIsStillCounted()
    {
        var clock = new ManualClock(T0);
        var ledger = new RetryAfterLedger(clock);
        var slow = RetryAfterLedger.Grace(new LatencySettings(400, 100));
        Assert.Equal(TimeSpan.FromMilliseconds(750), slow);
        ledger.Advertise("app", "tenant", "r1", T0, T0.AddSeconds(2));
        clock.Now = T0.AddMilliseconds(600);
        Assert.False(ledger.IsPremature("app", "tenant", slow)); // within 250 ms + latency + jitter
        clock.Now = T0.AddMilliseconds(800);
        Assert.True(ledger.IsPremature("app", "tenant", slow));

        // Each premature retry is throttled again; the fresh 429s must not hide the ones the client ignored.
        var fast = RetryAfterLedger.Grace(new LatencySettings(0));
        var hammer = new RetryAfterLedger(clock);
        hammer.Advertise("app", "tenant", "r1", T0, T0.AddSeconds(1));
        for (var ms = 300; ms < 1000; ms += 10)
        {
            clock.Now = T0.AddMilliseconds(ms);
            Assert.True(hammer.IsPremature("app", "tenant", fast));
            hammer.Advertise("app", "tenant", "r1", clock.Now, clock.Now.AddSeconds(1));
        }
    }

    [Theory]
    [InlineData(300, 1, 12)] // 10.3 s + 1 s = 11.3 s → 12 s
    [InlineData(0, 1, 11)] // already whole: 11 s
    [InlineData(1, 2, 13)] // 10.001 s + 2 s → 13 s
    public void RetryAfterDate_RoundsUpToTheNextWholeSecond(int milliseconds, int seconds, int expectedSecond)
    {
        var now = T0.AddSeconds(10).AddMilliseconds(milliseconds);
        var date = RetryAfterLedger.RetryAfterDate(now, seconds);
        Assert.Equal(T0.AddSeconds(expectedSecond), date);
        Assert.True(date >= now.AddSeconds(seconds));
    }

    [Fact]
    public async Task ParallelRequestsInFlightWhenA429IsServed_AreNotPremature()
    {
        var token = await F.AppTokenAsync(F.Contoso);
        // Warm connections first so the burst arrives together.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ => (await F.Http.SendAsync(F.GraphRequest(HttpMethod.Get, "v1.0/organization", token))).Dispose()));

        await F.Host.Control.SetThrottlingAsync(enabled: true, scale: 0.002); // 7 RU per 10 s; GET /users costs 2

        // A second of latency widens the in-flight grace (250 ms + latency) to 1.25 s without spreading the burst, so a
        // busy machine that is slow to put all eight requests on the wire does not turn in-flight requests into retries.
        await F.Host.Control.SetLatencyAsync(1000);
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => F.Http.SendAsync(F.GraphRequest(HttpMethod.Get, "v1.0/users", token))));
        try
        {
            Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.TooManyRequests);
        }
        finally
        {
            foreach (var r in responses)
            {
                r.Dispose();
            }
        }
        var mine = (await F.Host.Control.GetStatsAsync()).For(F.Contoso.AdminAppId, F.Contoso.TenantId)!;
        Assert.True(mine.TooManyRequests >= 1);
        Assert.Equal(0, mine.PrematureRetries);
        Assert.DoesNotContain(await F.Host.Control.GetTimelineAsync(), t => t.Premature);
    }

    [Fact]
    public async Task ResendingTheThrottledRequestBeforeItsTime_IsCountedAsAPrematureResend()
    {
        var token = await F.AppTokenAsync(F.Contoso);
        await F.Host.Control.AddFaultAsync(new FaultRule { Path = "/v1.0/organization", Status = 429, RetryAfterSeconds = 60, Times = 1 });
        var id = Guid.NewGuid().ToString();
        async Task<HttpStatusCode> SendAsync()
        {
            var request = F.GraphRequest(HttpMethod.Get, "v1.0/organization", token);
            request.Headers.Add("client-request-id", id);
            using var response = await F.Http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await SendAsync());
        Assert.Equal(HttpStatusCode.OK, await SendAsync()); // the fault is spent, but the client was told to wait 60 s

        var mine = (await F.Host.Control.GetStatsAsync()).For(F.Contoso.AdminAppId, F.Contoso.TenantId)!;
        Assert.Equal(1, mine.PrematureResends);
        Assert.Equal(1, mine.PrematureRetries);
    }

    [Fact]
    public async Task RetryAfterDate_IsNeverEarlierThanTheDelay()
    {
        await F.Host.Control.SetThrottlingAsync(retryAfterMode: RetryAfterMode.Date);
        var token = await F.AppTokenAsync(F.Contoso);
        await F.Host.Control.AddFaultAsync(new FaultRule { Path = "/v1.0/organization", Status = 429, RetryAfterSeconds = 2, Times = 1 });
        var before = DateTimeOffset.UtcNow;
        using var r = await F.Http.SendAsync(F.GraphRequest(HttpMethod.Get, "v1.0/organization", token));
        Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
        var date = r.Headers.RetryAfter!.Date!.Value;
        Assert.True(date >= before.AddSeconds(2), $"Retry-After {date:O} is earlier than {before.AddSeconds(2):O}");
        Assert.Equal(0, date.Millisecond);
    }
}
