using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Store;
using CasAdmin.Sandbox;

namespace CasAdmin.Engine.Tests.Deprovisioning;

/// <summary>A sandbox with many generated tenants, each holding many seeded service accounts.</summary>
public sealed class GeneratedTenantsFixture : IAsyncLifetime
{
    public SandboxHost Host { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Host = await SandboxHost.StartAsync(new SandboxOptions { Scenario = "generated:tenants=15,users=10,chats=20,accounts=20,seed=11" });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Bulk removal across tenants: resume after a crash at every step boundary, two engines on one registry, faults.</summary>
public sealed class BulkRemovalTests(GeneratedTenantsFixture generated, SandboxFixture sandbox) : IClassFixture<GeneratedTenantsFixture>, IClassFixture<SandboxFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await generated.Host.Control.ResetAsync();
        await sandbox.Host.Control.ResetAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<(EngineHarness H, List<CasConnection> Connections, List<CasServiceAccount> Accounts)> RegisterGeneratedAsync(int tenants)
    {
        var h = new EngineHarness(SandboxFixture.Wrap(generated.Host));
        var connections = new List<CasConnection>();
        var accounts = new List<CasServiceAccount>();
        foreach (var tenant in generated.Host.Tenants.Take(tenants))
        {
            var connection = await h.AdminAsync(tenant);
            connections.Add(connection);
            accounts.AddRange(await Footprint.RegisterAllAsync(h, connection));
        }

        return (h, connections, accounts);
    }

    private static Task<RemovalTarget[]> TargetsAsync(EngineHarness h, IEnumerable<CasServiceAccount> accounts) =>
        Footprint.TargetsAsync(h.Engine, accounts, a => h.Engine.Connections.Resolve(a.TenantId));

    private static async Task<int> LivePrincipalsAsync(IEnumerable<CasConnection> connections, IEnumerable<CasServiceAccount> accounts)
    {
        var live = 0;
        foreach (var a in accounts.Where(a => a.AppId is not null))
        {
            if (await Footprint.PrincipalExistsAsync(connections.First(c => c.TenantId == a.TenantId), a.AppId!))
            {
                live++;
            }
        }

        return live;
    }

    [Fact]
    public async Task CrashAtEveryStepBoundary_RerunEndsExactlyLikeAnUninterruptedRun()
    {
        // The uninterrupted reference.
        var reference = await RunSharePointDelegateAsync(crashAfter: null);

        var steps = reference.Steps.Count;
        for (var k = 0; k < steps; k++)
        {
            await sandbox.Host.Control.ResetAsync();
            var resumed = await RunSharePointDelegateAsync(crashAfter: k);

            Assert.Equal(reference.Status, resumed.Status);
            Assert.Equal(reference.Steps.Select(s => (s.Name, s.Status)), resumed.Steps.Select(s => (s.Name, s.Status)));
            Assert.Equal(reference.RemainingChanges.Select(i => (i.Kind, i.Name)).Order(), resumed.RemainingChanges.Select(i => (i.Kind, i.Name)).Order());
        }
    }

    private async Task<CasRemovalJob> RunSharePointDelegateAsync(int? crashAfter)
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var seeded = Footprint.Seeded(sandbox.Contoso, CasService.SharePointOnline);
        var account = await h.Engine.Accounts.RegisterAsync(admin, new RegisterAccountRequest
        {
            Service = CasService.SharePointOnline, Kind = ServiceAccountKind.DelegateAccount, AppId = seeded.AppId, DelegateAccount = seeded.DelegateUser,
        }, h.Observer, CancellationToken.None);
        var options = new RemovalOptions { RemoveDelegateAccount = true };
        if (crashAfter is int k)
        {
            var seen = 0;
            h.Engine.Deprovisioning.Runner.Hooks().AfterStep = (_, _) =>
            {
                if (seen++ == k)
                {
                    throw new StepBoundaryCrash();
                }
            };
            await Assert.ThrowsAsync<StepBoundaryCrash>(() => Footprint.RemoveAsync(h, [account], admin, options));
            h.Engine.Deprovisioning.Runner.Probe = RemovalProbe.None;
            var interrupted = Assert.Single(await h.Engine.Deprovisioning.GetJobsAsync(h.StorePath, null, account.AccountId, null, null, CancellationToken.None));
            Assert.Equal(k + 1, interrupted.Steps.Count(s => s.Status is RemovalStepStatus.Succeeded or RemovalStepStatus.Skipped));
        }

        var result = Assert.Single(await Footprint.RemoveAsync(h, [account], admin, options));
        if (crashAfter is not null && result.Error?.ErrorId == ErrorIds.AlreadyRemoved)
        {
            // The crash came after the last step, whose journal entry also recorded the job's success: nothing to resume.
            result = result with { Job = Assert.Single(await h.Engine.Deprovisioning.GetJobsAsync(h.StorePath, null, account.AccountId, null, null, CancellationToken.None)) };
        }

        Assert.False(await Footprint.PrincipalExistsAsync(admin, seeded.AppId));
        Assert.False(await Footprint.UserExistsAsync(admin, seeded.DelegateUser!));
        Assert.Equal(ServiceAccountStatus.Removed, (await h.Engine.Accounts.GetAsync(h.StorePath, account.AccountId, CancellationToken.None)).Status);
        return result.Job!;
    }

    [Fact]
    public async Task TwoEnginesOnOneRegistry_RemoveEachAccountExactlyOnce()
    {
        var (h, connections, accounts) = await RegisterGeneratedAsync(tenants: 5);
        using var _ = h;
        var subset = accounts.Take(100).ToList();
        Assert.Equal(100, subset.Count);
        var other = new DeprovisioningService(h.Vault, "engine-B");
        var mine = h.Engine.Deprovisioning;
        var targets = await TargetsAsync(h, subset);

        var both = await Task.WhenAll(
            mine.RemoveAsync(targets, new RemovalOptions { ThrottleLimit = 8 }, h.Observer, CancellationToken.None),
            other.RemoveAsync(targets.Reverse().ToArray(), new RemovalOptions { ThrottleLimit = 8 }, h.Observer, CancellationToken.None));

        var winsA = both[0].Where(r => r.Succeeded).Select(r => r.AccountId).ToHashSet();
        var winsB = both[1].Where(r => r.Succeeded).Select(r => r.AccountId).ToHashSet();
        Assert.Empty(winsA.Intersect(winsB));

        // Graph throttles per app and tenant: the engines split the tenants (their claims) rather than both pace each one.
        var tenantOf = subset.ToDictionary(a => a.AccountId, a => a.TenantId);
        Assert.Empty(winsA.Select(a => tenantOf[a]).Intersect(winsB.Select(b => tenantOf[b])));
        Assert.Equal(subset.Select(a => a.AccountId).ToHashSet(), winsA.Union(winsB).ToHashSet());
        foreach (var loser in both.SelectMany(r => r).Where(r => !r.Succeeded))
        {
            Assert.True(loser.Error?.ErrorId is ErrorIds.RemovalInProgress or ErrorIds.AlreadyRemoved,
                $"{loser.AccountId}: {loser.Error?.ErrorId ?? loser.Job?.Status + " " + loser.Job?.ErrorId + " " + loser.Job?.Error}");
            if (loser.Error!.ErrorId == ErrorIds.RemovalInProgress)
            {
                Assert.True(loser.Error.Message.Contains($"/{LeaseHolder.RunnerId}/", StringComparison.Ordinal) || loser.Error.Message.Contains("engine-B", StringComparison.Ordinal));
            }
        }

        var jobs = await mine.GetJobsAsync(h.StorePath, null, null, null, null, CancellationToken.None);
        Assert.Equal(100, jobs.Count);
        Assert.All(jobs, j => Assert.Equal(RemovalJobStatus.Succeeded, j.Status));
        Assert.Equal(0, await LivePrincipalsAsync(connections, subset));
        var stats = await h.Sandbox.Host.Control.GetStatsAsync();
        Assert.Empty(Footprint.Repeats(stats));
    }

    /// <summary>
    /// Two runspaces of one pwsh (ForEach-Object -Parallel, thread jobs) share one engine: two runs of the same engine
    /// remove the same accounts at once. Each account is removed by one run only; the other is told RemovalInProgress
    /// (or AlreadyRemoved), never LeaseLost, and no step runs twice (the sandbox counts no repeated delete or write).
    /// </summary>
    [Fact]
    public async Task TwoRunsOfOneEngine_LikeTwoRunspaces_RemoveEachAccountExactlyOnce()
    {
        var (h, connections, accounts) = await RegisterGeneratedAsync(tenants: 2);
        using var _ = h;
        var subset = accounts.Take(16).ToList();
        var targets = await TargetsAsync(h, subset);
        await generated.Host.Control.SetLatencyAsync(40);
        IReadOnlyList<RemovalResult>[] both;
        try
        {
            var engine = h.Engine.Deprovisioning;
            both = await Task.WhenAll(
                Task.Run(() => engine.RemoveAsync(targets, new RemovalOptions { ThrottleLimit = 8 }, h.Observer, CancellationToken.None)),
                Task.Run(() => engine.RemoveAsync(targets, new RemovalOptions { ThrottleLimit = 8 }, h.Observer, CancellationToken.None)));
        }
        finally
        {
            await generated.Host.Control.SetLatencyAsync(0);
        }

        var wins = both.SelectMany(r => r).Where(r => r.Succeeded).Select(r => r.AccountId).ToList();
        Assert.Equal(subset.Select(a => a.AccountId).Order(), wins.Order());
        foreach (var loser in both.SelectMany(r => r).Where(r => !r.Succeeded))
        {
            Assert.True(loser.Error?.ErrorId is ErrorIds.RemovalInProgress or ErrorIds.AlreadyRemoved,
                $"{loser.AccountId}: {loser.Error?.ErrorId ?? loser.Job?.Status + " " + loser.Job?.ErrorId + " " + loser.Job?.Error}");
        }

        var stats = await generated.Host.Control.GetStatsAsync();
        Assert.Empty(Footprint.Repeats(stats));
        Assert.Equal(0, await LivePrincipalsAsync(connections, subset));
    }

    [Fact]
    public async Task ThreeHundredAccounts_UnderRandomFaults_AllEndRemoved_RegistryAndTenantAgree()
    {
        var (h, connections, registered) = await RegisterGeneratedAsync(tenants: 15);
        using var _ = h;
        var accounts = registered.Take(300).ToList();
        Assert.Equal(300, accounts.Count);
        var control = generated.Host.Control;
        await control.AddFaultAsync(new FaultRule { Path = "/v1.0/*", Status = 503, Probability = 0.025 });
        await control.AddFaultAsync(new FaultRule { Path = "/v1.0/*", Status = 504, Probability = 0.025 });
        await control.AddFaultAsync(new FaultRule { Kind = FaultKind.AppliedButLost, Path = "/v1.0/*", Probability = 0.01 });
        await control.AddFaultAsync(new FaultRule { Path = "/v1.0/*", Status = 429, Probability = 0.01 });
        try
        {
            var results = await h.Engine.Deprovisioning.RemoveAsync(await TargetsAsync(h, accounts), new RemovalOptions { ThrottleLimit = 16, RemoveDelegateAccount = true }, h.Observer, CancellationToken.None);

            Assert.All(results, r => Assert.True(r.Succeeded, $"{r.AccountId}: {r.Error?.Message ?? r.Job?.Error}"));
        }
        finally
        {
            await control.ClearFaultsAsync();
        }

        var stats = await control.GetStatsAsync();
        Assert.True(stats.Totals.FaultsInjected > 0);
        Assert.Equal(0, stats.Totals.PrematureRetries);

        // Exactly once under faults: a resend of a request whose answer was lost is not a repeat; a step run twice is.
        Assert.Empty(Footprint.Repeats(stats));
        Assert.Equal(0, await LivePrincipalsAsync(connections, accounts));
        var registry = (await h.Engine.Accounts.GetAsync(h.StorePath, null, null, null, true, CancellationToken.None)).ToDictionary(a => a.AccountId);
        Assert.All(accounts, a => Assert.Equal(ServiceAccountStatus.Removed, registry[a.AccountId].Status));
    }

    [Fact]
    public async Task AnUnforeseenException_FailsOnlyItsJobs_JournalsTheStep_AndEveryFinishedJobIsReported()
    {
        var (h, connections, accounts) = await RegisterGeneratedAsync(tenants: 2);
        using var _ = h;
        var targets = await TargetsAsync(h, accounts);
        var broken = connections[1];

        // The work of one tenant's steps fails with what no translation foresaw (a disk, a socket, a disposed object).
        h.Engine.Deprovisioning.Runner.Hooks().BeforeStep = (account, kind) =>
        {
            if (account.TenantId == broken.TenantId)
            {
                throw new IOException("simulated: the disk went away");
            }
        };

        var results = await h.Engine.Deprovisioning.RemoveAsync(targets, new RemovalOptions { ThrottleLimit = 4 }, h.Observer, CancellationToken.None);

        Assert.Equal(targets.Length, results.Count);
        Assert.All(results.Where(r => accounts.Single(a => a.AccountId == r.AccountId).TenantId != broken.TenantId), r => Assert.True(r.Succeeded, r.Error?.Message ?? r.Job?.Error));
        var failed = results.Where(r => accounts.Single(a => a.AccountId == r.AccountId).TenantId == broken.TenantId).ToList();
        Assert.NotEmpty(failed);
        foreach (var r in failed)
        {
            Assert.False(r.Succeeded);
            Assert.Equal(ErrorIds.RemovalFailed, r.Error?.ErrorId ?? r.Job?.ErrorId);
            if (r.Job is { } job)
            {
                Assert.Equal(RemovalJobStatus.Failed, job.Status);
                var step = Assert.Single(job.Steps, s => s.Status == RemovalStepStatus.Failed);
                Assert.Equal(ErrorIds.RemovalFailed, step.ErrorId);
                Assert.Equal("The removal failed unexpectedly: IOException: simulated: the disk went away", step.Error);
                Assert.DoesNotContain(job.Steps, s => s.Status == RemovalStepStatus.Running);
            }
        }
    }

    [Fact]
    public async Task AReadOnlyRegistry_StopsTheBulkRun_EveryResultSaysStoreReadOnly_AndNothingChanges()
    {
        var (h, connections, accounts) = await RegisterGeneratedAsync(tenants: 2);
        using var _ = h;
        RegistryStore.Forget(h.StorePath);
        SetReadOnly(h.StorePath, true);
        try
        {
            var results = await h.Engine.Deprovisioning.RemoveAsync(await TargetsAsync(h, accounts), new RemovalOptions { ThrottleLimit = 4 }, h.Observer, CancellationToken.None);

            Assert.Equal(accounts.Count, results.Count);
            Assert.All(results, r => Assert.Equal(ErrorIds.StoreReadOnly, r.Error?.ErrorId));
            Assert.True(ErrorRules.IsRegistryUnusable(results[0].Error!.ErrorId));
        }
        finally
        {
            SetReadOnly(h.StorePath, false);
            RegistryStore.Forget(h.StorePath);
        }

        Assert.Empty(await h.Engine.Deprovisioning.GetJobsAsync(h.StorePath, null, null, null, null, CancellationToken.None));
        Assert.Equal(accounts.Count, await LivePrincipalsAsync(connections, accounts.Where(a => a.AppId is not null)) + accounts.Count(a => a.AppId is null));
    }

    private static void SetReadOnly(string path, bool readOnly)
    {
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(path, readOnly ? FileAttributes.ReadOnly : FileAttributes.Normal);
        }
        else
        {
            File.SetUnixFileMode(path, readOnly ? UnixFileMode.UserRead | UnixFileMode.GroupRead : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        }
    }

    [Fact]
    public async Task CtrlC_DuringABulkRemoval_LeavesResumableJobs_ThatFinishOnRerun()
    {
        var (h, connections, accounts) = await RegisterGeneratedAsync(tenants: 3);
        using var _ = h;
        using var cts = new CancellationTokenSource();
        var targets = await TargetsAsync(h, accounts);
        h.Engine.Deprovisioning.Runner.Hooks().AfterStep = (_, _) =>
        {
            if (Interlocked.Increment(ref stepsSeen) == 40)
            {
                cts.Cancel();
            }
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Engine.Deprovisioning.RemoveAsync(targets, new RemovalOptions { ThrottleLimit = 4 }, h.Observer, cts.Token));
        h.Engine.Deprovisioning.Runner.Probe = RemovalProbe.None;
        var unfinished = await h.Engine.Deprovisioning.GetJobsAsync(h.StorePath, null, null, null, RemovalJobStatus.Running, CancellationToken.None);
        Assert.NotEmpty(unfinished);
        Assert.All(unfinished, j => Assert.Null(j.LeaseOwner));

        var results = await h.Engine.Deprovisioning.RemoveAsync(targets, new RemovalOptions { ThrottleLimit = 4 }, h.Observer, CancellationToken.None);

        Assert.All(results, r => Assert.True(r.Succeeded || r.Error?.ErrorId == ErrorIds.AlreadyRemoved));
        Assert.Equal(0, await LivePrincipalsAsync(connections, accounts));
    }

    private int stepsSeen;
}
