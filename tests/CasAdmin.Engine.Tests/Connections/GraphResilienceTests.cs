using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;
using CasAdmin.Sandbox;

namespace CasAdmin.Engine.Tests.Connections;

/// <summary>Retry-After, pacing, 503 bursts and Ctrl+C, measured by the sandbox's own counters rather than by a clock.</summary>
[Collection(SerialCollection.Name)]
public sealed class GraphResilienceTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>, IAsyncLifetime
{
    private CasConnection connection = null!;

    public async Task InitializeAsync()
    {
        await sandbox.Host.Control.ResetAsync();
        connection = await sandbox.ConnectAdminAsync(new ConnectionManager(), sandbox.Contoso);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private Task ListUsersAsync(CancellationToken ct = default) =>
        connection.Context.Graph.CallAsync((g, c) => g.Users.GetAsync(r => r.QueryParameters.Top = 5, c), "users", ct);

    private async Task<StatsCounters> UsersStatsAsync() =>
        (await sandbox.Host.Control.GetStatsAsync()).Endpoints.First(e => e.Key.StartsWith("GET /v1.0/users", StringComparison.Ordinal)).Value;

    [Fact]
    public async Task Injected429s_AreWaitedOut_WithNoPrematureRetry()
    {
        await sandbox.Host.Control.AddFaultAsync(new FaultRule { Method = "GET", Path = "/v1.0/users*", Status = 429, RetryAfterSeconds = 1, Times = 3 });

        await ListUsersAsync();

        var stats = await UsersStatsAsync();
        Assert.Equal(3, stats.TooManyRequests);
        Assert.Equal(0, stats.PrematureRetries);
        Assert.Equal(4, stats.Requests);
    }

    [Fact]
    public async Task Parallel429s_PauseTheWholeConnection_NoStampede()
    {
        await sandbox.Host.Control.AddFaultAsync(new FaultRule { Method = "GET", Path = "/v1.0/users*", Status = 429, RetryAfterSeconds = 1, Times = 4 });

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => ListUsersAsync()));

        var stats = await UsersStatsAsync();
        Assert.Equal(0, stats.PrematureRetries);
        Assert.True(connection.Context.Graph.Pacer.Pauses >= 1);
    }

    [Fact]
    public async Task RetryAfterAsHttpDate_IsHonoured()
    {
        await sandbox.Host.Control.SetThrottlingAsync(retryAfterMode: RetryAfterMode.Date);
        try
        {
            await sandbox.Host.Control.AddFaultAsync(new FaultRule { Method = "GET", Path = "/v1.0/users*", Status = 429, RetryAfterSeconds = 1, Times = 2 });

            await ListUsersAsync();

            var stats = await UsersStatsAsync();
            Assert.Equal(2, stats.TooManyRequests);
            Assert.Equal(0, stats.PrematureRetries);
        }
        finally
        {
            await sandbox.Host.Control.SetThrottlingAsync(retryAfterMode: RetryAfterMode.Seconds);
        }
    }

    [Fact]
    public async Task ThrottlingBuckets_AtTinyScale_AreWorkedThrough_WithNoPrematureRetry()
    {
        await sandbox.Host.Control.SetThrottlingAsync(scale: 0.02);

        // Graph's early warning would let the pacer avoid every 429: make it unreadable (ignored), so 429s must happen.
        await sandbox.Host.Control.AddFaultAsync(new FaultRule
        {
            Kind = FaultKind.Headers, Method = "GET", Path = "/v1.0/users*",
            Headers = new Dictionary<string, string> { ["x-ms-throttle-limit-percentage"] = "NaN" },
        });
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => connection.Context.Graph.CallAsync(
                (g, c) => g.Users.GetAsync(r => r.QueryParameters.Select = ["id"], c), "users", CancellationToken.None)));

            // Every throttled request was retried only after its Retry-After. (Which of the other parallel requests were
            // still in flight when a 429 came back depends on how busy the machine is, so that count is not asserted.)
            var stats = await UsersStatsAsync();
            Assert.True(stats.TooManyRequests > 0, "the tiny scale should have throttled some requests");
            Assert.Equal(0, stats.PrematureResends);
        }
        finally
        {
            await sandbox.Host.Control.SetThrottlingAsync(scale: 1.0);
        }
    }

    [Fact]
    public async Task ServiceUnavailableBurst_IsSurvived()
    {
        await sandbox.Host.Control.AddFaultAsync(new FaultRule { Method = "GET", Path = "/v1.0/users*", Status = 503, Times = 3 });
        await sandbox.Host.Control.AddFaultAsync(new FaultRule { Method = "GET", Path = "/v1.0/users*", Status = 504, Times = 1 });

        await ListUsersAsync();

        var stats = await UsersStatsAsync();
        Assert.Equal(5, stats.Requests);
        Assert.Equal(1, stats.Statuses["200"]);
    }

    [Fact]
    public async Task Cancel_WhileWaitingOutRetryAfter_StopsPromptly_WithoutRetrying()
    {
        await sandbox.Host.Control.AddFaultAsync(new FaultRule { Method = "GET", Path = "/v1.0/users*", Status = 429, RetryAfterSeconds = 60, Times = 1 });
        using var cts = new CancellationTokenSource();
        var waiting = new TaskCompletionSource();

        Task call;
        using (OperationScope.Enter(new WaitSignal(waiting)))
        {
            call = ListUsersAsync(cts.Token);
        }

        await waiting.Task;
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal(1, (await UsersStatsAsync()).Requests);
    }

    [Fact]
    public async Task AlwaysThrottled_BeyondTheBudget_FailsWithThrottledTooLong()
    {
        var tight = await FabrikamWithBudgetAsync(TimeSpan.FromSeconds(2));
        await sandbox.Host.Control.AddFaultAsync(new FaultRule { Method = "GET", Path = "/v1.0/users*", Status = 429, RetryAfterSeconds = 30, TenantId = sandbox.Fabrikam.TenantId });

        var error = await Assert.ThrowsAsync<CasException>(() => tight.Context.Graph.CallAsync((g, c) => g.Users.GetAsync(cancellationToken: c), "users", CancellationToken.None));

        Assert.Equal(ErrorIds.ThrottledTooLong, error.ErrorId);
        Assert.Equal(0, (await sandbox.Host.Control.GetStatsAsync()).Totals.PrematureRetries);
    }

    [Fact]
    public async Task ARetryAfterOfADay_FailsAtOnceWithThrottledTooLong_NamingIt_AndNeverPausesTheConnectionPastTheBudget()
    {
        var budget = TimeSpan.FromMinutes(1);
        var tight = await FabrikamWithBudgetAsync(budget);
        await sandbox.Host.Control.AddFaultAsync(new FaultRule { Method = "GET", Path = "/v1.0/users*", Status = 429, RetryAfterSeconds = 86_400, Times = 1, TenantId = sandbox.Fabrikam.TenantId });
        Task<Microsoft.Graph.Models.UserCollectionResponse?> List() =>
            tight.Context.Graph.CallAsync((g, c) => g.Users.GetAsync(cancellationToken: c), "users", CancellationToken.None);

        var error = await Assert.ThrowsAsync<CasException>(List);

        Assert.Equal(ErrorIds.ThrottledTooLong, error.ErrorId);
        Assert.Contains("wait 86400 s (until ", error.Message, StringComparison.Ordinal);
        Assert.True(tight.Context.Graph.Pacer.PausedUntil <= DateTimeOffset.UtcNow + budget, "the connection is never paused past the budget");

        // The connection's next call cannot outlast Graph's answer either: it fails too, without sending anything.
        var next = await Assert.ThrowsAsync<CasException>(List);
        Assert.Equal(ErrorIds.ThrottledTooLong, next.ErrorId);
        Assert.Equal(1, (await UsersStatsAsync()).Requests);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e308")]
    public async Task AHostileQuotaShare_FromGraph_IsIgnored_AndTheConnectionKeepsWorking(string hostile)
    {
        // Graph's warnings (here from the fault API, for exact counts) start pacing; then one answer carries a share that is
        // no share. Before the fix, the pace became NaN or overflowed, and every later request of the connection threw.
        FaultRule Share(string share, int times) => new()
        {
            Kind = FaultKind.Headers, Method = "GET", Path = "/v1.0/users*", Times = times,
            Headers = new Dictionary<string, string> { ["x-ms-throttle-limit-percentage"] = share },
        };
        await sandbox.Host.Control.AddFaultAsync(Share("0.8", 1));
        await sandbox.Host.Control.AddFaultAsync(Share("0.9", 5));
        await sandbox.Host.Control.AddFaultAsync(Share(hostile, 1));
        for (var i = 0; i < 6; i++)
        {
            await ListUsersAsync();
        }

        var paced = connection.Context.Graph.Pacer.Interval;
        Assert.True(paced > TimeSpan.Zero, "the warnings started pacing");

        await ListUsersAsync();
        await ListUsersAsync();
        await ListUsersAsync();

        // Still a pace (the sandbox's own answers, with no warning, let it quicken), and every call answered.
        Assert.InRange(connection.Context.Graph.Pacer.Interval, TimeSpan.FromTicks(1), paced);
        Assert.Equal(9, (await UsersStatsAsync()).Statuses["200"]);
    }

    private Task<CasConnection> FabrikamWithBudgetAsync(TimeSpan budget)
    {
        var r = sandbox.Request(sandbox.Fabrikam, SignInMode.ClientSecret);
        return new ConnectionManager().ConnectAsync(new ConnectionRequest
        {
            Mode = r.Mode, Tenant = r.Tenant, Environment = r.Environment, SandboxUrl = r.SandboxUrl, SandboxThumbprint = r.SandboxThumbprint,
            ClientId = r.ClientId, ClientSecret = r.ClientSecret,
            Resilience = new Resilience.ResilienceOptions { TotalBudget = budget },
        }, NullOperationObserver.Instance, CancellationToken.None);
    }

    private sealed class WaitSignal(TaskCompletionSource signal) : NullOperationObserver
    {
        public override void Verbose(string message)
        {
            if (message.Contains("retrying", StringComparison.Ordinal))
            {
                signal.TrySetResult();
            }
        }
    }
}
