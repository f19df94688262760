using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Store;
using CasAdmin.Engine.Tenancy;
using CasAdmin.Sandbox;
using Microsoft.Extensions.Time.Testing;

namespace CasAdmin.Engine.Tests.Deprovisioning;

/// <summary>
/// A step never outlives its lease; -Force does not turn an outage into a forced removal; pacing follows the connection
/// the steps use; runs of one process never share a lease; the runner markers are private.
/// </summary>
public sealed class ExactlyOnceTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    public Task InitializeAsync() => sandbox.Host.Control.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<(CasConnection Admin, CasServiceAccount Account, SandboxFootprintInfo Seeded)> RegisterAsync(EngineHarness h, CasService service = CasService.SharePointOnline)
    {
        var admin = await h.AdminAsync(h.Sandbox.Contoso);
        var seeded = Footprint.Seeded(h.Sandbox.Contoso, service);
        var account = await h.Engine.Accounts.RegisterAsync(admin, new RegisterAccountRequest
        {
            Service = service, Kind = seeded.DelegateUser is null ? ServiceAccountKind.AuthorizedAccount : ServiceAccountKind.DelegateAccount,
            AppId = seeded.AppId, DelegateAccount = seeded.DelegateUser,
        }, h.Observer, CancellationToken.None);
        return (admin, account, seeded);
    }

    /// <summary>
    /// The registry stops answering the renewal (a PostgreSQL write that would be retried for minutes). The attempt is
    /// abandoned when the time left runs out, and the job stops before the step's first Graph call, with LeaseLost.
    /// </summary>
    [Fact]
    public async Task ARenewalThatCannotSucceedInTime_IsAbandoned_AndTheStepStopsBeforeItsNextGraphCall()
    {
        using var h = new EngineHarness(sandbox);
        var (admin, account, seeded) = await RegisterAsync(h);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var runner = h.Engine.Deprovisioning.Runner;
        var renewing = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopped = new TaskCompletionSource<LeaseKeeper>(TaskCreationOptions.RunContinuationsAsynchronously);
        runner.Clock = clock;
        runner.Hooks().Renew = async token =>
        {
            renewing.TrySetResult(token);
            await Task.Delay(Timeout.Infinite, token); // a registry that never answers, however long it is given
            return true;
        };
        runner.Hooks().LeaseStopped = keeper => stopped.TrySetResult(keeper);
        runner.Hooks().BeforeStep = (_, kind) =>
        {
            if (kind != StepKind.RemoveDelegateAccount)
            {
                return;
            }

            // A third of the lease later the renewal starts, and hangs; then the time left runs out.
            clock.Advance(Lease / 3);
            var attempt = renewing.Task.WaitAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
            clock.Advance(Lease - Lease / 3 - LeaseKeeper.Margin(Lease));
            stopped.Task.WaitAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
            Assert.True(attempt.IsCancellationRequested, "the renewal attempt was bounded by the time left on the lease");
        };

        var result = Assert.Single(await Footprint.RemoveAsync(h, [account], admin, new RemovalOptions { RemoveDelegateAccount = true, LeaseDuration = Lease }));

        Assert.Equal(ErrorIds.LeaseLost, result.Error?.ErrorId);
        Assert.Contains("stopped before its next step", result.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("renewed", result.Error.Message, StringComparison.Ordinal);
        Assert.True(await Footprint.UserExistsAsync(admin, seeded.DelegateUser!), "the step made no Graph call after its lease ran out");
        Assert.DoesNotContain("DELETE /v1.0/users/{id}", (await sandbox.Host.Control.GetStatsAsync()).Endpoints.Keys);

        // The job is resumable at once: the lease was let go of (or, had that failed, its retired owner is taken over here).
        runner.Probe = RemovalProbe.None;
        runner.Clock = TimeProvider.System;
        var resumed = Assert.Single(await Footprint.RemoveAsync(h, [account], admin, new RemovalOptions { RemoveDelegateAccount = true }));
        Assert.Equal(RemovalJobStatus.Succeeded, resumed.Job?.Status);
        Assert.False(await Footprint.UserExistsAsync(admin, seeded.DelegateUser!));
    }

    /// <summary>An exception nobody foresaw in the renewal stops the job with it (RemovalFailed), instead of leaving the job to run on an unrenewed lease.</summary>
    [Fact]
    public async Task AnUnexpectedExceptionInTheRenewal_StopsTheJob_NotSilently()
    {
        using var h = new EngineHarness(sandbox);
        var (admin, account, seeded) = await RegisterAsync(h);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var runner = h.Engine.Deprovisioning.Runner;
        var stopped = new TaskCompletionSource<LeaseKeeper>(TaskCreationOptions.RunContinuationsAsynchronously);
        runner.Clock = clock;
        runner.Hooks().Renew = _ => throw new InvalidOperationException("renewal bug");
        runner.Hooks().LeaseStopped = keeper => stopped.TrySetResult(keeper);
        runner.Hooks().BeforeStep = (_, kind) =>
        {
            if (kind == StepKind.RemoveDelegateAccount)
            {
                clock.Advance(Lease / 3);
                stopped.Task.WaitAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
            }
        };

        var result = Assert.Single(await Footprint.RemoveAsync(h, [account], admin, new RemovalOptions { RemoveDelegateAccount = true, LeaseDuration = Lease }));

        Assert.Equal((ErrorIds.RemovalFailed, CasErrorCategory.InvalidOperation), (result.Error?.ErrorId, result.Error?.Category));
        Assert.Equal("The removal failed unexpectedly: InvalidOperationException: renewal bug", result.Error!.Message);
        Assert.Equal(RecommendedActions.ResumeRemoval, result.Error.RecommendedAction);
        Assert.True(await Footprint.UserExistsAsync(admin, seeded.DelegateUser!));
    }

    /// <summary>
    /// A probe's exception after a step that is not a crash (not an OperationCanceledException) is the job's unforeseen
    /// failure: that account's result says RemovalFailed, its finished step stays finished, and a rerun resumes.
    /// </summary>
    [Fact]
    public async Task AProbesOrdinaryExceptionAfterAStep_FailsOnlyThatAccount_AndTheJobResumes()
    {
        using var h = new EngineHarness(sandbox);
        var (admin, account, _) = await RegisterAsync(h);
        var options = new RemovalOptions { RemoveDelegateAccount = true };
        h.Engine.Deprovisioning.Runner.Hooks().AfterStep = (_, _) => throw new InvalidOperationException("probe bug");

        var failed = Assert.Single(await Footprint.RemoveAsync(h, [account], admin, options));
        h.Engine.Deprovisioning.Runner.Probe = RemovalProbe.None;

        Assert.Equal((ErrorIds.RemovalFailed, CasErrorCategory.InvalidOperation), (failed.Error?.ErrorId, failed.Error?.Category));
        Assert.Equal("The removal failed unexpectedly: InvalidOperationException: probe bug", failed.Error!.Message);
        Assert.Equal(RecommendedActions.ResumeRemoval, failed.Error.RecommendedAction);
        var stopped = Assert.Single(await h.Engine.Deprovisioning.GetJobsAsync(h.StorePath, null, account.AccountId, null, null, CancellationToken.None));
        Assert.Equal(RemovalStepStatus.Succeeded, stopped.Steps[0].Status);
        Assert.Equal(RemovalStepStatus.Running, stopped.Steps[1].Status);
        Assert.Null(stopped.LeaseOwner);

        var resumed = Assert.Single(await Footprint.RemoveAsync(h, [account], admin, options));
        Assert.Equal(RemovalJobStatus.Succeeded, resumed.Job?.Status);
        Assert.Equal(stopped.Steps[0].FinishedOn, resumed.Job!.Steps[0].FinishedOn);
    }

    /// <summary>
    /// The TMCAS Inline groups are one pair per tenant: while another running job of the tenant deletes them, this job
    /// leaves them to it (no group deleted twice); a claim whose job is no longer running does not count.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TheTenantsInlineGroups_AreLeftToTheRunningJobThatClaimedThem_NotToOneThatStopped(bool claimantRuns)
    {
        using var h = new EngineHarness(sandbox);
        var (admin, account, _) = await RegisterAsync(h, CasService.ExchangeOnlineInline);
        var store = RegistryStore.Open(h.StorePath);
        var other = new CasServiceAccount
        {
            AccountId = Guid.NewGuid(), TenantId = account.TenantId, Service = CasService.ExchangeOnlineInline, AppId = Guid.NewGuid().ToString(),
            Status = ServiceAccountStatus.Removing, CreatedOn = DateTimeOffset.UtcNow, UpdatedOn = DateTimeOffset.UtcNow,
        };
        var steps = RemovalPlan.For(other).Select(k => RemovalPlan.Names[k]).ToArray();
        const string Holder = "host-x/pid 1/0000000000000000000000000000000a/0000000a";
        await store.WriteAsync((c, t, ct) => AccountRepository.InsertAsync(c, t, other, ct), CancellationToken.None);
        var leases = new RemovalLeaseRepository(store);
        var (otherJob, leased) = await leases.OpenAndLeaseAsync(other, steps, Holder, Lease, CancellationToken.None);
        Assert.True(leased.IsAcquired);
        await store.WriteAsync((c, t, ct) => c.ExecuteAsync(t, "UPDATE removal_steps SET status = 'Running', detail = $d WHERE job_id = $j AND name = $n", ct,
            ("$d", RemovalSteps.InlineGroupsClaim), ("$j", otherJob.ToString()), ("$n", RemovalPlan.Names[StepKind.RemoveInlineGroups])), CancellationToken.None);
        if (!claimantRuns)
        {
            // Its runner stopped: the job still runs, its claim still stands, but nobody holds it.
            await leases.ReleaseAsync(otherJob, Holder, CancellationToken.None);
        }

        var result = Assert.Single(await Footprint.RemoveAsync(h, [account], admin));

        Assert.Equal(RemovalJobStatus.Succeeded, result.Job?.Status);
        var detail = result.Job!.Steps.Single(s => s.Name == RemovalPlan.Names[StepKind.RemoveInlineGroups]).Detail;
        if (claimantRuns)
        {
            Assert.Contains($"Left to job {otherJob}", detail, StringComparison.Ordinal);
            Assert.Equal(2, await Footprint.GroupsAsync(admin));
        }
        else
        {
            // A claim without a live lease (its runner stopped) does not count: this job deletes the groups.
            Assert.Equal("2 group(s) removed", detail);
            Assert.Equal(0, await Footprint.GroupsAsync(admin));
        }
    }

    [Theory]
    [InlineData(ErrorIds.ThrottledTooLong)]
    [InlineData(ErrorIds.ServiceUnavailable)]
    [InlineData(ErrorIds.TenantUnreachable)]
    [InlineData(ErrorIds.RequestTimedOut)]
    [InlineData(ErrorIds.StoreUnavailable)]
    [InlineData(ErrorIds.StoreAccessDenied)]
    public async Task Force_DoesNotTurnAPassingFailureIntoAForcedRemoval_TheJobStaysResumable(string errorId)
    {
        Assert.False(RemovalSteps.IsForceable(new CasException(errorId, CasErrorCategory.ResourceUnavailable, "passing", "again", null)));
        using var h = new EngineHarness(sandbox);
        var (admin, account, seeded) = await RegisterAsync(h, CasService.Teams);
        h.Engine.Deprovisioning.Runner.Hooks().BeforeStep = (_, kind) =>
        {
            if (kind == StepKind.RemoveAppPrincipal)
            {
                throw new CasException(errorId, CasErrorCategory.ResourceUnavailable, "A passing failure.", "Run again.", null);
            }
        };

        var failed = Assert.Single(await Footprint.RemoveAsync(h, [account], admin, new RemovalOptions { Force = true }));

        Assert.Equal(RemovalJobStatus.Failed, failed.Job?.Status);
        Assert.False(failed.Job!.Forced);
        Assert.Equal(errorId, failed.Job.ErrorId);
        Assert.DoesNotContain(failed.Job.RemainingChanges, i => i.Kind == "PendingStep");
        Assert.Equal(ServiceAccountStatus.Removing, (await h.Engine.Accounts.GetAsync(h.StorePath, account.AccountId, CancellationToken.None)).Status);
        Assert.True(await Footprint.PrincipalExistsAsync(admin, seeded.AppId));

        h.Engine.Deprovisioning.Runner.Probe = RemovalProbe.None;
        var resumed = Assert.Single(await Footprint.RemoveAsync(h, [account], admin, new RemovalOptions { Force = true }));
        Assert.Equal(RemovalJobStatus.Succeeded, resumed.Job?.Status);
        Assert.Equal(failed.Job.JobId, resumed.Job!.JobId);
        Assert.False(await Footprint.PrincipalExistsAsync(admin, seeded.AppId));
    }

    [Fact]
    public void Force_StillStepsPastTheAccountsOwnState()
    {
        Assert.True(RemovalSteps.IsForceable(new CasException(ErrorIds.ServiceAccountInvalid, CasErrorCategory.InvalidOperation, "invalid", "force", null)));
        Assert.True(RemovalSteps.IsForceable(new CasException(ErrorIds.ResourceNotFound, CasErrorCategory.ObjectNotFound, "gone", "force", null)));
    }

    /// <summary>With -AdminConnection every step calls Graph through it: the scheduler must wait for its pacer, not the account connection's.</summary>
    [Fact]
    public async Task WithAnAdminConnection_TheSchedulerFollowsThePacerOfTheConnectionTheStepsUse()
    {
        using var h = new EngineHarness(sandbox);
        var contoso = await h.AdminAsync(sandbox.Contoso);
        var contosoAdmin = await h.AdminAsync(sandbox.Contoso);
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);
        contosoAdmin.Context.Graph.Pacer.PauseUntil(DateTimeOffset.UtcNow + TimeSpan.FromHours(1));
        Assert.True(contoso.Context.Graph.Pacer.PausedUntil <= DateTimeOffset.UtcNow);
        await using var scheduler = new TenantScheduler(
            [Target(contoso, contosoAdmin), Target(fabrikam, null)], throttleLimit: 2, LeaseHolder.NewOwner(), TimeSpan.FromMinutes(2), TimeProvider.System, h.Observer);

        var first = await scheduler.TakeAsync(CancellationToken.None);

        Assert.Equal(1, first);
    }

    /// <summary>Two runs in one process (two runspaces) each have their own owner: a live one is refused, an ended one is taken over at once.</summary>
    [Fact]
    public void RunsOfOneProcess_NeverShareALease_AndAnEndedRunIsTakenOverAtOnce()
    {
        var running = LeaseHolder.NewOwner();
        var ended = LeaseHolder.NewOwner();
        LeaseHolder.Retire(ended);

        Assert.NotEqual(running, LeaseHolder.NewOwner());
        Assert.False(LeaseHolder.IsDeadOnThisMachine(running));
        Assert.True(LeaseHolder.IsDeadOnThisMachine(ended));
        LeaseHolder.Retire(running);
    }

    [Fact]
    public void TheRunnerMarkerFolder_IsThisUsersAndPrivate_AndAFolderOthersCanWriteIsNotUsed()
    {
        _ = LeaseHolder.NewOwner();
        var folder = LeaseHolder.MarkerFolder;
        Assert.True(Directory.Exists(folder));
        if (OperatingSystem.IsWindows())
        {
            return; // %TEMP% is per user already.
        }

        Assert.EndsWith("-" + Environment.UserName, folder, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.Contains(LeaseHolder.RunnerId + ".lock", Directory.GetFiles(folder).Select(Path.GetFileName));

        using var temp = new TempFolder();
        var shared = Path.Combine(temp.Path, "shared");
        Directory.CreateDirectory(shared);
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_111);
        Assert.False(LeaseHolder.EnsurePrivateFolder(shared));
        var fresh = Path.Combine(temp.Path, "fresh");
        Assert.True(LeaseHolder.EnsurePrivateFolder(fresh));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(fresh));
    }

    /// <summary>A target of an account the scheduler never reads: only its connections matter to it.</summary>
    private static RemovalTarget Target(CasConnection connection, CasConnection? admin) => RemovalTarget.For(new AccountScope(new CasServiceAccount
    {
        AccountId = Guid.NewGuid(), TenantId = connection.TenantId, Service = CasService.Teams, Status = ServiceAccountStatus.Active,
        CreatedOn = DateTimeOffset.UtcNow, UpdatedOn = DateTimeOffset.UtcNow,
    }, connection, admin), confirmed: true);
}
