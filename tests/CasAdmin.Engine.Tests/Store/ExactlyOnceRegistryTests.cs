using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Store;
using CasAdmin.Engine.Tests.Deprovisioning;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace CasAdmin.Engine.Tests.Store;

/// <summary>
/// The shared registry on PostgreSQL, exactly once: leases judged by the server's clock, a COMMIT whose answer was lost
/// neither failed nor doubled, Ctrl+C with the server down, and the connection string's own settings and secrets.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ExactlyOnceRegistryTests(PostgresFixture postgres, SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    private const string A = "host-a/pid 1/00000000000000000000000000000001/00000001";
    private const string B = "host-b/pid 2/00000000000000000000000000000002/00000002";

    private async Task<string> NewRegistryAsync() => postgres.Cluster.ConnectionString(await postgres.Cluster.CreateDatabaseAsync());

    private static CasServiceAccount Account() => new()
    {
        AccountId = Guid.NewGuid(), TenantId = Guid.NewGuid().ToString(), Service = CasService.Teams, AppId = Guid.NewGuid().ToString(),
        Status = ServiceAccountStatus.Active, CreatedOn = DateTimeOffset.UtcNow, UpdatedOn = DateTimeOffset.UtcNow,
    };

    /// <summary>A new account's job, opened and leased by <paramref name="holder"/> through <paramref name="leases"/>.</summary>
    private static async Task<(Guid JobId, int Steps)> LeasedJobAsync(RegistryStore store, RemovalLeaseRepository leases, string holder, TimeSpan lease)
    {
        var account = Account();
        var steps = RemovalPlan.For(account).Select(k => RemovalPlan.Names[k]).ToArray();
        await store.WriteAsync((c, t, ct) => AccountRepository.InsertAsync(c, t, account, ct), CancellationToken.None);
        var (jobId, outcome) = await leases.OpenAndLeaseAsync(account, steps, holder, lease, CancellationToken.None);
        Assert.True(outcome.IsAcquired);
        return (jobId, steps.Length);
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql, params (string, object?)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task ARunnerWhoseClockIsFiveMinutesAhead_CannotTakeALiveLease_AndItsLeasesEndByTheServersClock()
    {
        var cs = await NewRegistryAsync();
        var store = RegistryStore.Open(cs);
        var aheadClock = new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5));
        var honest = new RemovalLeaseRepository(store);
        var ahead = new RemovalLeaseRepository(store, aheadClock);
        var lease = TimeSpan.FromMinutes(2);

        var (live, _) = await LeasedJobAsync(store, honest, A, lease);
        var refused = await ahead.TryLeaseAsync(live, B, lease, CancellationToken.None);

        Assert.False(refused.IsAcquired);
        Assert.Equal(A, refused.Holder);

        // A lease the fast runner does take ends two minutes after the server's now, not seven.
        var (free, _) = await LeasedJobAsync(store, ahead, B, lease);
        Assert.True(await ahead.RenewAsync(free, B, lease, CancellationToken.None));
        var left = Convert.ToDouble(await ScalarAsync(cs, "SELECT EXTRACT(EPOCH FROM (lease_expires::timestamptz - clock_timestamp())) FROM removal_jobs WHERE job_id = @j", ("j", free.ToString())), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(left, 0, lease.TotalSeconds);
        Assert.Equal(A, (await new RemovalJobRepository(store, aheadClock).GetAsync(live, CancellationToken.None))!.LeaseOwner);
    }

    /// <summary>
    /// The server commits, then the connection dies before its answer arrives (terminated from another connection, so
    /// the next use of it fails as the COMMIT's answer would have). The store retries: the retry must see that its write
    /// committed, not run it again and meet its own work as a rival's.
    /// </summary>
    [Fact]
    public async Task ACommitWhoseAnswerIsLost_IsNeitherAnErrorNorADouble()
    {
        var cs = await NewRegistryAsync();
        using var h = new EngineHarness(sandbox, storePath: cs);
        var store = (PostgresRegistryStore)RegistryStore.Open(cs);
        var lost = 0;
        store.AfterCommit = async connection =>
        {
            if (Interlocked.Exchange(ref lost, 1) == 0)
            {
                await LoseTheAnswerAsync(connection, cs);
            }
        };

        // A finished job: its last write also lets go of the lease; run again, it would say LeaseLost.
        var (jobId, steps) = await LeasedJobAsync(store, new RemovalLeaseRepository(store), A, TimeSpan.FromMinutes(2));
        var jobs = new RemovalJobRepository(store);
        lost = 0;
        await new RemovalJournal(store, jobId, A).FinishStepAsync(steps - 1, RemovalStepStatus.Succeeded, "done", [], CancellationToken.None, jobSucceeded: true);
        Assert.Equal(1, lost);
        var job = (await jobs.GetAsync(jobId, CancellationToken.None))!;
        Assert.Equal(RemovalJobStatus.Succeeded, job.Status);
        Assert.Null(job.LeaseOwner);

        // A registration: run again, it would find its own row and say ServiceAccountExists, and audit it twice.
        var admin = await h.AdminAsync(sandbox.Contoso);
        var seeded = Footprint.Seeded(sandbox.Contoso, CasService.Teams);
        lost = 0;
        var account = await h.Engine.Accounts.RegisterAsync(admin, new RegisterAccountRequest { Service = CasService.Teams, Kind = ServiceAccountKind.AuthorizedAccount, AppId = seeded.AppId },
            h.Observer, CancellationToken.None);
        Assert.Equal(1, lost);
        Assert.Equal(seeded.AppId, account.AppId);
        Assert.Equal(1L, await ScalarAsync(cs, "SELECT COUNT(*) FROM service_accounts WHERE app_id = @a", ("a", seeded.AppId)));
        Assert.Equal(1L, await ScalarAsync(cs, "SELECT COUNT(*) FROM audit_log WHERE account_id = @a", ("a", account.AccountId.ToString())));
        store.AfterCommit = null;
    }

    private static async Task LoseTheAnswerAsync(NpgsqlConnection connection, string cs)
    {
        var pid = connection.ProcessID;
        Assert.True((bool)(await ScalarAsync(cs, "SELECT pg_terminate_backend(@p)", ("p", pid)))!);

        // pg_terminate_backend only signals: wait (bounded) until the backend is gone, so the next use surely fails.
        for (var i = 0; i < 300 && await ScalarAsync(cs, "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = @p", ("p", pid)) is long n && n > 0; i++)
        {
            await Task.Delay(100);
        }

        await using var probe = new NpgsqlCommand("SELECT 1", connection);
        await probe.ExecuteScalarAsync();
        throw new InvalidOperationException("The terminated connection still answered: the lost COMMIT answer was not simulated.");
    }

    /// <summary>
    /// Ctrl+C while the registry is down: the run stops without waiting out the store's retries (here on a clock that
    /// never moves, so a retry would wait for ever): letting go of the lease gets one attempt, and the lease expires
    /// (or is taken over by a rerun on this machine) if it fails.
    /// </summary>
    [Fact]
    public async Task CtrlC_WithTheServerDown_ReturnsWithoutWaitingOutTheRetries()
    {
        var cs = await NewRegistryAsync();
        using var h = new EngineHarness(sandbox, storePath: cs);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var seeded = Footprint.Seeded(sandbox.Contoso, CasService.Teams);
        var account = await h.Engine.Accounts.RegisterAsync(admin, new RegisterAccountRequest { Service = CasService.Teams, Kind = ServiceAccountKind.AuthorizedAccount, AppId = seeded.AppId },
            h.Observer, CancellationToken.None);
        var store = (PostgresRegistryStore)RegistryStore.Open(cs);
        store.UseRetryClock(new FakeTimeProvider());
        using var cts = new CancellationTokenSource();
        h.Engine.Deprovisioning.Runner.Hooks().BeforeStep = (_, kind) =>
        {
            if (kind == StepKind.VerifyAccount)
            {
                postgres.Cluster.StopAsync().GetAwaiter().GetResult();
                cts.Cancel();
            }
        };
        try
        {
            var run = Footprint.RemoveAsync(h, [account], admin, ct: cts.Token);

            // The bound only turns a hang into a failure; the fake retry clock never moves, so no retry ever ends.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(3)));
        }
        finally
        {
            h.Engine.Deprovisioning.Runner.Probe = RemovalProbe.None;
            store.UseRetryClock(TimeProvider.System);
            await postgres.Cluster.StartAgainAsync();
        }

        Assert.True(cts.IsCancellationRequested);

        // The lease could not be let go of (the server was down), yet a rerun in this same session resumes at once: the
        // stopped run's owner is retired, so its lease is taken over instead of waited out (two minutes).
        var resumed = Assert.Single(await Footprint.RemoveAsync(h, [account], admin));
        Assert.Equal(RemovalJobStatus.Succeeded, resumed.Job?.Status);
        Assert.Contains("which is no longer running", h.Observer.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExplicitTimeout_WinsOverCasAdminsTenSeconds()
    {
        var cs = await NewRegistryAsync();
        Assert.Equal(10, ((PostgresRegistryStore)RegistryStore.Open(cs)).ConnectTimeout);
        var fifteen = await NewRegistryAsync();
        Assert.Equal(15, ((PostgresRegistryStore)RegistryStore.Open(fifteen + ";Timeout=15")).ConnectTimeout);
        var twenty = await NewRegistryAsync();
        Assert.Equal(20, ((PostgresRegistryStore)RegistryStore.Open(twenty + ";timeout = 20")).ConnectTimeout);
    }

    [Theory]
    [InlineData("SSL Password")]
    [InlineData("SslPassword")]
    [InlineData("ssl password ")]
    [InlineData("Password")]
    [InlineData("PWD")]
    [InlineData("Psw")]
    public async Task ASecretInTheConnectionString_IsRefused_AtConnectAndAtOpen_AndNeverShown(string key)
    {
        const string secret = "s3cr3t-Value-9";
        var cs = postgres.Cluster.ConnectionString("casadmin") + $";{key}={secret}";

        var open = Assert.Throws<CasException>(() => RegistryStore.Open(cs));
        using var h = new EngineHarness(sandbox, storePath: cs);
        var connect = await Assert.ThrowsAsync<CasException>(() => h.AdminAsync(sandbox.Contoso));

        foreach (var e in new[] { open, connect })
        {
            Assert.Equal(ErrorIds.InvalidArgument, e.ErrorId);
            Assert.NotNull(e.RecommendedAction);
            Assert.DoesNotContain(secret, e.ToString(), StringComparison.Ordinal);
        }

        Assert.Empty(h.Engine.Connections.GetConnections());
    }
}
