using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Provisioning;
using CasAdmin.Sandbox;

namespace CasAdmin.Engine.Tests.Provisioning;

/// <summary>A sandbox as eventually consistent as Entra ID: 2.5 s of replication lag, for the tests below.</summary>
public sealed class LaggingSandbox : IAsyncLifetime
{
    public const int LagMs = 2_500;

    public SandboxFixture Fixture { get; private set; } = null!;

    public async Task InitializeAsync() => Fixture = SandboxFixture.Wrap(await SandboxHost.StartAsync(new SandboxOptions { ReplicationLagMs = LagMs }));

    public async Task DisposeAsync() => await Fixture.Host.DisposeAsync();
}

/// <summary>
/// The engine against Entra ID's eventual consistency (issue 16 item 2). Most tests hold the sandbox at "never
/// replicated" (lagMs = int.MaxValue, or from a given step on) and let an observer release each wait the engine reports
/// (lagMs 0 while it waits, back to never when it is done), so each step meets its signal and no test depends on the
/// clock. Objects created while the lag is 0 or 1 ms stay replicated whatever the lag later becomes.
/// </summary>
public sealed class ReplicationTests(LaggingSandbox lagging) : IClassFixture<LaggingSandbox>
{
    private const int Never = int.MaxValue;
    private static readonly Uri Console = new("https://console.example.com");

    private SandboxFixture Sandbox => lagging.Fixture;

    private static string Name(string test) => TeamsChatProvisioningTests.Name("replication " + test);

    private static Task<CasTeamsChatApp> NewAppAsync(EngineHarness h, CasConnection admin, string name, IOperationObserver observer, bool consent = true, TimeSpan? timeout = null) =>
        h.Engine.TeamsChat.NewAppAsync(admin, new NewTeamsChatAppRequest
        {
            DisplayName = name, ConsoleUrl = Console, GrantAdminConsent = consent, SecretLifetime = TimeSpan.FromDays(90), ReplicationTimeout = timeout,
        }, observer, CancellationToken.None);

    private static Task<CasServiceAccount> NewAccountAsync(EngineHarness h, CasConnection admin, CasTeamsChatApp app, IOperationObserver observer, bool grant = false, TimeSpan? timeout = null) =>
        h.Engine.TeamsChat.NewAccountAsync(admin, new NewTeamsChatAccountRequest
        {
            AppId = app.AppId, ClientSecret = app.Secret, LicensingModel = LicensingModel.Evaluation, GrantAdminConsent = grant, SkipInventory = true, ReplicationTimeout = timeout,
        }, observer, CancellationToken.None);

    private static async Task<List<Microsoft.Graph.Models.Application>> AppsNamedAsync(CasConnection admin, string name) =>
        (await admin.Context.Graph.CallAsync((g, c) => g.Applications.GetAsync(r => r.QueryParameters.Filter = $"displayName eq '{name}'", c), name, CancellationToken.None))!.Value!;

    [Fact]
    public async Task NewAppPipedToNewAccount_AtTheSandboxLag_Succeeds()
    {
        await Sandbox.Host.Control.SetReplicationLagAsync(LaggingSandbox.LagMs);
        using var h = new EngineHarness(Sandbox);
        var admin = await h.AdminAsync(Sandbox.Contoso);

        var app = await NewAppAsync(h, admin, Name("pipe"), h.Observer);
        var account = await NewAccountAsync(h, admin, app, h.Observer);

        Assert.Equal(ServiceAccountStatus.Active, account.Status);
        Assert.Contains(GraphPermissions.TeamsChatAppRoles[0].Name, account.TokenRoles);
    }

    [Fact]
    public async Task NewAppPipedToNewAccount_WaitsForTheNewApp_ShowsTheWaits_AndSucceeds()
    {
        await Sandbox.Host.Control.SetReplicationLagAsync(Never);
        using var h = new EngineHarness(Sandbox);
        var admin = await h.AdminAsync(Sandbox.Contoso);
        var observer = new ReleasingObserver(Sandbox, h.Observer);
        var name = Name("new app");

        var app = await NewAppAsync(h, admin, name, observer);
        var account = await NewAccountAsync(h, admin, app, observer);

        Assert.Equal(ServiceAccountStatus.Active, account.Status);
        Assert.Empty(GraphPermissions.TeamsChatAppRoles.Select(r => r.Name).Except(account.TokenRoles));
        Assert.Contains("Waiting for Entra ID to replicate the new app…", observer.Waits);
        Assert.Contains("Waiting for Entra ID to replicate the new app and its client secret…", observer.Waits);
        Assert.Contains("VERBOSE: Waiting for Entra ID to replicate the new app: Graph does not know the app yet (400 NoBackingApplicationObject)", h.Observer.AllText(), StringComparison.Ordinal);
        Assert.Contains("(AADSTS700016)", h.Observer.AllText(), StringComparison.Ordinal);
        await Sandbox.Host.Control.SetReplicationLagAsync(0);
        Assert.Single(await AppsNamedAsync(admin, name));
    }

    [Fact]
    public async Task NewAccount_WaitsForTheNewSecret_7000215()
    {
        await Sandbox.Host.Control.SetReplicationLagAsync(1); // the app and its principal replicate at once…
        using var h = new EngineHarness(Sandbox);
        var admin = await h.AdminAsync(Sandbox.Contoso);
        var observer = new ReleasingObserver(Sandbox, h.Observer) { LagAtStep = { ["Adding a client secret"] = Never } }; // …the secret never does

        var app = await NewAppAsync(h, admin, Name("secret"), observer);
        var account = await NewAccountAsync(h, admin, app, observer);

        Assert.Equal(ServiceAccountStatus.Active, account.Status);
        Assert.Contains("Entra ID does not accept the new secret yet (AADSTS7000215)", h.Observer.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewAccount_WithGrantAdminConsent_WaitsUntilTheTokenCarriesTheRolesItJustConsented()
    {
        await Sandbox.Host.Control.SetReplicationLagAsync(0);
        using var h = new EngineHarness(Sandbox);
        var admin = await h.AdminAsync(Sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("consent"), h.Observer, consent: false);
        await Sandbox.Host.Control.SetReplicationLagAsync(Never);
        var observer = new ReleasingObserver(Sandbox, h.Observer);

        var account = await NewAccountAsync(h, admin, app, observer, grant: true);

        Assert.Equal(ServiceAccountStatus.Active, account.Status);
        Assert.Contains("Waiting for Entra ID to replicate the admin consent…", observer.Waits);
        Assert.Contains("the app's token still lacks", h.Observer.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewAccount_InAnotherSession_WaitsForTheAppItsRegistryRecordsCreating()
    {
        await Sandbox.Host.Control.SetReplicationLagAsync(Never);
        using var first = new EngineHarness(Sandbox);
        var admin = await first.AdminAsync(Sandbox.Contoso);
        var app = await NewAppAsync(first, admin, Name("other session"), new ReleasingObserver(Sandbox, first.Observer));
        Engine.Graph.ReplicationLedger.Shared.Forget(Sandbox.Contoso.TenantId, app.AppId); // what a new pwsh process would know: nothing
        using var second = new EngineHarness(Sandbox, storePath: first.StorePath);
        var secondAdmin = await second.AdminAsync(Sandbox.Contoso);
        var observer = new ReleasingObserver(Sandbox, second.Observer);

        var account = await NewAccountAsync(second, secondAdmin, app, observer);

        Assert.Equal(ServiceAccountStatus.Active, account.Status);
        Assert.Contains("Waiting for Entra ID to replicate the new app…", observer.Waits);
    }

    [Fact]
    public async Task NewAccount_OldAppWithWrongSecret_IsInvalidClientSecretAtOnce()
    {
        await Sandbox.Host.Control.SetReplicationLagAsync(Never);
        using var h = new EngineHarness(Sandbox);
        var admin = await h.AdminAsync(Sandbox.Contoso);
        var old = Sandbox.App(Sandbox.Contoso, "admin");

        var error = await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.NewAccountAsync(admin, new NewTeamsChatAccountRequest
        {
            AppId = old.AppId, ClientSecret = SandboxFixture.Secure("not-the-secret-of-this-app-000000000000"), LicensingModel = LicensingModel.Evaluation,
            SkipInventory = true, ReplicationTimeout = TimeSpan.FromSeconds(2),
        }, h.Observer, CancellationToken.None));

        Assert.Equal(ErrorIds.InvalidClientSecret, error.ErrorId);
        Assert.DoesNotContain(h.Observer.ProgressRecords, p => p.Activity.StartsWith("Waiting for Entra ID", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NewApp_AppNotReplicatedWithinTheBudget_IsReplicationTimeout_AndARerunFindsTheUnlistedApp()
    {
        await Sandbox.Host.Control.SetReplicationLagAsync(Never);
        using var h = new EngineHarness(Sandbox);
        var admin = await h.AdminAsync(Sandbox.Contoso);
        var name = Name("app timeout");

        var error = await Assert.ThrowsAsync<CasException>(() => NewAppAsync(h, admin, name, h.Observer, timeout: TimeSpan.FromSeconds(2)));

        Assert.Equal(ErrorIds.ReplicationTimeout, error.ErrorId);
        Assert.Equal(CasErrorCategory.OperationTimeout, error.Category);
        Assert.Contains("the new app", error.Message, StringComparison.Ordinal);
        Assert.Contains("NoBackingApplicationObject", error.Message, StringComparison.Ordinal);
        Assert.Contains("run the same command again", error.RecommendedAction!, StringComparison.OrdinalIgnoreCase);

        // Graph still does not list the app: the rerun waits for the one it made instead of creating a second one.
        var rerun = await NewAppAsync(h, admin, name, new ReleasingObserver(Sandbox, h.Observer));

        Assert.False(rerun.Created);
        await Sandbox.Host.Control.SetReplicationLagAsync(0);
        Assert.Equal(rerun.AppId, Assert.Single(await AppsNamedAsync(admin, name)).AppId);
    }

    [Fact]
    public async Task NewApp_StoppedAfterItsSecret_RerunUsesThatSecret_NoSecondOne()
    {
        await Sandbox.Host.Control.SetReplicationLagAsync(1); // the app replicates at once…
        using var h = new EngineHarness(Sandbox);
        var admin = await h.AdminAsync(Sandbox.Contoso);
        var name = Name("principal timeout");
        var observer = new ReleasingObserver(Sandbox, h.Observer)
        {
            LagAtStep = { ["Creating the service principal"] = Never }, // …its principal never does
            Release = activity => !activity.Contains("service principal", StringComparison.Ordinal),
        };

        var error = await Assert.ThrowsAsync<CasException>(() => NewAppAsync(h, admin, name, observer, timeout: TimeSpan.FromSeconds(2)));

        Assert.Equal(ErrorIds.ReplicationTimeout, error.ErrorId);
        Assert.Contains("the new service principal", error.Message, StringComparison.Ordinal);

        await Sandbox.Host.Control.SetReplicationLagAsync(0);
        var rerun = await NewAppAsync(h, admin, name, h.Observer);

        Assert.False(rerun.Created);
        Assert.True(rerun.ConsentGranted);
        var registered = Assert.Single(await AppsNamedAsync(admin, name));
        var secret = Assert.Single(registered.PasswordCredentials!, p => p.DisplayName == TeamsChatAppProvisioner.SecretDisplayName);
        Assert.Equal(secret.KeyId.ToString(), rerun.SecretKeyId);
        using var session = await ServiceAppSession.SignInAsync(admin, rerun.AppId, SandboxFixture.Reveal(rerun.Secret), CancellationToken.None);
        Assert.Empty(session.MissingRoles(GraphPermissions.TeamsChatAppRoles.Select(r => r.Name)));
    }

    [Fact]
    public async Task NewApp_RerunMomentsLater_WhileGraphDoesNotListThePrincipalYet_CreatesNothingTwice()
    {
        await Sandbox.Host.Control.SetReplicationLagAsync(1);
        using var h = new EngineHarness(Sandbox);
        var admin = await h.AdminAsync(Sandbox.Contoso);
        var name = Name("unlisted");
        var first = await NewAppAsync(h, admin, name, new ReleasingObserver(Sandbox, h.Observer) { LagAtStep = { ["Creating the service principal"] = Never } });
        var before = (await Sandbox.Host.Control.GetStatsAsync()).Totals;
        var observer = new ReleasingObserver(Sandbox, h.Observer);

        var second = await NewAppAsync(h, admin, name, observer);

        Assert.Equal(first.AppId, second.AppId);
        Assert.Equal(first.ServicePrincipalId, second.ServicePrincipalId);
        Assert.Equal(first.SecretKeyId, second.SecretKeyId);
        Assert.Contains("Waiting for Entra ID to replicate the new service principal…", observer.Waits);
        var after = (await Sandbox.Host.Control.GetStatsAsync()).Totals;
        Assert.Equal(before.DuplicateCreates, after.DuplicateCreates);
        Assert.Equal(before.RepeatedWrites, after.RepeatedWrites); // no second secret, no second grant
        await Sandbox.Host.Control.SetReplicationLagAsync(0);
        Assert.Single(await AppsNamedAsync(admin, name));
        var principal = (await admin.Context.Graph.CallAsync((g, c) => g.ServicePrincipals.GetAsync(r => r.QueryParameters.Filter = $"appId eq '{first.AppId}'", c), name, CancellationToken.None))!.Value!;
        Assert.Single(principal);
    }

    [Fact]
    public void ReplicationTimeout_OutOfRange_IsInvalidArgument()
    {
        Assert.Equal(ErrorIds.InvalidArgument, Assert.Throws<CasException>(() => Graph.Replication.Validate(TimeSpan.Zero)).ErrorId);
        Assert.Equal(ErrorIds.InvalidArgument, Assert.Throws<CasException>(() => Graph.Replication.Validate(TimeSpan.FromDays(2))).ErrorId);
        Graph.Replication.Validate(null);
        Graph.Replication.Validate(TimeSpan.FromMinutes(5));
    }

    /// <summary>
    /// Plays Entra's replication: while the engine reports a wait (and <see cref="Release"/> says so), the sandbox
    /// replicates everything (lagMs 0); when the wait ends, nothing new replicates again (lagMs never).
    /// </summary>
    private sealed class ReleasingObserver(SandboxFixture sandbox, RecordingObserver inner) : IOperationObserver
    {
        private readonly object gate = new();
        private readonly List<string> waits = [];

        public Func<string, bool> Release { get; init; } = _ => true;

        /// <summary>The lag to set when the operation reports a step (by its status text), before the step runs.</summary>
        public Dictionary<string, int> LagAtStep { get; } = [];

        public IReadOnlyList<string> Waits
        {
            get
            {
                lock (gate)
                {
                    return waits.ToList();
                }
            }
        }

        public void Progress(CasProgress progress)
        {
            inner.Progress(progress);
            if (!progress.Activity.StartsWith("Waiting for Entra ID", StringComparison.Ordinal))
            {
                if (!progress.Completed && LagAtStep.TryGetValue(progress.StatusDescription, out var lag))
                {
                    sandbox.Host.Control.SetReplicationLagAsync(lag).GetAwaiter().GetResult();
                }

                return;
            }

            lock (gate)
            {
                if (!progress.Completed && !waits.Contains(progress.Activity))
                {
                    waits.Add(progress.Activity);
                }
            }

            if (!Release(progress.Activity))
            {
                return;
            }

            // Synchronous on purpose: the engine's next attempt must see the new lag.
            sandbox.Host.Control.SetReplicationLagAsync(progress.Completed ? Never : 0).GetAwaiter().GetResult();
        }

        public void Verbose(string message) => inner.Verbose(message);

        public void Debug(string message) => inner.Debug(message);

        public void Warning(string message) => inner.Warning(message);

        public void Information(string message) => inner.Information(message);

        public void Output(object item) => inner.Output(item);

        public Task<bool> ShouldContinueAsync(string query, string caption, CancellationToken cancellationToken) => inner.ShouldContinueAsync(query, caption, cancellationToken);
    }
}
