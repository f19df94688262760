using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Provisioning;
using CasAdmin.Engine.Store;
using CasAdmin.Sandbox;

namespace CasAdmin.Engine.Tests.Provisioning;

/// <summary>Teams Chat provisioning end to end against the sandbox: the app, the account, and every way provisioning can fail.</summary>
public sealed class TeamsChatProvisioningTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    private static readonly Uri Console = new("https://console.example.com");

    internal static string Name(string test) => "CasAdmin test " + test + " " + Guid.NewGuid().ToString("N")[..6];

    internal static async Task<CasTeamsChatApp> NewAppAsync(EngineHarness h, CasConnection admin, string name, bool consent = true, TimeSpan? lifetime = null) =>
        await h.Engine.TeamsChat.NewAppAsync(admin, new NewTeamsChatAppRequest
        {
            DisplayName = name, ConsoleUrl = Console, GrantAdminConsent = consent, SecretLifetime = lifetime ?? TimeSpan.FromDays(90),
        }, h.Observer, CancellationToken.None);

    internal static Task<CasServiceAccount> ProvisionAsync(EngineHarness h, CasConnection admin, CasTeamsChatApp app, LicensingModel model = LicensingModel.Evaluation,
        bool grant = false, Uri? notify = null, bool skipInventory = false) =>
        h.Engine.TeamsChat.NewAccountAsync(admin, new NewTeamsChatAccountRequest
        {
            AppId = app.AppId, ClientSecret = app.Secret, LicensingModel = model, GrantAdminConsent = grant, NotificationUrl = notify, SkipInventory = skipInventory,
        }, h.Observer, CancellationToken.None);

    private static async Task<List<Microsoft.Graph.Models.Application>> AppsNamedAsync(CasConnection admin, string name) =>
        (await admin.Context.Graph.CallAsync((g, c) => g.Applications.GetAsync(r => r.QueryParameters.Filter = $"displayName eq '{name}'", c), name, CancellationToken.None))!.Value!;

    [Fact]
    public async Task NewApp_RegistersExactlyTheSixPermissions_ThePrincipal_AndAWorkingSecret()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var name = Name("app");

        var app = await NewAppAsync(h, admin, name, consent: false);

        var registered = Assert.Single(await AppsNamedAsync(admin, name));
        var access = Assert.Single(registered.RequiredResourceAccess!);
        Assert.Equal(GraphPermissions.GraphAppId, access.ResourceAppId);
        Assert.Equal(GraphPermissions.TeamsChatApp.Select(p => (p.Id, p.IsApplication ? "Role" : "Scope")).OrderBy(x => x.Id),
            access.ResourceAccess!.Select(r => (r.Id!.Value, r.Type!)).OrderBy(x => x.Item1));
        Assert.Equal(["https://console.example.com/ui/cas/provision.html"], registered.Web!.RedirectUris!);
        Assert.Equal("AzureADMyOrg", app.SignInAudience);
        Assert.True(app.Created);
        Assert.False(string.IsNullOrEmpty(app.ServicePrincipalId));
        Assert.Contains($"client_id={app.AppId}", app.AdminConsentUrl.Query, StringComparison.Ordinal);
        Assert.True(app.SecretExpiresOn > DateTimeOffset.UtcNow.AddDays(80));

        // The secret buys a token; without consent it carries no roles yet.
        using var session = await ServiceAppSession.SignInAsync(admin, app.AppId, SandboxFixture.Reveal(app.Secret), CancellationToken.None);
        Assert.Empty(session.Identity.Permissions);
    }

    [Fact]
    public async Task NewApp_ClassicConsoleAndMultitenant_AreHonoured()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);

        var app = await h.Engine.TeamsChat.NewAppAsync(admin, new NewTeamsChatAppRequest
        {
            DisplayName = Name("classic"), ConsoleUrl = new Uri("https://cas.example.net/"), ConsoleKind = ConsoleKind.Classic, MultiTenant = true,
        }, h.Observer, CancellationToken.None);

        Assert.Equal("https://cas.example.net/provision.html", app.RedirectUri);
        Assert.Equal("AzureADMultipleOrgs", app.SignInAudience);
    }

    [Fact]
    public async Task NewApp_WithConsent_TokenCarriesTheFiveRoles()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);

        var app = await NewAppAsync(h, admin, Name("consent"));

        Assert.True(app.ConsentGranted);
        using var session = await ServiceAppSession.SignInAsync(admin, app.AppId, SandboxFixture.Reveal(app.Secret), CancellationToken.None);
        Assert.Empty(session.MissingRoles(GraphPermissions.TeamsChatAppRoles.Select(r => r.Name)));
    }

    [Fact]
    public async Task NewApp_RunTwice_CompletesTheSameAppInsteadOfCreatingAnother()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var name = Name("twice");

        var first = await NewAppAsync(h, admin, name);
        var second = await NewAppAsync(h, admin, name);

        Assert.Equal(first.AppId, second.AppId);
        Assert.False(second.Created);
        var registered = Assert.Single(await AppsNamedAsync(admin, name));

        // The session holds the first run's secret: the rerun uses it instead of adding one that nothing records.
        Assert.Single(registered.PasswordCredentials!, p => p.DisplayName == TeamsChatAppProvisioner.SecretDisplayName);
        Assert.Equal(first.SecretKeyId, second.SecretKeyId);
        Assert.Equal(SandboxFixture.Reveal(first.Secret), SandboxFixture.Reveal(second.Secret));
        Assert.DoesNotContain("secret(s) CasAdmin added", h.Observer.AllText(), StringComparison.Ordinal);

        // Another session cannot know that value: it adds a new secret, returns it, and says so.
        using var other = new EngineHarness(sandbox);
        var otherAdmin = await other.AdminAsync(sandbox.Contoso);
        var third = await NewAppAsync(other, otherAdmin, name);
        Assert.NotEqual(first.SecretKeyId, third.SecretKeyId);
        Assert.Contains("secret(s) CasAdmin added in an earlier session", other.Observer.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewApp_CreateAppliedButAnswerLost_RerunFindsTheAppNoSecondOne()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var name = Name("lost");
        await sandbox.Host.Control.AddFaultAsync(new FaultRule { Kind = FaultKind.AppliedButLost, Method = "POST", Path = "/v1.0/applications", Times = 1, TenantId = sandbox.Contoso.TenantId });

        var app = await NewAppAsync(h, admin, name);

        Assert.Single(await AppsNamedAsync(admin, name));
        using var session = await ServiceAppSession.SignInAsync(admin, app.AppId, SandboxFixture.Reveal(app.Secret), CancellationToken.None);
    }

    [Fact]
    public async Task NewApp_AppNameTakenByAnotherApp_IsRefused()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);

        var error = await Assert.ThrowsAsync<CasException>(() => NewAppAsync(h, admin, sandbox.App(sandbox.Contoso, "noConsent").DisplayName));

        Assert.Equal(ErrorIds.AppNameTaken, error.ErrorId);
    }

    [Fact]
    public async Task NewApp_SecretLongerThanTenantPolicy_IsRefusedBeforeAnythingIsCreated()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Fabrikam);
        var name = Name("policy");

        var error = await Assert.ThrowsAsync<CasException>(() => NewAppAsync(h, admin, name, lifetime: TimeSpan.FromDays(365)));

        Assert.Equal(ErrorIds.SecretPolicyRefused, error.ErrorId);
        Assert.Empty(await AppsNamedAsync(admin, name));
    }

    [Fact]
    public async Task NewApp_BadConsoleUrl_ChangesNothing()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var name = Name("badurl");

        var error = await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.NewAppAsync(admin,
            new NewTeamsChatAppRequest { DisplayName = name, ConsoleUrl = new Uri("http://insecure.example.com") }, h.Observer, CancellationToken.None));

        Assert.Equal(ErrorIds.InvalidArgument, error.ErrorId);
        Assert.Empty(await AppsNamedAsync(admin, name));
    }

    [Fact]
    public async Task NewAccount_ModelA_WithDlpSku_ProvisionsInventoriesAndRaisesTeamsChatProtected()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("account"));

        var account = await ProvisionAsync(h, admin, app, LicensingModel.A);

        Assert.Equal(ServiceAccountStatus.Active, account.Status);
        Assert.Equal(LicensingModel.A, account.LicensingModel);
        Assert.Equal(app.AppId, account.AppId);
        Assert.Equal(TokenState.Valid, account.TokenState);
        Assert.True(account.SecretStored);
        Assert.Equal(app.SecretKeyId, account.SecretKeyId);
        var notification = Assert.Single(await h.Engine.Accounts.GetNotificationsAsync(h.StorePath, sandbox.Contoso.TenantId, account.AccountId, CancellationToken.None));
        Assert.Equal("Teams Chat protected.", notification.Message);

        var users = (long)(await RegistryStore.Open(h.StorePath).ReadAsync((c, ct) => c.ScalarAsync(null, "SELECT COUNT(*) FROM inventory_users WHERE account_id = $a AND done = 1", ct, ("$a", account.AccountId.ToString())), CancellationToken.None))!;
        var chats = (long)(await RegistryStore.Open(h.StorePath).ReadAsync((c, ct) => c.ScalarAsync(null, "SELECT COUNT(*) FROM inventory_chats WHERE account_id = $a", ct, ("$a", account.AccountId.ToString())), CancellationToken.None))!;
        Assert.True(users >= 30);
        Assert.True(chats > 0);
        Assert.Contains(h.Observer.ProgressRecords, p => p.ParentActivityId != -1 && p.Activity.Contains("Teams Chat data", StringComparison.Ordinal));
        Assert.Contains(h.Observer.ProgressRecords, p => p.Completed);
    }

    [Fact]
    public async Task NewAccount_ModelA_WithoutDlpSku_FailsAndRecordsNothing()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Fabrikam);
        var app = await NewAppAsync(h, admin, Name("nodlp"));

        var error = await Assert.ThrowsAsync<CasException>(() => ProvisionAsync(h, admin, app, LicensingModel.A));

        Assert.Equal(ErrorIds.LicensingPrerequisiteMissing, error.ErrorId);
        Assert.Empty(await h.Engine.Accounts.GetAsync(h.StorePath, null, null, null, true, CancellationToken.None));
    }

    [Fact]
    public async Task NewAccount_ModelB_WarnsThatBlockingIsNotSupported()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Fabrikam);
        var app = await NewAppAsync(h, admin, Name("modelb"), lifetime: TimeSpan.FromDays(90));

        var account = await ProvisionAsync(h, admin, app, LicensingModel.B, skipInventory: true);

        Assert.Equal(LicensingModel.B, account.LicensingModel);
        Assert.Contains("cannot block", h.Observer.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewAccount_SecretIdPastedInsteadOfValue_FailsWithInvalidClientSecret_NothingRecorded()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("secretid"));

        var error = await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.NewAccountAsync(admin, new NewTeamsChatAccountRequest
        {
            AppId = app.AppId, ClientSecret = SandboxFixture.Secure(app.SecretKeyId), LicensingModel = LicensingModel.Evaluation,
        }, h.Observer, CancellationToken.None));

        Assert.Equal(ErrorIds.InvalidClientSecret, error.ErrorId);
        Assert.Empty(await h.Engine.Accounts.GetAsync(h.StorePath, null, null, null, true, CancellationToken.None));
    }

    [Fact]
    public async Task NewAccount_ExpiredSecret_AndUnknownApp_AreTranslated()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var expired = sandbox.App(sandbox.Contoso, "expired");

        var e1 = await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.NewAccountAsync(admin, new NewTeamsChatAccountRequest
        {
            AppId = expired.AppId, ClientSecret = SandboxFixture.Secure(expired.Secret!), LicensingModel = LicensingModel.Evaluation,
        }, h.Observer, CancellationToken.None));
        var e2 = await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.NewAccountAsync(admin, new NewTeamsChatAccountRequest
        {
            AppId = Guid.NewGuid().ToString(), ClientSecret = SandboxFixture.Secure("x"), LicensingModel = LicensingModel.Evaluation,
        }, h.Observer, CancellationToken.None));
        var e3 = await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.NewAccountAsync(admin, new NewTeamsChatAccountRequest
        {
            AppId = "not-a-guid", ClientSecret = SandboxFixture.Secure("x"), LicensingModel = LicensingModel.Evaluation,
        }, h.Observer, CancellationToken.None));

        Assert.Equal(ErrorIds.SecretExpired, e1.ErrorId);
        Assert.Equal(ErrorIds.AppNotFound, e2.ErrorId);
        Assert.Equal(ErrorIds.InvalidArgument, e3.ErrorId);
    }

    [Fact]
    public async Task NewAccount_ConsentMissing_SaysSoWithTheConsentUrl_AndGrantAdminConsentFixesIt()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("noconsent"), consent: false);

        var error = await Assert.ThrowsAsync<CasException>(() => ProvisionAsync(h, admin, app, skipInventory: true));
        Assert.Equal(ErrorIds.AdminConsentMissing, error.ErrorId);
        Assert.Contains("adminconsent?client_id=" + app.AppId, error.RecommendedAction, StringComparison.Ordinal);
        Assert.Contains("Chat.Read.All", error.Message, StringComparison.Ordinal);

        var account = await ProvisionAsync(h, admin, app, grant: true, skipInventory: true);
        Assert.Equal(ServiceAccountStatus.Active, account.Status);
        Assert.Contains("Chat.Read.All", account.TokenRoles);
    }

    [Theory]
    [InlineData(false, ErrorIds.GlobalAdministratorRequired)]
    [InlineData(true, ErrorIds.PimActivationRequired)]
    public async Task NewAccount_CallerNotAnActiveGlobalAdministrator_IsRefusedWithTheReason(bool eligible, string expected)
    {
        using var h = new EngineHarness(sandbox);
        var appAdmin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, appAdmin, Name(eligible ? "pim" : "plain"));
        var person = await h.DelegatedAsync(sandbox.Contoso, eligible ? sandbox.Contoso.EligibleAdminUser : sandbox.Contoso.PlainUser);

        var error = await Assert.ThrowsAsync<CasException>(() => ProvisionAsync(h, person, app, skipInventory: true));

        Assert.Equal(expected, error.ErrorId);
        Assert.Empty(await h.Engine.Accounts.GetAsync(h.StorePath, null, null, null, true, CancellationToken.None));
    }

    [Fact]
    public async Task NewAccount_ActiveGlobalAdministratorSignedIn_Provisions()
    {
        using var h = new EngineHarness(sandbox);
        var appAdmin = await h.AdminAsync(sandbox.Fabrikam);
        var app = await NewAppAsync(h, appAdmin, Name("ga"), lifetime: TimeSpan.FromDays(90));
        var person = await h.DelegatedAsync(sandbox.Fabrikam, sandbox.Fabrikam.AdminUser);

        var account = await ProvisionAsync(h, person, app, LicensingModel.Evaluation, skipInventory: true);

        Assert.Equal(ServiceAccountStatus.Active, account.Status);
    }

    [Fact]
    public async Task NewAccount_Evaluation_HistoricalQuotaUsedUp_ProvisionsBecauseGraphNoLongerMeters()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("unmetered"));
        await sandbox.Host.Control.SetEvaluationUsageAsync(sandbox.Contoso.TenantId, app.AppId, 500);

        var account = await ProvisionAsync(h, admin, app, LicensingModel.Evaluation, skipInventory: true);

        Assert.Equal(ServiceAccountStatus.Active, account.Status);
    }

    [Fact]
    public async Task NewAccount_EvaluationQuotaExhausted_WhenGraphMetersAgain_FailsWithEvaluationQuotaExceeded()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("quota"));
        await sandbox.Host.Control.SetEvaluationUsageAsync(sandbox.Contoso.TenantId, app.AppId, 500);
        await sandbox.Host.Control.SetTeamsApiAsync(new TeamsApiSettings(MeteredEvaluation: true));
        try
        {
            var error = await Assert.ThrowsAsync<CasException>(() => ProvisionAsync(h, admin, app, LicensingModel.Evaluation, skipInventory: true));

            Assert.Equal(ErrorIds.EvaluationQuotaExceeded, error.ErrorId);
        }
        finally
        {
            await sandbox.Host.Control.SetTeamsApiAsync(new TeamsApiSettings(MeteredEvaluation: false));
        }
    }

    [Fact]
    public async Task NewAccount_Twice_SecondAttemptPointsToSetCasServiceAccountApp()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("dup"));
        await ProvisionAsync(h, admin, app, skipInventory: true);
        var other = await NewAppAsync(h, admin, Name("dup2"));

        var error = await Assert.ThrowsAsync<CasException>(() => ProvisionAsync(h, admin, other, skipInventory: true));

        Assert.Equal(ErrorIds.ServiceAccountExists, error.ErrorId);
        Assert.Contains("Set-CasServiceAccountApp", error.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inventory_WhenTheOnlyScannerFails_EndsWithItsError_InsteadOfWaitingForEver()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("scanfail"));
        var account = await ProvisionAsync(h, admin, app, skipInventory: true);

        // One scanner, and a user whose chats answer 404: the producer then fills the queue with nobody reading it.
        await sandbox.Host.Control.AddFaultAsync(new FaultRule { Method = "GET", Path = "/v1.0/users/*/chats", Status = 404, Nth = 1, Times = 1, TenantId = sandbox.Contoso.TenantId });
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var run = h.Engine.TeamsChat.UpdateInventoryAsync(admin, account.AccountId, null, 1, h.Observer, bound.Token);

        var error = await Assert.ThrowsAsync<CasException>(() => run);
        Assert.False(bound.IsCancellationRequested, "the run waited until the test's bound cancelled it");
    }

    [Fact]
    public async Task NewAccount_InventoryInterrupted_ResumesAndCountsNobodyTwice()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("resume"));
        using var cts = new CancellationTokenSource();

        // The 11th chat listing is held by the sandbox; once ten have been answered, Ctrl+C.
        await sandbox.Host.Control.AddFaultAsync(new FaultRule { Kind = FaultKind.Slow, Method = "GET", Path = "/v1.0/users/*/chats", Nth = 11, Times = 1, DelayMs = 60_000, TenantId = sandbox.Contoso.TenantId });
        var run = h.Engine.TeamsChat.NewAccountAsync(admin,
            new NewTeamsChatAccountRequest { AppId = app.AppId, ClientSecret = app.Secret, LicensingModel = LicensingModel.Evaluation, ThrottleLimit = 2 },
            h.Observer, cts.Token);
        while (!run.IsCompleted && (await sandbox.Host.Control.GetStatsAsync()).Endpoints.Where(e => e.Key.EndsWith("/chats", StringComparison.Ordinal)).Sum(e => e.Value.Requests) < 10)
        {
            await Task.Delay(20);
        }

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        // The run may have stopped before its 11th listing reached the sandbox: a rule still armed would hold one of the
        // resumed run's listings for a minute.
        await sandbox.Host.Control.ClearFaultsAsync();
        var partial = Assert.Single(await h.Engine.Accounts.GetAsync(h.StorePath, null, CasService.TeamsChat, null, true, CancellationToken.None));
        Assert.Equal(ServiceAccountStatus.Provisioning, partial.Status);

        var account = await ProvisionAsync(h, admin, app);

        Assert.Equal(partial.AccountId, account.AccountId);
        Assert.Equal(ServiceAccountStatus.Active, account.Status);
        Assert.Contains("Resuming the Teams Chat inventory", h.Observer.AllText(), StringComparison.Ordinal);
        var store = RegistryStore.Open(h.StorePath);
        var counted = (long)(await store.ReadAsync((c, ct) => c.ScalarAsync(null, "SELECT COUNT(*) FROM inventory_chats WHERE account_id = $a", ct, ("$a", account.AccountId.ToString())), CancellationToken.None))!;
        var perUser = (long)(await store.ReadAsync((c, ct) => c.ScalarAsync(null, "SELECT COUNT(*) FROM inventory_users WHERE account_id = $a AND done = 1", ct, ("$a", account.AccountId.ToString())), CancellationToken.None))!;

        // An uninterrupted run in a fresh registry counts the same.
        using var clean = new EngineHarness(sandbox);
        var cleanAdmin = await clean.AdminAsync(sandbox.Contoso);
        var cleanAccount = await ProvisionAsync(clean, cleanAdmin, app);
        var cleanStore = RegistryStore.Open(clean.StorePath);
        Assert.Equal((long)(await cleanStore.ReadAsync((c, ct) => c.ScalarAsync(null, "SELECT COUNT(*) FROM inventory_chats WHERE account_id = $a", ct, ("$a", cleanAccount.AccountId.ToString())), CancellationToken.None))!, counted);
        Assert.Equal((long)(await cleanStore.ReadAsync((c, ct) => c.ScalarAsync(null, "SELECT COUNT(*) FROM inventory_users WHERE account_id = $a AND done = 1", ct, ("$a", cleanAccount.AccountId.ToString())), CancellationToken.None))!, perUser);
    }

    [Fact]
    public async Task NewAccount_WithNotificationUrl_SubscribesWithTheModel_AndAFailingReceiverIsExplained()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("subscribe"));
        var failing = new Uri(sandbox.Host.Url, "_sandbox/receiver/fail");

        var error = await Assert.ThrowsAsync<CasException>(() => ProvisionAsync(h, admin, app, LicensingModel.A, notify: failing, skipInventory: true));
        Assert.Equal(ErrorIds.SubscriptionValidationFailed, error.ErrorId);

        var account = await ProvisionAsync(h, admin, app, LicensingModel.A, notify: new Uri(sandbox.Host.Url, "_sandbox/receiver/echo"), skipInventory: true);
        var subscriptions = await ChatSubscriptions.ListAsync(RegistryStore.Open(h.StorePath), account.AccountId, CancellationToken.None);
        Assert.Single(subscriptions);
    }

    [Fact]
    public async Task SetLicensingModel_ReplacesSubscriptionsNewFirst_AndRefusesLegacyAccounts()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("model"));
        var account = await ProvisionAsync(h, admin, app, LicensingModel.A, notify: new Uri(sandbox.Host.Url, "_sandbox/receiver/echo"), skipInventory: true);
        var store = RegistryStore.Open(h.StorePath);
        var before = Assert.Single(await ChatSubscriptions.ListAsync(store, account.AccountId, CancellationToken.None));

        var changed = await h.Engine.TeamsChat.SetLicensingModelAsync(admin, account.AccountId, LicensingModel.B, null, h.Observer, CancellationToken.None);

        Assert.Equal(LicensingModel.B, changed.LicensingModel);
        var after = Assert.Single(await ChatSubscriptions.ListAsync(store, account.AccountId, CancellationToken.None));
        Assert.NotEqual(before, after);
        var timeline = await sandbox.Host.Control.GetTimelineAsync();
        var created = timeline.Last(t => t.Method == "POST" && t.Path.StartsWith("/v1.0/subscriptions", StringComparison.Ordinal) && t.Status == 201);
        var deleted = timeline.Last(t => t.Method == "DELETE" && t.Path.EndsWith(before, StringComparison.Ordinal));
        Assert.True(created.ArrivalMs < deleted.ArrivalMs, "the new subscription must exist before the old one goes");

        var legacy = await h.Engine.Accounts.RegisterAsync(await h.AdminAsync(sandbox.Fabrikam), new RegisterAccountRequest
        {
            Service = CasService.TeamsChat, AppId = Guid.NewGuid().ToString(), IsLegacy = true,
        }, h.Observer, CancellationToken.None);
        var fabrikam = h.Engine.Connections.Resolve(sandbox.Fabrikam.TenantId);
        var refused = await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.SetLicensingModelAsync(fabrikam, legacy.AccountId, LicensingModel.A, SandboxFixture.Secure("x"), h.Observer, CancellationToken.None));
        Assert.Equal(ErrorIds.LegacyAccountNotSupported, refused.ErrorId);
    }

    [Fact]
    public async Task ChangeApp_ProtectsALegacyAccountWithItsOwnApp()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var legacy = await h.Engine.Accounts.RegisterAsync(admin, new RegisterAccountRequest
        {
            Service = CasService.TeamsChat, AppId = Guid.NewGuid().ToString(), IsLegacy = true,
        }, h.Observer, CancellationToken.None);
        Assert.Equal(LicensingModel.Evaluation, legacy.LicensingModel);
        var app = await NewAppAsync(h, admin, Name("ownapp"));

        var own = await h.Engine.TeamsChat.ChangeAppAsync(admin, legacy.AccountId, app.AppId, app.Secret, LicensingModel.A, false, h.Observer, CancellationToken.None);

        Assert.False(own.IsLegacy);
        Assert.Equal(app.AppId, own.AppId);
        Assert.Equal(LicensingModel.A, own.LicensingModel);
        Assert.Equal(legacy.AccountId, own.AccountId);
    }

    [Fact]
    public async Task UpdateSecret_NewValueIsProvedBeforeRecording_WrongValueChangesNothing()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("update"));
        var account = await ProvisionAsync(h, admin, app, skipInventory: true);

        var error = await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.UpdateSecretAsync(admin, account.AccountId, SandboxFixture.Secure("wrong-secret-value"), false, null, false, h.Observer, CancellationToken.None));
        Assert.Equal(ErrorIds.InvalidClientSecret, error.ErrorId);
        Assert.Equal(account.SecretKeyId, (await h.Engine.Accounts.GetAsync(h.StorePath, account.AccountId, CancellationToken.None)).SecretKeyId);

        var second = await h.Engine.TeamsChat.NewAppAsync(admin, new NewTeamsChatAppRequest { DisplayName = account.DisplayName!, ConsoleUrl = Console }, h.Observer, CancellationToken.None);
        var updated = await h.Engine.TeamsChat.UpdateSecretAsync(admin, account.AccountId, second.Secret, false, null, false, h.Observer, CancellationToken.None);
        Assert.Equal(second.SecretKeyId, updated.SecretKeyId);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UpdateSecret_Rotate_AddsProvesAndRemovesTheOldKeyOnlyWhenConfirmed(bool confirm)
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("rotate"));
        var account = await ProvisionAsync(h, admin, app, skipInventory: true);
        h.Observer.Confirm = _ => confirm;

        var rotated = await h.Engine.TeamsChat.UpdateSecretAsync(admin, account.AccountId, null, true, TimeSpan.FromDays(30), false, h.Observer, CancellationToken.None);

        Assert.NotEqual(account.SecretKeyId, rotated.SecretKeyId);
        Assert.Single(h.Observer.Questions);
        var keys = (await new Graph.DirectoryClient(admin.Context.Graph, admin.Permissions).FindApplicationByAppIdAsync(app.AppId, CancellationToken.None))!
            .PasswordCredentials!.Select(p => p.KeyId.ToString()).ToArray();
        Assert.Contains(rotated.SecretKeyId, keys);
        Assert.Equal(!confirm, keys.Contains(account.SecretKeyId));
        var token = await h.Engine.TeamsChat.NewAccessTokenAsync(admin, account.AccountId, null, false, h.Observer, CancellationToken.None);
        Assert.Empty(token.MissingRoles);
    }

    [Fact]
    public async Task NewAccessToken_ReturnsMetadata_AndTheTokenOnlyWhenAsked()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("token"));
        var account = await ProvisionAsync(h, admin, app, skipInventory: true);

        var plain = await h.Engine.TeamsChat.NewAccessTokenAsync(admin, account.AccountId, null, false, h.Observer, CancellationToken.None);
        var withToken = await h.Engine.TeamsChat.NewAccessTokenAsync(admin, account.AccountId, null, true, h.Observer, CancellationToken.None);

        Assert.Null(plain.Token);
        Assert.NotNull(withToken.Token);
        Assert.Contains("Chat.Read.All", plain.Roles);
        Assert.True(plain.ExpiresOn > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task WithoutProtectedStorage_TheSessionKeepsTheSecret_WarnsOnce_AndALaterSessionAsksForIt()
    {
        using var h = new EngineHarness(sandbox, keepSecrets: false);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("nostore"));
        var account = await ProvisionAsync(h, admin, app, skipInventory: true);
        Assert.False(account.SecretStored);
        Assert.Contains(h.Observer.Messages, m => m.StartsWith("WARNING", StringComparison.Ordinal) && m.Contains("this PowerShell session only", StringComparison.Ordinal) && m.Contains("-ClientSecret", StringComparison.Ordinal));

        // Later commands of the same session need no -ClientSecret.
        var sameSession = await h.Engine.TeamsChat.NewAccessTokenAsync(admin, account.AccountId, null, false, h.Observer, CancellationToken.None);
        Assert.Empty(sameSession.MissingRoles);

        // A later session (another engine, the same registry) has no copy: it asks, and then keeps what it is given.
        var later = new CasEngine(NoSecretVault.Instance);
        var error = await Assert.ThrowsAsync<CasException>(() => later.TeamsChat.NewAccessTokenAsync(admin, account.AccountId, null, false, h.Observer, CancellationToken.None));
        Assert.Equal(ErrorIds.SecretNotAvailable, error.ErrorId);
        Assert.Contains("-ClientSecret", error.RecommendedAction, StringComparison.Ordinal);
        var ok = await later.TeamsChat.NewAccessTokenAsync(admin, account.AccountId, app.Secret, false, h.Observer, CancellationToken.None);
        Assert.Empty(ok.MissingRoles);
        var again = await later.TeamsChat.NewAccessTokenAsync(admin, account.AccountId, null, false, h.Observer, CancellationToken.None);
        Assert.Empty(again.MissingRoles);
    }

    [Fact]
    public async Task Rotate_WithoutProtectedStorage_NeverRemovesTheOldSecret()
    {
        using var h = new EngineHarness(sandbox, keepSecrets: false);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("rotate-nostore"));
        var account = await ProvisionAsync(h, admin, app, skipInventory: true);
        h.Observer.Confirm = _ => true;

        var rotated = await h.Engine.TeamsChat.UpdateSecretAsync(admin, account.AccountId, null, true, TimeSpan.FromDays(30), true, h.Observer, CancellationToken.None);

        var keys = (await new Graph.DirectoryClient(admin.Context.Graph, admin.Permissions).FindApplicationByAppIdAsync(app.AppId, CancellationToken.None))!
            .PasswordCredentials!.Select(p => p.KeyId.ToString()).ToArray();
        Assert.Contains(rotated.SecretKeyId, keys);
        Assert.Contains(account.SecretKeyId, keys);
        Assert.Contains(h.Observer.Messages, m => m.StartsWith("WARNING", StringComparison.Ordinal) && m.Contains(account.SecretKeyId!, StringComparison.Ordinal) && m.Contains("was kept", StringComparison.Ordinal));

        // The old secret, which the admin still has, still signs in.
        var token = await new CasEngine(NoSecretVault.Instance).TeamsChat.NewAccessTokenAsync(admin, account.AccountId, app.Secret, false, h.Observer, CancellationToken.None);
        Assert.Empty(token.MissingRoles);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("ABCDEF")]
    [InlineData("0123456789abcdef0123456789abcdef/x")]
    public void ASecretReference_IsCheckedBeforeItBecomesAFileName(string reference)
    {
        var vault = new SessionSecretVault(new InMemorySecretVault());

        var error = Assert.Throws<CasException>(() => vault.Read(reference));

        Assert.Equal(ErrorIds.StoreCorrupt, error.ErrorId);
        Assert.DoesNotContain(reference, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestAccount_HealthyAccount_PassesEveryCheck()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name("health"));
        var account = await ProvisionAsync(h, admin, app, LicensingModel.A, skipInventory: true);

        var findings = await h.Engine.Accounts.TestAsync(admin, account.AccountId, null, h.Observer, CancellationToken.None);

        Assert.Contains(findings, f => f.Check == "AccessToken" && f.Status == HealthStatus.Pass);
        Assert.Contains(findings, f => f.Check == "AdminConsent" && f.Status == HealthStatus.Pass);
        Assert.Contains(findings, f => f.Check == "ServicePrincipal" && f.Status == HealthStatus.Pass);
        Assert.Contains(findings, f => f.Check == "Licensing" && f.Status == HealthStatus.Pass);
        Assert.DoesNotContain(findings, f => f.Status == HealthStatus.Fail);
    }
}
