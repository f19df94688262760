using System.Net;

namespace CasAdmin.Sandbox.Tests;

/// <summary>Token buckets, Retry-After, premature retries and the statistics that report them.</summary>
public sealed class ThrottlingTests(SandboxFixture fixture) : SandboxTest(fixture)
{
    private async Task<HttpResponseMessage> GetAsync(string relative, string token) =>
        await F.Http.SendAsync(F.GraphRequest(HttpMethod.Get, relative, token));

    [Fact]
    public async Task ThrottledCall_Gets429WithGraphsThrottleHeaders()
    {
        // RU bucket of a small tenant at scale 0.002: 7 RU per 10 s; each GET /users costs 2.
        await F.Host.Control.SetThrottlingAsync(enabled: true, scale: 0.002);
        var token = await F.AppTokenAsync(F.Contoso);
        HttpResponseMessage? throttled = null;
        var sawPercentage = false;
        for (var i = 0; i < 20 && throttled is null; i++)
        {
            var r = await GetAsync("v1.0/users", token);
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
            {
                throttled = r;
            }
            else
            {
                Assert.Equal("2", r.Headers.GetValues("x-ms-resource-unit").Single());
                sawPercentage |= r.Headers.Contains("x-ms-throttle-limit-percentage");
                r.Dispose();
            }
        }

        Assert.NotNull(throttled);
        using (throttled)
        {
            Assert.True(throttled.Headers.RetryAfter!.Delta >= TimeSpan.FromSeconds(1));
            Assert.Equal($"Tenant_Application/ReadWrite/{F.Contoso.AdminAppId}/{F.Contoso.TenantId}", throttled.Headers.GetValues("x-ms-throttle-scope").Single());
            Assert.Equal("ResourceUnitLimitExceeded", throttled.Headers.GetValues("x-ms-throttle-information").Single());
            var body = await throttled.Content.ReadAsStringAsync();
            Assert.Contains("\"code\":\"TooManyRequests\"", body, StringComparison.Ordinal);
            Assert.Contains("\"innerError\"", body, StringComparison.Ordinal);
        }
        Assert.True(sawPercentage, "a response above 80 % of the limit carries x-ms-throttle-limit-percentage");
        var stats = await F.Host.Control.GetStatsAsync();
        Assert.True(stats.For(F.Contoso.AdminAppId, F.Contoso.TenantId)!.TooManyRequests >= 1);
    }

    [Fact]
    public async Task ThrottlingIsPerAppAndTenant()
    {
        await F.Host.Control.SetThrottlingAsync(scale: 0.002);
        var contoso = await F.AppTokenAsync(F.Contoso);
        for (var i = 0; i < 8; i++)
        {
            (await GetAsync("v1.0/users", contoso)).Dispose();
        }

        using var exhausted = await GetAsync("v1.0/users", contoso);
        Assert.Equal(HttpStatusCode.TooManyRequests, exhausted.StatusCode);

        using var otherTenant = await GetAsync("v1.0/users", await F.AppTokenAsync(F.Fabrikam));
        Assert.Equal(HttpStatusCode.OK, otherTenant.StatusCode);
    }

    [Fact]
    public async Task RetryAfterModes_DateAndAbsent()
    {
        await F.Host.Control.SetThrottlingAsync(retryAfterMode: RetryAfterMode.Date);
        var token = await F.AppTokenAsync(F.Contoso);
        await F.Host.Control.AddFaultAsync(new FaultRule { Path = "/v1.0/organization", Status = 429, RetryAfterSeconds = 1, Times = 1 });
        using (var r = await GetAsync("v1.0/organization", token))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            Assert.NotNull(r.Headers.RetryAfter!.Date);
        }

        await F.Host.Control.SetThrottlingAsync(retryAfterMode: RetryAfterMode.Absent);
        await F.Host.Control.AddFaultAsync(new FaultRule { Path = "/v1.0/organization", Status = 429, RetryAfterSeconds = 1, Times = 1 });
        using (var r = await GetAsync("v1.0/organization", token))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            Assert.Null(r.Headers.RetryAfter);
        }
    }

    [Fact]
    public async Task PrematureRetry_IsCountedWhenEarly_NotWhenTheClientWaits()
    {
        var token = await F.AppTokenAsync(F.Contoso);
        var rule = new FaultRule { Method = "GET", Path = "/v1.0/organization", Status = 429, RetryAfterSeconds = 1, Times = 1 };

        // A patient client: waits the advertised Retry-After, then retries.
        await F.Host.Control.AddFaultAsync(rule);
        TimeSpan wait;
        using (var first = await GetAsync("v1.0/organization", token))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, first.StatusCode);
            wait = first.Headers.RetryAfter!.Delta!.Value;
        }
        await Task.Delay(wait + TimeSpan.FromMilliseconds(100));
        using (var patient = await GetAsync("v1.0/organization", token))
        {
            Assert.Equal(HttpStatusCode.OK, patient.StatusCode);
        }

        Assert.Equal(0, (await F.Host.Control.GetStatsAsync()).For(F.Contoso.AdminAppId, F.Contoso.TenantId)!.PrematureRetries);

        // An impatient client: retries after it saw the 429 (past the in-flight grace) but well before the advertised time.
        await F.Host.Control.AddFaultAsync(rule with { RetryAfterSeconds = 4 });
        using (var second = await GetAsync("v1.0/organization", token))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(500));
        using (var early = await GetAsync("v1.0/organization", token))
        {
            Assert.Equal(HttpStatusCode.OK, early.StatusCode);
        }

        var stats = await F.Host.Control.GetStatsAsync();
        var mine = stats.For(F.Contoso.AdminAppId, F.Contoso.TenantId)!;
        Assert.Equal(1, mine.PrematureRetries);
        Assert.Equal(2, mine.TooManyRequests);
        Assert.Equal(2, mine.FaultsInjected);
        Assert.Equal(1, stats.Totals.PrematureRetries);
        Assert.Single(await F.Host.Control.GetTimelineAsync(), t => t.Premature);
    }

    [Fact]
    public async Task Stats_CountRequestsTokensAndResourceUnitsPerAppAndTenant()
    {
        var token = await F.AppTokenAsync(F.Contoso);
        for (var i = 0; i < 3; i++)
        {
            (await GetAsync("v1.0/users?$select=id", token)).Dispose(); // 2 RU − 1 for $select
        }

        (await GetAsync("v1.0/organization", token)).Dispose();

        var stats = await F.Host.Control.GetStatsAsync();
        var mine = stats.For(F.Contoso.AdminAppId, F.Contoso.TenantId)!;
        Assert.Equal(1, mine.TokenRequests);
        Assert.Equal(5, mine.Requests); // 1 token request + 4 Graph requests
        Assert.Equal(4, mine.ResourceUnits);
        Assert.Equal(4, mine.Statuses["200"] - 1);
        Assert.Equal(3, stats.Endpoints["GET /v1.0/users"].Requests);
        var timeline = await F.Host.Control.GetTimelineAsync();
        Assert.Equal(3, timeline.Count(t => t.Path == "/v1.0/users" && t.Status == 200 && t.Cost == 1));
    }

    [Fact]
    public async Task Faults_ResetAbortsTheConnection_AndAppliedButLostRunsTheRequest()
    {
        var token = await F.AppTokenAsync(F.Contoso);
        await F.Host.Control.AddFaultAsync(new FaultRule { Kind = FaultKind.Reset, Path = "/v1.0/organization", Times = 1 });
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => GetAsync("v1.0/organization", token));

        await F.Host.Control.AddFaultAsync(new FaultRule { Kind = FaultKind.AppliedButLost, Path = "/v1.0/users", Times = 1 });
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => GetAsync("v1.0/users", token));
        var stats = await F.Host.Control.GetStatsAsync();
        // The lost request still reached the handler and was charged.
        Assert.Equal(2, stats.Endpoints["GET /v1.0/users"].ResourceUnits);

        using var after = await GetAsync("v1.0/organization", token);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Faults_NthAndStatus()
    {
        var token = await F.AppTokenAsync(F.Contoso);
        await F.Host.Control.AddFaultAsync(new FaultRule { Path = "/v1.0/organization", Status = 503, Nth = 2, Times = 1 });
        using var first = await GetAsync("v1.0/organization", token);
        using var second = await GetAsync("v1.0/organization", token);
        using var third = await GetAsync("v1.0/organization", token);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK], [first.StatusCode, second.StatusCode, third.StatusCode]);
    }

    private static readonly string[] QuotaHeaders = ["x-ms-resource-unit", "x-ms-throttle-limit-percentage", "x-ms-throttle-scope", "x-ms-throttle-information"];

    private static string[] QuotaHeadersOn(HttpResponseMessage r) => QuotaHeaders.Where(h => r.Headers.Contains(h)).ToArray();

    [Fact]
    public async Task TeamsChatCalls_NearAndOverTheLimit_CarryNoQuotaHeaders_AndTheir429sRetryAfterAlone()
    {
        // Teams bucket at scale 0.1: 3 requests, refilled 3 a second. learn.microsoft.com/graph/throttling-limits documents
        // the quota headers for identity and access only; its Teams section names none.
        await F.Host.Control.SetThrottlingAsync(scale: 0.1);
        var token = await F.AppTokenAsync(F.Contoso, "chatReader");
        var admin = (await F.Graph(token).Users[F.Contoso.AdminUser].GetAsync())!.Id;
        var answered = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var r = await GetAsync($"v1.0/users/{admin}/chats", token);
            answered.Add(r.StatusCode);
            Assert.Empty(QuotaHeadersOn(r));
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(r.Headers.RetryAfter!.Delta >= TimeSpan.FromSeconds(1));
            }
        }

        Assert.Contains(HttpStatusCode.OK, answered);
        Assert.Contains(HttpStatusCode.TooManyRequests, answered);
    }

    [Fact]
    public async Task SubscriptionCalls_CarryNoQuotaHeaders_IdentityCallsDo()
    {
        await F.Host.Control.SetThrottlingAsync(scale: 0.002);
        var token = await F.AppTokenAsync(F.Contoso);
        using (var subscriptions = await GetAsync("v1.0/subscriptions", token))
        {
            Assert.Equal(HttpStatusCode.OK, subscriptions.StatusCode);
            Assert.Empty(QuotaHeadersOn(subscriptions));
        }

        // The same connection on an identity call: the resource units, and above 80 % used the share; its 429 names the scope.
        var sawShare = false;
        HttpResponseMessage? throttled = null;
        for (var i = 0; i < 10 && throttled is null; i++)
        {
            var r = await GetAsync("v1.0/organization", token);
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
            {
                throttled = r;
                continue;
            }

            Assert.Equal("1", r.Headers.GetValues("x-ms-resource-unit").Single());
            sawShare |= r.Headers.Contains("x-ms-throttle-limit-percentage");
            r.Dispose();
        }

        Assert.True(sawShare);
        using (throttled)
        {
            Assert.NotNull(throttled);
            Assert.Equal(["x-ms-throttle-scope", "x-ms-throttle-information"], QuotaHeadersOn(throttled!));
        }
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e308")]
    public async Task HeadersFault_SendsAHostileQuotaShare_OnTheRealAnswer(string share)
    {
        var token = await F.AppTokenAsync(F.Contoso);
        await F.Host.Control.AddFaultAsync(new FaultRule
        {
            Kind = FaultKind.Headers, Path = "/v1.0/organization", Times = 1,
            Headers = new Dictionary<string, string> { ["x-ms-throttle-limit-percentage"] = share },
        });

        using var r = await GetAsync("v1.0/organization", token);

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Contains("\"value\"", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(share, r.Headers.GetValues("x-ms-throttle-limit-percentage").Single());
    }

    [Fact]
    public async Task StatusFault_SendsARetryAfterFarBeyondAnyBudget_InSecondsOrAsARawDate()
    {
        var token = await F.AppTokenAsync(F.Contoso);
        await F.Host.Control.AddFaultAsync(new FaultRule { Path = "/v1.0/organization", Status = 429, RetryAfterSeconds = 86_400, Times = 1 });
        await F.Host.Control.AddFaultAsync(new FaultRule
        {
            Path = "/v1.0/organization", Status = 429, Times = 1,
            Headers = new Dictionary<string, string> { ["Retry-After"] = "Fri, 31 Dec 9999 23:59:59 GMT" },
        });

        using (var day = await GetAsync("v1.0/organization", token))
        {
            Assert.Equal(TimeSpan.FromDays(1), day.Headers.RetryAfter!.Delta);
        }

        using (var never = await GetAsync("v1.0/organization", token))
        {
            Assert.Equal(9999, never.Headers.RetryAfter!.Date!.Value.Year);
        }
    }

    [Fact]
    public async Task AFaultWithAHeaderHttpCannotCarry_IsRefused()
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => F.Host.Control.AddFaultAsync(new FaultRule
        {
            Kind = FaultKind.Headers, Path = "*", Headers = new Dictionary<string, string> { ["x-ms-throttle-limit-percentage"] = "0.9\r\nSet-Cookie: a=b" },
        }));

        Assert.Contains("not allow", refused.Message, StringComparison.Ordinal);
        using var after = await GetAsync("v1.0/organization", await F.AppTokenAsync(F.Contoso));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.False(after.Headers.Contains("x-ms-throttle-limit-percentage"), "the refused rule was not installed");
    }
}
