using System.Net;
using System.Net.Http.Headers;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Resilience;
using Microsoft.Extensions.Time.Testing;

namespace CasAdmin.Engine.Tests.Unit;

/// <summary>The retry rules, against a scripted inner handler (no network, no clock dependence: delays are zero).</summary>
public sealed class ResilienceHandlerTests
{
    private static readonly ResilienceOptions Fast = new()
    {
        BaseDelay = TimeSpan.Zero,
        MaxDelay = TimeSpan.Zero,
        MaxRetryAttempts = 4,
        TotalBudget = TimeSpan.FromMinutes(1),
    };

    private sealed class Script(params Func<HttpRequestMessage, HttpResponseMessage>[] steps) : HttpMessageHandler
    {
        public List<(HttpMethod Method, string? Body)> Seen { get; } = [];

        public List<string?> ClientRequestIds { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Seen.Add((request.Method, request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken)));
            ClientRequestIds.Add(request.Headers.TryGetValues("client-request-id", out var ids) ? ids.Single() : null);
            var step = steps[Math.Min(Seen.Count - 1, steps.Length - 1)];
            return step(request);
        }
    }

    private static HttpResponseMessage Status(HttpStatusCode code, TimeSpan? retryAfter = null)
    {
        var response = new HttpResponseMessage(code);
        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = new RetryConditionHeaderValue(wait);
        }

        return response;
    }

    private static (HttpClient Client, Script Script, GraphTrafficCounters Counters, TenantPacer Pacer) Build(ResilienceOptions options, params Func<HttpRequestMessage, HttpResponseMessage>[] steps) =>
        Build(options, TimeProvider.System, steps);

    private static (HttpClient Client, Script Script, GraphTrafficCounters Counters, TenantPacer Pacer) Build(ResilienceOptions options, TimeProvider clock, params Func<HttpRequestMessage, HttpResponseMessage>[] steps)
    {
        var script = new Script(steps);
        var counters = new GraphTrafficCounters();
        var pacer = new TenantPacer(clock);
        var handler = new ResilienceHandler(options, pacer, counters, clock) { InnerHandler = script };
        return (new HttpClient(handler), script, counters, pacer);
    }

    private static HttpResponseMessage Used(string share)
    {
        var response = Status(HttpStatusCode.OK);
        response.Headers.TryAddWithoutValidation("x-ms-resource-unit", "1");
        response.Headers.TryAddWithoutValidation("x-ms-throttle-limit-percentage", share);
        return response;
    }

    // The call must end by itself: on the fake clock nothing that waits can ever finish. The real-time bound only keeps a
    // broken handler from hanging the run; the test passes or fails on what the call did, never on how long it took.
    private static Task<T> Ended<T>(Task<T> call) => call.WaitAsync(TimeSpan.FromMinutes(1));

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e308")]
    public async Task AHostileQuotaShare_IsIgnored_AndTheConnectionKeepsWorking(string hostile)
    {
        var shares = new[] { "0.8", "0.82", "0.84", "0.86", "0.88", "0.9", hostile, "0.9", "0.9" };
        var steps = shares.Select(share => (Func<HttpRequestMessage, HttpResponseMessage>)(_ => Used(share))).ToArray();
        var (client, script, _, pacer) = Build(Fast, steps);
        for (var i = 0; i < 6; i++)
        {
            (await client.GetAsync(new Uri("https://graph.example/v1.0/servicePrincipals"))).Dispose();
        }

        var paced = pacer.Interval;
        Assert.True(paced > TimeSpan.Zero);
        (await client.GetAsync(new Uri("https://graph.example/v1.0/servicePrincipals"))).Dispose();
        Assert.Equal(paced, pacer.Interval);

        using var after = await client.GetAsync(new Uri("https://graph.example/v1.0/servicePrincipals"));

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(8, script.Seen.Count);
    }

    [Fact]
    public async Task ARetryAfterPastTheBudget_FailsAtOnceWithThrottledTooLong_NamingTheWait_AndPausesNothing()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var options = Fast with { TotalBudget = TimeSpan.FromMinutes(5) };
        var (client, script, counters, pacer) = Build(options, clock, _ => Status(HttpStatusCode.TooManyRequests, TimeSpan.FromDays(1)), _ => Status(HttpStatusCode.OK));

        var error = await Assert.ThrowsAsync<CasException>(() => Ended(client.GetAsync(new Uri("https://graph.example/v1.0/users"))));

        Assert.Equal(ErrorIds.ThrottledTooLong, error.ErrorId);
        Assert.Equal(429, error.StatusCode);
        Assert.Contains("86400 s (until 2026-12-08 12:00:00Z)", error.Message, StringComparison.Ordinal);
        Assert.Contains("2026-12-08 12:00:00Z", error.RecommendedAction, StringComparison.Ordinal);
        Assert.Single(script.Seen);
        Assert.Equal(1, counters.Throttled);
        Assert.True(pacer.PausedUntil <= clock.GetUtcNow() + options.TotalBudget, "the connection is never paused past the budget");
    }

    [Fact]
    public async Task AfterARetryAfterPastTheBudget_TheConnectionsNextCallsFailWithoutSending_UntilOneBudgetHasPassed()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var options = Fast with { TotalBudget = TimeSpan.FromMinutes(5) };
        var (client, script, _, _) = Build(options, clock, _ => Status(HttpStatusCode.TooManyRequests, TimeSpan.FromDays(1)), _ => Status(HttpStatusCode.OK));
        await Assert.ThrowsAsync<CasException>(() => Ended(client.GetAsync(new Uri("https://graph.example/v1.0/users"))));

        var second = await Assert.ThrowsAsync<CasException>(() => Ended(client.GetAsync(new Uri("https://graph.example/v1.0/groups"))));
        Assert.Equal(ErrorIds.ThrottledTooLong, second.ErrorId);
        Assert.Contains("until 2026-12-08 12:00:00Z", second.Message, StringComparison.Ordinal);
        Assert.Single(script.Seen);

        clock.Advance(options.TotalBudget);
        using var third = await Ended(client.GetAsync(new Uri("https://graph.example/v1.0/groups")));
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal(2, script.Seen.Count);
    }

    [Fact]
    public async Task ARetryAfterDateInTheYear9999_FailsAtOnce_WithoutOverflow()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var (client, script, _, _) = Build(Fast, clock, _ =>
        {
            var response = Status(HttpStatusCode.TooManyRequests);
            response.Headers.TryAddWithoutValidation("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT");
            response.Headers.TryAddWithoutValidation("Date", "Mon, 01 Jan 0001 00:00:00 GMT"); // a skewed Date makes the wait longer still
            return response;
        });

        var error = await Assert.ThrowsAsync<CasException>(() => Ended(client.GetAsync(new Uri("https://graph.example/v1.0/users"))));

        Assert.Equal(ErrorIds.ThrottledTooLong, error.ErrorId);
        Assert.Contains("9999-12-31", error.Message, StringComparison.Ordinal);
        Assert.Single(script.Seen);
    }

    [Fact]
    public async Task A503WithARetryAfterPastTheBudget_FailsAtOnceWithServiceUnavailable_NamingTheWait()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var (client, script, _, pacer) = Build(Fast, clock, _ => Status(HttpStatusCode.ServiceUnavailable, TimeSpan.FromHours(2)));

        var error = await Assert.ThrowsAsync<CasException>(() => Ended(client.GetAsync(new Uri("https://graph.example/v1.0/users"))));

        Assert.Equal(ErrorIds.ServiceUnavailable, error.ErrorId);
        Assert.Contains("7200 s (until 2026-12-07 14:00:00Z)", error.Message, StringComparison.Ordinal);
        Assert.Single(script.Seen);
        Assert.Equal(0, pacer.Pauses);
    }

    [Fact]
    public async Task ARefusedConnection_IsRetriedAFewTimes_NotForTheWholeBudget()
    {
        var options = Fast with { MaxRetryAttempts = 12, MaxConnectRetryAttempts = 3 };
        var (client, script, _, _) = Build(options, _ => throw new HttpRequestException(HttpRequestError.ConnectionError, "refused"));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("https://graph.example/v1.0/users")));

        Assert.Equal(HttpRequestError.ConnectionError, error.HttpRequestError);
        Assert.Equal(1 + 3, script.Seen.Count);
    }

    [Fact]
    public async Task Get_503Burst_IsRetriedUntilSuccess()
    {
        var (client, script, counters, _) = Build(Fast,
            _ => Status(HttpStatusCode.ServiceUnavailable),
            _ => Status(HttpStatusCode.GatewayTimeout),
            _ => Status(HttpStatusCode.OK));

        using var response = await client.GetAsync(new Uri("https://graph.example/v1.0/users"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, script.Seen.Count);
        Assert.Equal(2, counters.Retries);
    }

    [Fact]
    public async Task Post_504_IsNotRetried_BecauseItMayHaveBeenApplied()
    {
        var (client, script, _, _) = Build(Fast, _ => Status(HttpStatusCode.GatewayTimeout), _ => Status(HttpStatusCode.Created));

        using var response = await client.PostAsync(new Uri("https://graph.example/v1.0/applications"), new StringContent("{}"));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Single(script.Seen);
    }

    [Fact]
    public async Task Post_429_IsRetriedWithTheSameBody_BecauseThrottledRequestsAreNotApplied()
    {
        var (client, script, counters, pacer) = Build(Fast,
            _ => Status(HttpStatusCode.TooManyRequests, TimeSpan.Zero),
            _ => Status(HttpStatusCode.Created));

        using var response = await client.PostAsync(new Uri("https://graph.example/v1.0/applications"), new StringContent("{\"displayName\":\"x\"}"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(2, script.Seen.Count);
        Assert.All(script.Seen, s => Assert.Equal("{\"displayName\":\"x\"}", s.Body));
        Assert.Equal(1, counters.Throttled);
        Assert.Equal(1, pacer.Pauses);
    }

    [Fact]
    public async Task GraphsQuotaWarning_ReachesThePacer_WhichPacesBeforeAny429()
    {
        var steps = new[] { "0.8", "0.82", "0.84", "0.86", "0.88", "0.9" }.Select(share => (Func<HttpRequestMessage, HttpResponseMessage>)(_ => Used(share))).ToArray();
        var (client, _, counters, pacer) = Build(Fast, steps);

        for (var i = 0; i < steps.Length; i++)
        {
            (await client.GetAsync(new Uri("https://graph.example/v1.0/servicePrincipals"))).Dispose();
        }

        Assert.True(pacer.Interval > TimeSpan.Zero, "nearly all the quota is used: the connection is paced");
        Assert.Equal(0, pacer.Pauses);
        Assert.Equal(0, counters.Throttled);
    }

    [Fact]
    public async Task EveryAttemptOfOneCall_CarriesTheSameClientRequestId_AndTheNextCallANewOne()
    {
        var (client, script, _, _) = Build(Fast,
            _ => Status(HttpStatusCode.TooManyRequests, TimeSpan.Zero),
            _ => Status(HttpStatusCode.ServiceUnavailable),
            _ => Status(HttpStatusCode.OK));

        (await client.GetAsync(new Uri("https://graph.example/v1.0/users"))).Dispose();
        (await client.GetAsync(new Uri("https://graph.example/v1.0/users"))).Dispose();

        Assert.Equal(4, script.ClientRequestIds.Count);
        Assert.All(script.ClientRequestIds, id => Assert.True(Guid.TryParse(id, out _), $"'{id}' is not a GUID"));
        Assert.Equal(script.ClientRequestIds[0], script.ClientRequestIds[1]);
        Assert.Equal(script.ClientRequestIds[0], script.ClientRequestIds[2]);
        Assert.NotEqual(script.ClientRequestIds[0], script.ClientRequestIds[3]);
    }

    [Fact]
    public async Task Post_MarkedIdempotent_IsRetriedOn503()
    {
        var (client, script, _, _) = Build(Fast, _ => Status(HttpStatusCode.ServiceUnavailable), _ => Status(HttpStatusCode.OK));
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://graph.example/v1.0/$batch") { Content = new StringContent("{}") };
        request.Options.Set(CasRequestOption.Key, new CasRequestOption { Idempotent = true });

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, script.Seen.Count);
    }

    [Fact]
    public async Task Get_ConnectionDropped_IsRetried()
    {
        var calls = 0;
        var (client, script, _, _) = Build(Fast, _ => ++calls == 1 ? throw new HttpRequestException("reset", null, HttpStatusCode.OK) : Status(HttpStatusCode.OK));

        using var response = await client.GetAsync(new Uri("https://graph.example/v1.0/users"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, script.Seen.Count);
    }

    [Fact]
    public async Task Get_AlwaysThrottled_StopsAfterMaxRetries_WithTheLast429()
    {
        var (client, script, _, _) = Build(Fast, _ => Status(HttpStatusCode.TooManyRequests, TimeSpan.Zero));

        using var response = await client.GetAsync(new Uri("https://graph.example/v1.0/users"));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(Fast.MaxRetryAttempts + 1, script.Seen.Count);
    }

    [Fact]
    public async Task Get_BudgetExhaustedWhileThrottled_FailsWithThrottledTooLong()
    {
        var options = Fast with { TotalBudget = TimeSpan.FromMilliseconds(200), MaxRetryAttempts = 50 };
        var (client, _, _, _) = Build(options, _ => Status(HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(30)));

        var error = await Assert.ThrowsAsync<CasException>(() => client.GetAsync(new Uri("https://graph.example/v1.0/users")));

        Assert.Equal(ErrorIds.ThrottledTooLong, error.ErrorId);
    }

    [Fact]
    public async Task Get_CanceledWhileWaitingOutRetryAfter_StopsWithoutAnotherAttempt()
    {
        var (client, script, _, _) = Build(Fast with { TotalBudget = TimeSpan.FromHours(1) }, _ => Status(HttpStatusCode.TooManyRequests, TimeSpan.FromMinutes(10)));
        using var cts = new CancellationTokenSource();

        var call = client.GetAsync(new Uri("https://graph.example/v1.0/users"), cts.Token);
        while (script.Seen.Count == 0)
        {
            await Task.Yield();
        }

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Single(script.Seen);
    }

    [Fact]
    public async Task Get_404_IsNotRetried()
    {
        var (client, script, _, _) = Build(Fast, _ => Status(HttpStatusCode.NotFound), _ => Status(HttpStatusCode.OK));

        using var response = await client.GetAsync(new Uri("https://graph.example/v1.0/users/x"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Single(script.Seen);
    }
}
