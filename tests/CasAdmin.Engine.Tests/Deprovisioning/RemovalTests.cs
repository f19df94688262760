using System.Reflection;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Store;
using CasAdmin.Engine.Tenancy;

namespace CasAdmin.Engine.Tests.Deprovisioning;

/// <summary>Deprovisioning end to end: every service's removal and every rule of the product's deprovisioning topic.</summary>
public sealed class RemovalTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => sandbox.Host.Control.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task EveryService_IsRemoved_ItsAppPrincipalGone_AndRemainingChangesListed()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var accounts = await Footprint.RegisterAllAsync(h, admin);
        Assert.Equal(Enum.GetValues<CasService>().Order(), accounts.Select(a => a.Service).Distinct().Order());
        h.Observer.Confirm = _ => true;

        var results = await Footprint.RemoveAsync(h, accounts, admin, new RemovalOptions { RemoveDelegateAccount = true }, confirmed: false);

        Assert.All(results, r => Assert.True(r.Succeeded, $"{r.AccountId}: {r.Error?.Message ?? r.Job?.Error}"));
        foreach (var account in accounts.Where(a => a.AppId is not null))
        {
            Assert.False(await Footprint.PrincipalExistsAsync(admin, account.AppId!), $"the app principal of {account.Service} should be gone");
        }

        Assert.Equal(0, await Footprint.GroupsAsync(admin));
        foreach (var upn in accounts.Where(a => a.DelegateAccount is not null).Select(a => a.DelegateAccount!).Distinct())
        {
            Assert.False(await Footprint.UserExistsAsync(admin, upn), $"{upn} should be deleted");
        }

        var all = await h.Engine.Accounts.GetAsync(h.StorePath, null, null, null, true, CancellationToken.None);
        Assert.All(all, a => Assert.Equal(ServiceAccountStatus.Removed, a.Status));
        var jobs = results.Select(r => r.Job!).ToArray();
        Assert.All(jobs, j => Assert.Equal(RemovalJobStatus.Succeeded, j.Status));
        Assert.All(jobs, j => Assert.All(j.Steps, s => Assert.True(s.Status is RemovalStepStatus.Succeeded or RemovalStepStatus.Skipped, $"{j.Service}: {s.Name} {s.Status}")));

        var sharePoint = jobs.First(j => j.Service == CasService.SharePointOnline);
        Assert.Equal(Footprint.Seeded(sandbox.Contoso, CasService.SharePointOnline).AppId, sharePoint.AppId);
        Assert.Contains(sharePoint.AppId!, sharePoint.Steps[0].Detail, StringComparison.Ordinal);
        var addIn = Assert.Single(sharePoint.RemainingChanges, i => i.Kind == "AddInPrincipal");
        Assert.Equal("https://contoso-admin.sharepoint.com/_layouts/15/TA_AllAppPrincipals.aspx", addIn.Location);
        Assert.Contains($"i:0i.t|ms.sp.ext|{sharePoint.AppId}@{sandbox.Contoso.TenantId}", addIn.Action, StringComparison.Ordinal);
        var inline = jobs.First(j => j.Service == CasService.ExchangeOnlineInline);
        Assert.Equal(6, inline.RemainingChanges.Count(i => i.Kind == "TransportRule"));
        Assert.Equal(accounts.Count(a => a.Service == CasService.ExchangeOnline), h.Observer.Questions.Count);
        Assert.All(h.Observer.Questions, q => Assert.Contains("Threat Investigation", q, StringComparison.Ordinal));

        var items = await h.Engine.Deprovisioning.GetCleanupItemsAsync(h.StorePath, sandbox.Contoso.TenantId, null, null, CancellationToken.None);
        Assert.Equal(jobs.Sum(j => j.RemainingChanges.Count), items.Count);
    }

    [Fact]
    public async Task Exchange_NotConfirmed_NothingChanges()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var exchange = (await Footprint.RegisterAllAsync(h, admin)).Where(a => a.Service == CasService.ExchangeOnline && a.Kind == ServiceAccountKind.AuthorizedAccount).ToArray();
        h.Observer.Confirm = _ => false;

        var result = Assert.Single(await Footprint.RemoveAsync(h, exchange, admin, confirmed: false));

        Assert.Equal(ErrorIds.RemovalNotConfirmed, result.Error?.ErrorId);
        Assert.True(await Footprint.PrincipalExistsAsync(admin, exchange[0].AppId!));
        Assert.Empty(await h.Engine.Deprovisioning.GetJobsAsync(h.StorePath, null, exchange[0].AccountId, null, null, CancellationToken.None));
    }

    [Fact]
    public async Task InvalidDelegateAccount_FailsWithTheReason_AndForceRemovesLocalDataListingWhatStayed()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var seeded = Footprint.Seeded(sandbox.Contoso, CasService.ExchangeOnline);
        var account = await h.Engine.Accounts.RegisterAsync(admin, new RegisterAccountRequest
        {
            Service = CasService.ExchangeOnline, Kind = ServiceAccountKind.DelegateAccount, AppId = seeded.AppId, DelegateAccount = seeded.DelegateUser,
        }, h.Observer, CancellationToken.None);
        await admin.Context.Graph.CallAsync((g, c) => g.Users[seeded.DelegateUserId].PatchAsync(new Microsoft.Graph.Models.User { AccountEnabled = false }, cancellationToken: c), "user", CancellationToken.None);

        var failed = Assert.Single(await Footprint.RemoveAsync(h, [account], admin));

        Assert.Equal(RemovalJobStatus.Failed, failed.Job!.Status);
        Assert.Equal(ErrorIds.ServiceAccountInvalid, failed.Job.ErrorId);
        Assert.Contains("-Force", failed.Job.RecommendedAction, StringComparison.Ordinal);
        Assert.True(await Footprint.PrincipalExistsAsync(admin, seeded.AppId));

        var forced = Assert.Single(await Footprint.RemoveAsync(h, [account], admin, new RemovalOptions { Force = true }));

        Assert.Equal(failed.Job.JobId, forced.Job!.JobId);
        Assert.Equal(RemovalJobStatus.Forced, forced.Job.Status);
        Assert.True(forced.Job.Forced);
        Assert.Contains(forced.Job.RemainingChanges, i => i.Kind == "PendingStep" && i.Name == "Remove the app principal");
        Assert.True(await Footprint.PrincipalExistsAsync(admin, seeded.AppId));
        Assert.Equal(ServiceAccountStatus.Removed, (await h.Engine.Accounts.GetAsync(h.StorePath, account.AccountId, CancellationToken.None)).Status);
    }

    [Theory]
    [InlineData(false, ErrorIds.GlobalAdministratorRequired)]
    [InlineData(true, ErrorIds.PimActivationRequired)]
    public async Task NotAnActiveGlobalAdministrator_IsRefused_EvenWithForce_AndAdminConnectionFixesIt(bool eligible, string expected)
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Fabrikam);
        var teams = (await Footprint.RegisterAllAsync(h, admin)).Where(a => a.Service == CasService.Teams).ToArray();
        var person = await h.DelegatedAsync(sandbox.Fabrikam, eligible ? sandbox.Fabrikam.EligibleAdminUser : sandbox.Fabrikam.PlainUser);

        var refused = Assert.Single(await Footprint.RemoveAsync(h, teams, person, new RemovalOptions { Force = true }));

        Assert.Equal(RemovalJobStatus.Failed, refused.Job!.Status);
        Assert.Equal(expected, refused.Job.ErrorId);
        Assert.Equal(ServiceAccountStatus.Removing, (await h.Engine.Accounts.GetAsync(h.StorePath, teams[0].AccountId, CancellationToken.None)).Status);
        Assert.True(await Footprint.PrincipalExistsAsync(admin, teams[0].AppId!));

        var done = Assert.Single(await Footprint.RemoveAsync(h, teams, person, admin: admin));
        Assert.Equal(RemovalJobStatus.Succeeded, done.Job!.Status);
        Assert.False(await Footprint.PrincipalExistsAsync(admin, teams[0].AppId!));
    }

    [Fact]
    public async Task AppOnlyConnection_WithoutThePermissions_NamesWhatIsMissing()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var oneDrive = (await Footprint.RegisterAllAsync(h, admin)).Where(a => a.Service == CasService.OneDrive).ToArray();
        var noConsent = sandbox.App(sandbox.Contoso, "noConsent");
        var weak = await h.Engine.Connections.ConnectAsync(SandboxFixture.WithStore(sandbox.Request(sandbox.Contoso, CasAdmin.Engine.Connections.SignInMode.ClientSecret, noConsent.AppId, noConsent.Secret), h.StorePath), h.Observer, CancellationToken.None);

        var refused = Assert.Single(await Footprint.RemoveAsync(h, oneDrive, weak));

        Assert.Equal(ErrorIds.AdminPermissionMissing, refused.Job!.ErrorId);
        Assert.Contains("Application.ReadWrite.All", refused.Job.Error, StringComparison.Ordinal);
        Assert.Contains("AppRoleAssignment.ReadWrite.All", refused.Job.Error, StringComparison.Ordinal);
    }

    /// <summary>
    /// The sandbox, like two real tenants can, holds principals of the same app ids in contoso and fabrikam: a target of
    /// a contoso account through the fabrikam connection would remove fabrikam's principal. Such a target is refused where
    /// it is built (TenantMismatch), so nothing reaches the runner, and both tenants keep their principals.
    /// </summary>
    [Fact]
    public async Task BadInput_IsRefusedClearly_AndChangesNothing()
    {
        using var h = new EngineHarness(sandbox);
        var contoso = await h.AdminAsync(sandbox.Contoso);
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);
        var teams = (await Footprint.RegisterAllAsync(h, contoso)).First(a => a.Service == CasService.Teams);
        Assert.Equal(teams.AppId, Footprint.Seeded(sandbox.Fabrikam, CasService.Teams).AppId);

        var unknown = await Assert.ThrowsAsync<CasException>(() => RemovalTarget.ResolveAsync(h.Engine.Tenants, contoso, Guid.NewGuid()));
        var wrongTenant = await Assert.ThrowsAsync<CasException>(() => Footprint.RemoveAsync(h, [teams], fabrikam));
        var wrongAdmin = await Assert.ThrowsAsync<CasException>(() => Footprint.RemoveAsync(h, [teams], contoso, admin: fabrikam));
        var badAppId = await Assert.ThrowsAsync<CasException>(() => h.Engine.Accounts.RegisterAsync(contoso,
            new RegisterAccountRequest { Service = CasService.SharePointOnline, AppId = "not-an-app-id" }, h.Observer, CancellationToken.None));

        Assert.Equal(ErrorIds.ServiceAccountNotFound, unknown.ErrorId);
        Assert.Equal((ErrorIds.TenantMismatch, CasErrorCategory.InvalidArgument), (wrongTenant.ErrorId, wrongTenant.Category));
        Assert.Contains(teams.TenantDomain ?? teams.TenantId, wrongTenant.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(string.IsNullOrEmpty(wrongTenant.RecommendedAction));
        Assert.Equal(ErrorIds.TenantMismatch, wrongAdmin.ErrorId);
        Assert.Equal(ErrorIds.InvalidArgument, badAppId.ErrorId);
        Assert.True(await Footprint.PrincipalExistsAsync(contoso, teams.AppId!));
        Assert.True(await Footprint.PrincipalExistsAsync(fabrikam, teams.AppId!));
        Assert.Empty(await h.Engine.Deprovisioning.GetJobsAsync(h.StorePath, null, null, null, null, CancellationToken.None));
        Assert.Equal(ServiceAccountStatus.Active, (await h.Engine.Accounts.GetAsync(h.StorePath, teams.AccountId, CancellationToken.None)).Status);
    }

    /// <summary>
    /// A removal target names an account and its connections only as the tenant resolver checked them: no public
    /// constructor, no settable property, and every factory starts from a resolved account or goes through the resolver.
    /// The runner therefore does not check the tenant again.
    /// </summary>
    [Fact]
    public void ARemovalTarget_CanOnlyBeBuiltFromAResolvedAccount()
    {
        Assert.Empty(typeof(RemovalTarget).GetConstructors());
        Assert.Empty(typeof(AccountScope).GetConstructors());
        Assert.Empty(typeof(TenantScope).GetConstructors());
        Assert.DoesNotContain(typeof(RemovalTarget).GetProperties(), p => p.SetMethod?.IsPublic == true);
        var factories = typeof(RemovalTarget).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.ReturnType == typeof(RemovalTarget) || m.ReturnType == typeof(Task<RemovalTarget>)).ToArray();
        Assert.NotEmpty(factories);
        Assert.All(factories, m => Assert.Contains(m.GetParameters(), p => p.ParameterType == typeof(AccountScope) || p.ParameterType == typeof(TenantResolver)));
    }

    /// <summary>An account gone from the registry after its target was resolved: that job's ServiceAccountNotFound, nothing removed.</summary>
    [Fact]
    public async Task AnAccountGoneAfterItsTargetWasResolved_IsNotFound_AndNothingIsRemoved()
    {
        using var h = new EngineHarness(sandbox);
        var contoso = await h.AdminAsync(sandbox.Contoso);
        var teams = (await Footprint.RegisterAllAsync(h, contoso)).First(a => a.Service == CasService.Teams);
        var target = await RemovalTarget.ResolveAsync(h.Engine.Tenants, contoso, teams.AccountId, confirmed: true);
        await RegistryStore.Open(h.StorePath).WriteAsync((c, t, ct) => c.ExecuteAsync(t, "DELETE FROM service_accounts WHERE account_id = $a", ct,
            ("$a", teams.AccountId.ToString())), CancellationToken.None);

        var gone = Assert.Single(await h.Engine.Deprovisioning.RemoveAsync([target], new RemovalOptions(), h.Observer, CancellationToken.None));

        Assert.Equal(ErrorIds.ServiceAccountNotFound, gone.Error?.ErrorId);
        Assert.True(await Footprint.PrincipalExistsAsync(contoso, teams.AppId!));
    }

    [Fact]
    public async Task AccountAlreadyBeingRemoved_NamesTheHolder_AndAStaleLeaseIsTakenOver()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var teams = (await Footprint.RegisterAllAsync(h, admin)).Where(a => a.Service == CasService.Teams).ToArray();
        var options = new RemovalOptions { LeaseDuration = TimeSpan.FromSeconds(1) };

        // A job that another (now dead) process opened and leased.
        var store = RegistryStore.Open(h.StorePath);
        var (jobId, lease) = await new RemovalLeaseRepository(store).OpenAndLeaseAsync(teams[0], RemovalPlan.For(teams[0]).Select(k => RemovalPlan.Names[k]).ToArray(),
            "other-host/pid 42", TimeSpan.FromHours(1), CancellationToken.None);
        Assert.True(lease.IsAcquired);

        var busy = Assert.Single(await Footprint.RemoveAsync(h, teams, admin, options));
        Assert.Equal(ErrorIds.RemovalInProgress, busy.Error?.ErrorId);
        Assert.Contains("other-host/pid 42", busy.Error!.Message, StringComparison.Ordinal);
        Assert.True(await Footprint.PrincipalExistsAsync(admin, teams[0].AppId!));

        // That holder never renews: its lease runs out (moved into the past rather than waited for).
        await store.WriteAsync((c, t, ct) => c.ExecuteAsync(t, "UPDATE removal_jobs SET lease_expires = $past WHERE job_id = $j", ct,
            ("$j", jobId.ToString()), ("$past", DateTimeOffset.UtcNow.AddSeconds(-1).Iso())), CancellationToken.None);
        var taken = Assert.Single(await Footprint.RemoveAsync(h, teams, admin, options));
        Assert.Equal(jobId, taken.Job!.JobId);
        Assert.Equal(RemovalJobStatus.Succeeded, taken.Job.Status);
    }

    [Fact]
    public async Task ReadOnlyRegistry_FailsWithStoreReadOnly_AndTouchesNoTenantObject()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var teams = (await Footprint.RegisterAllAsync(h, admin)).Where(a => a.Service == CasService.Teams).ToArray();
        RegistryStore.Forget(h.StorePath);
        SetWritable(h.StorePath, false);
        try
        {
            var result = Assert.Single(await Footprint.RemoveAsync(h, teams, admin));

            Assert.Equal(ErrorIds.StoreReadOnly, result.Error?.ErrorId);
            Assert.True(await Footprint.PrincipalExistsAsync(admin, teams[0].AppId!));
        }
        finally
        {
            SetWritable(h.StorePath, true);
            RegistryStore.Forget(h.StorePath);
        }
    }

    private static void SetWritable(string path, bool writable)
    {
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(path, writable ? FileAttributes.Normal : FileAttributes.ReadOnly);
        }
        else
        {
            File.SetUnixFileMode(path, writable ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead);
        }
    }
}
