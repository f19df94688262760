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
        var manager = new ConnectionManager();
        var r = sandbox.Request(sandbox.Fabrikam, SignInMode.ClientSecret);
        var tight = await manager.ConnectAsync(new ConnectionRequest
        {
            Mode = r.Mode, Tenant = r.Tenant, Environment = r.Environment, SandboxUrl = r.SandboxUrl, SandboxThumbprint = r.SandboxThumbprint,
            ClientId = r.ClientId, ClientSecret = r.ClientSecret,
            Resilience = new Resilience.ResilienceOptions { TotalBudget = TimeSpan.FromSeconds(2) },
        }, NullOperationObserver.Instance, CancellationToken.None);
        await sandbox.Host.Control.AddFaultAsync(new FaultRule { Method = "GET", Path = "/v1.0/users*", Status = 429, RetryAfterSeconds = 30, TenantId = sandbox.Fabrikam.TenantId });

        var error = await Assert.ThrowsAsync<CasException>(() => tight.Context.Graph.CallAsync((g, c) => g.Users.GetAsync(cancellationToken: c), "users", CancellationToken.None));

        Assert.Equal(ErrorIds.ThrottledTooLong, error.ErrorId);
        Assert.Equal(0, (await sandbox.Host.Control.GetStatsAsync()).Totals.PrematureRetries);
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
