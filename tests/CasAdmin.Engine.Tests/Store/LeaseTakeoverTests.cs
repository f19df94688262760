using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Tests.Store;

/// <summary>A removal job's lease held by an engine on this machine whose process is gone is taken over at once; any other holder keeps it until it expires.</summary>
public sealed class LeaseTakeoverTests : IDisposable
{
    private const string Me = "this-test/pid 1/0123456789abcdef0123456789abcdef/00000000";
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>A registry with one job whose lease (two minutes, the default) <paramref name="holder"/> holds.</summary>
    private async Task<(RemovalLeaseRepository Leases, RemovalJobRepository Jobs, Guid JobId)> JobLeasedByAsync(string holder)
    {
        var store = RegistryStore.Open(folder.File("registry.db"));
        var account = new CasServiceAccount
        {
            AccountId = Guid.NewGuid(), TenantId = Guid.NewGuid().ToString(), Service = CasService.Teams, AppId = Guid.NewGuid().ToString(),
            Status = ServiceAccountStatus.Active, CreatedOn = DateTimeOffset.UtcNow, UpdatedOn = DateTimeOffset.UtcNow,
        };
        await store.WriteAsync((c, t, ct) => AccountRepository.InsertAsync(c, t, account, ct), CancellationToken.None);
        var leases = new RemovalLeaseRepository(store);
        var (jobId, lease) = await leases.OpenAndLeaseAsync(account, RemovalPlan.For(account).Select(k => RemovalPlan.Names[k]).ToArray(), holder,
            new RemovalOptions().LeaseDuration, CancellationToken.None);
        Assert.True(lease.IsAcquired);
        return (leases, new RemovalJobRepository(store), jobId);
    }

    [Fact]
    public async Task HolderOnThisMachineWhoseProcessEnded_IsTakenOverAtOnce()
    {
        var dead = await CrashHost.KilledRunnerOwnerAsync();
        var (leases, jobs, jobId) = await JobLeasedByAsync(dead);

        var outcome = await leases.TryLeaseAsync(jobId, Me, TimeSpan.FromMinutes(2), CancellationToken.None);

        Assert.True(outcome.IsAcquired);
        Assert.Equal(dead, outcome.TakenOverFrom);
        Assert.Equal(Me, (await jobs.GetAsync(jobId, CancellationToken.None))!.LeaseOwner);
    }

    /// <summary>The probe of a gone runner's marker deletes it: asked again (its tenant claim, then its job's lease), the answer must not change.</summary>
    [Fact]
    public async Task AGoneRunner_IsStillGone_WhenAskedAgain()
    {
        var dead = await CrashHost.KilledRunnerOwnerAsync();

        Assert.True(LeaseHolder.IsDeadOnThisMachine(dead));
        Assert.True(LeaseHolder.IsDeadOnThisMachine(dead));
    }

    [Theory]
    [InlineData("a running process (this one: another engine in it)")]
    [InlineData("another machine")]
    [InlineData("a cloned machine with the same host name")]
    [InlineData("an owner string in another format")]
    public async Task AnyOtherHolder_KeepsItsLeaseUntilItExpires(string who)
    {
        var ended = await CrashHost.EndedProcessIdAsync();
        var holder = who switch
        {
            "another machine" => $"not-{Environment.MachineName}/pid {ended}/{Guid.NewGuid():N}/0123abcd",

            // Same host name and a pid that has ended here: the old owner format took such a live lease over at once.
            "a cloned machine with the same host name" => $"{Environment.MachineName}/pid {ended}/{Guid.NewGuid():N}/0123abcd",
            "an owner string in another format" => $"{Environment.MachineName}/pid {ended}/0123abcd",
            _ => LeaseHolder.NewOwner(),
        };
        var (leases, jobs, jobId) = await JobLeasedByAsync(holder);

        var outcome = await leases.TryLeaseAsync(jobId, Me, TimeSpan.FromMinutes(2), CancellationToken.None);

        Assert.False(outcome.IsAcquired);
        Assert.Equal(holder, outcome.Holder);
        Assert.Null(outcome.TakenOverFrom);
        Assert.Equal(holder, (await jobs.GetAsync(jobId, CancellationToken.None))!.LeaseOwner);
    }
}
