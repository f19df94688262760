using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Provisioning;
using CasAdmin.Engine.Store;
using CasAdmin.Engine.Tests.Deprovisioning;
using CasAdmin.Engine.Tests.Provisioning;
using CasAdmin.Sandbox;

namespace CasAdmin.Engine.Tests.Store;

/// <summary>
/// The Teams Chat inventory and subscription SQL on both stores: the real engine end to end against the sandbox,
/// with the registry an SQLite file or a PostgreSQL database, asserting on what the registry then holds.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TeamsChatRegistryTests(PostgresFixture postgres, SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    private Uri Echo => sandbox.Host.Control.EchoReceiverUrl;

    /// <summary>An engine whose registry is a new file, or a new database on the shared PostgreSQL server.</summary>
    private async Task<EngineHarness> HarnessAsync(string kind) =>
        new(sandbox, storePath: kind == "sqlite" ? null : postgres.Cluster.ConnectionString(await postgres.Cluster.CreateDatabaseAsync()));

    /// <summary>Signed in to Contoso as its administrator, with a new consented Teams Chat app.</summary>
    private async Task<(CasConnection Admin, CasTeamsChatApp App)> ContosoAppAsync(EngineHarness h, string name)
    {
        var admin = await h.AdminAsync(sandbox.Contoso);
        return (admin, await TeamsChatProvisioningTests.NewAppAsync(h, admin, TeamsChatProvisioningTests.Name(name)));
    }

    [Theory]
    [MemberData(nameof(SharedRegistryTests.Stores), MemberType = typeof(SharedRegistryTests))]
    public async Task NewAccount_RecordsEveryUserOnce_TheSubscription_AndTeamsChatProtected(string kind)
    {
        using var h = await HarnessAsync(kind);
        var (admin, app) = await ContosoAppAsync(h, "pg-provision");

        var account = await TeamsChatProvisioningTests.ProvisionAsync(h, admin, app, LicensingModel.A, notify: Echo);

        Assert.Equal(ServiceAccountStatus.Active, (await h.Engine.Accounts.GetAsync(h.StorePath, account.AccountId, CancellationToken.None)).Status);
        var notification = Assert.Single(await h.Engine.Accounts.GetNotificationsAsync(h.StorePath, sandbox.Contoso.TenantId, account.AccountId, CancellationToken.None));
        Assert.Equal(TeamsChatAccountProvisioner.ProtectedMessage, notification.Message);
        Assert.Equal(CasService.TeamsChat, notification.Service);

        var tenantUsers = await TenantUsersAsync(admin);
        Assert.Equal(tenantUsers, await CountAsync(h, "inventory_users", account.AccountId));
        Assert.Equal(tenantUsers, await CountAsync(h, "inventory_users", account.AccountId, "done = 1"));
        Assert.Equal(tenantUsers, await ScalarAsync(h, "SELECT users_total FROM inventory_runs WHERE account_id = $a", account.AccountId));
        Assert.Equal("Completed", await ScalarAsync(h, "SELECT status FROM inventory_runs WHERE account_id = $a", account.AccountId));
        Assert.True(await CountAsync(h, "inventory_chats", account.AccountId) > 0);

        var subscription = Assert.Single(await ChatSubscriptions.ListAsync(RegistryStore.Open(h.StorePath), account.AccountId, CancellationToken.None));
        var inTenant = Assert.Single(await sandbox.Host.Control.GetSubscriptionsAsync(sandbox.Contoso.TenantId), s => s.Id == subscription);
        Assert.Equal(app.AppId, inTenant.ApplicationId);
        Assert.Null(inTenant.DeletedDateTime);
        Assert.Equal(ChatSubscriptions.ResourceFor(LicensingModel.A), await ScalarAsync(h, "SELECT resource FROM subscriptions WHERE account_id = $a", account.AccountId));
        Assert.Equal("A", await ScalarAsync(h, "SELECT model FROM subscriptions WHERE account_id = $a", account.AccountId));

        var audit = await h.Engine.Accounts.GetAuditLogAsync(h.StorePath, null, account.AccountId, "NewTeamsChatAccount", null, null, null, CancellationToken.None);
        Assert.Equal(["Succeeded", "Recorded"], audit.Select(e => e.Result));
    }

    [Theory]
    [MemberData(nameof(SharedRegistryTests.Stores), MemberType = typeof(SharedRegistryTests))]
    public async Task Inventory_InterruptedThenResumed_CountsNobodyTwice(string kind)
    {
        using var h = await HarnessAsync(kind);
        var (admin, app) = await ContosoAppAsync(h, "pg-resume");
        using var cts = new CancellationTokenSource();

        // One chat listing is held until the run is cancelled; the other scanner goes on, so the run stops with exactly one user left.
        await sandbox.Host.Control.AddFaultAsync(new FaultRule
        {
            Kind = FaultKind.Slow, Method = "GET", Path = "/v1.0/users/*/chats", Nth = 11, Times = 1, DelayMs = 600_000, TenantId = sandbox.Contoso.TenantId,
        });
        var run = h.Engine.TeamsChat.NewAccountAsync(admin,
            new NewTeamsChatAccountRequest { AppId = app.AppId, ClientSecret = app.Secret, LicensingModel = LicensingModel.Evaluation, ThrottleLimit = 2 },
            h.Observer, cts.Token);
        Guid accountId = default;
        long total = 0, done = -1;
        while (!run.IsCompleted && (total == 0 || done < total - 1))
        {
            await Task.Delay(20);
            if (accountId == default && (await h.Engine.Accounts.GetAsync(h.StorePath, null, CasService.TeamsChat, null, true, CancellationToken.None)).SingleOrDefault() is { } recorded)
            {
                accountId = recorded.AccountId;
            }

            if (accountId != default)
            {
                total = await ScalarAsync(h, "SELECT users_total FROM inventory_runs WHERE account_id = $a", accountId) is long n ? n : 0;
                done = await CountAsync(h, "inventory_users", accountId, "done = 1");
            }
        }

        Assert.False(run.IsCompleted, "the held chat listing should have kept the run from finishing");
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(ServiceAccountStatus.Provisioning, (await h.Engine.Accounts.GetAsync(h.StorePath, accountId, CancellationToken.None)).Status);
        Assert.Equal(total - 1, await CountAsync(h, "inventory_users", accountId, "done = 1"));
        Assert.Equal("Scanning", await ScalarAsync(h, "SELECT status FROM inventory_runs WHERE account_id = $a", accountId));

        var account = await TeamsChatProvisioningTests.ProvisionAsync(h, admin, app);

        Assert.Equal(accountId, account.AccountId);
        Assert.Equal(ServiceAccountStatus.Active, account.Status);
        Assert.Contains("Resuming the Teams Chat inventory", h.Observer.AllText(), StringComparison.Ordinal);
        Assert.Equal(total, await CountAsync(h, "inventory_users", accountId, "done = 1"));

        // An uninterrupted run into a fresh registry of the same kind records the same users, chats and counts.
        using var clean = await HarnessAsync(kind);
        var cleanAccount = await TeamsChatProvisioningTests.ProvisionAsync(clean, await clean.AdminAsync(sandbox.Contoso), app);
        Assert.Equal(await PerUserAsync(clean, cleanAccount.AccountId), await PerUserAsync(h, accountId));
        Assert.Equal(await ChatIdsAsync(clean, cleanAccount.AccountId), await ChatIdsAsync(h, accountId));
    }

    [Theory]
    [MemberData(nameof(SharedRegistryTests.Stores), MemberType = typeof(SharedRegistryTests))]
    public async Task UpdateInventory_AfterSkipInventory_ThenAgain_RedoesTheInventoryFromScratch(string kind)
    {
        using var h = await HarnessAsync(kind);
        var (admin, app) = await ContosoAppAsync(h, "pg-inventory");
        var account = await TeamsChatProvisioningTests.ProvisionAsync(h, admin, app, skipInventory: true);
        Assert.Equal(0, await CountAsync(h, "inventory_runs", account.AccountId));

        var first = await h.Engine.TeamsChat.UpdateInventoryAsync(admin, account.AccountId, null, 4, h.Observer, CancellationToken.None);

        Assert.False(first.Resumed);
        Assert.Equal(await TenantUsersAsync(admin), first.Users);
        Assert.Equal(first.Users, await CountAsync(h, "inventory_users", account.AccountId, "done = 1"));
        Assert.Equal(first.Chats, await CountAsync(h, "inventory_chats", account.AccountId));

        // A chat no longer in the tenant: a completed inventory asked for again starts over, so it must go.
        await RegistryStore.Open(h.StorePath).WriteAsync((c, t, ct) => c.ExecuteAsync(t,
            "INSERT INTO inventory_chats (account_id, chat_id, chat_type) VALUES ($a, 'gone-chat', NULL)", ct, ("$a", account.AccountId.ToString())), CancellationToken.None);
        var second = await h.Engine.TeamsChat.UpdateInventoryAsync(admin, account.AccountId, null, 4, h.Observer, CancellationToken.None);

        Assert.False(second.Resumed);
        Assert.Equal(first.Users, second.Users);
        Assert.Equal(first.Chats, second.Chats);
        Assert.Equal(0, await CountAsync(h, "inventory_chats", account.AccountId, "chat_id = 'gone-chat'"));
        Assert.Equal(first.Chats, await CountAsync(h, "inventory_chats", account.AccountId));
        Assert.Equal("Completed", await ScalarAsync(h, "SELECT status FROM inventory_runs WHERE account_id = $a", account.AccountId));
        Assert.Equal(2, (await h.Engine.Accounts.GetAuditLogAsync(h.StorePath, null, account.AccountId, "UpdateTeamsChatInventory", null, null, null, CancellationToken.None)).Count);
    }

    [Theory]
    [MemberData(nameof(SharedRegistryTests.Stores), MemberType = typeof(SharedRegistryTests))]
    public async Task SetLicensingModel_ReplacesTheSubscriptionRow_AndTheOldSubscriptionIsDeleted(string kind)
    {
        using var h = await HarnessAsync(kind);
        var (admin, app) = await ContosoAppAsync(h, "pg-model");
        var account = await TeamsChatProvisioningTests.ProvisionAsync(h, admin, app, LicensingModel.A, notify: Echo, skipInventory: true);
        var store = RegistryStore.Open(h.StorePath);
        var before = Assert.Single(await ChatSubscriptions.ListAsync(store, account.AccountId, CancellationToken.None));

        await h.Engine.TeamsChat.SetLicensingModelAsync(admin, account.AccountId, LicensingModel.B, null, h.Observer, CancellationToken.None);

        Assert.Equal(LicensingModel.B, (await h.Engine.Accounts.GetAsync(h.StorePath, account.AccountId, CancellationToken.None)).LicensingModel);
        var after = Assert.Single(await ChatSubscriptions.ListAsync(store, account.AccountId, CancellationToken.None));
        Assert.NotEqual(before, after);
        Assert.Equal("B", await ScalarAsync(h, "SELECT model FROM subscriptions WHERE account_id = $a", account.AccountId));
        Assert.Equal(ChatSubscriptions.ResourceFor(LicensingModel.B), await ScalarAsync(h, "SELECT resource FROM subscriptions WHERE account_id = $a", account.AccountId));
        var inTenant = await sandbox.Host.Control.GetSubscriptionsAsync(sandbox.Contoso.TenantId);
        Assert.Null(Assert.Single(inTenant, s => s.Id == after).DeletedDateTime);
        Assert.Equal(app.AppId, Assert.Single(inTenant, s => s.Id == before).DeletedByAppId);
    }

    [Theory]
    [MemberData(nameof(SharedRegistryTests.Stores), MemberType = typeof(SharedRegistryTests))]
    public async Task UpdateSecret_AndNewAccessToken_RecordTheNewKeyAndTokenState_AWrongSecretChangesNothing(string kind)
    {
        using var h = await HarnessAsync(kind);
        var (admin, app) = await ContosoAppAsync(h, "pg-secret");
        var account = await TeamsChatProvisioningTests.ProvisionAsync(h, admin, app, skipInventory: true);
        h.Observer.Confirm = _ => true;

        var rotated = await h.Engine.TeamsChat.UpdateSecretAsync(admin, account.AccountId, null, true, TimeSpan.FromDays(30), false, h.Observer, CancellationToken.None);
        var wrong = await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.UpdateSecretAsync(admin, account.AccountId, SandboxFixture.Secure("wrong-secret-value"), false, null, false, h.Observer, CancellationToken.None));
        var token = await h.Engine.TeamsChat.NewAccessTokenAsync(admin, account.AccountId, null, false, h.Observer, CancellationToken.None);

        Assert.Equal(ErrorIds.InvalidClientSecret, wrong.ErrorId);
        var recorded = await h.Engine.Accounts.GetAsync(h.StorePath, account.AccountId, CancellationToken.None);
        Assert.NotEqual(account.SecretKeyId, rotated.SecretKeyId);
        Assert.Equal(rotated.SecretKeyId, recorded.SecretKeyId);
        Assert.True(recorded.SecretStored);
        Assert.Equal(TokenState.Valid, recorded.TokenState);
        Assert.Equal(token.ExpiresOn.ToUnixTimeSeconds(), recorded.TokenExpiresOn?.ToUnixTimeSeconds());
        Assert.Empty(token.MissingRoles);
        var actions = (await h.Engine.Accounts.GetAuditLogAsync(h.StorePath, null, account.AccountId, null, null, null, null, CancellationToken.None)).Select(e => e.Action).ToArray();
        Assert.Contains("Rotate", actions);
        Assert.Contains("RemoveSecret", actions);
        Assert.Contains("NewAccessToken", actions);
        Assert.DoesNotContain("UpdateSecret", actions);
    }

    [Theory]
    [MemberData(nameof(SharedRegistryTests.Stores), MemberType = typeof(SharedRegistryTests))]
    public async Task ChangeApp_MovesTheSubscriptionToTheNewApp_AndKeepsTheInventory(string kind)
    {
        using var h = await HarnessAsync(kind);
        var (admin, app) = await ContosoAppAsync(h, "pg-from");
        var account = await TeamsChatProvisioningTests.ProvisionAsync(h, admin, app, LicensingModel.A, notify: Echo);
        var store = RegistryStore.Open(h.StorePath);
        var before = Assert.Single(await ChatSubscriptions.ListAsync(store, account.AccountId, CancellationToken.None));
        var users = await CountAsync(h, "inventory_users", account.AccountId, "done = 1");
        var chats = await CountAsync(h, "inventory_chats", account.AccountId);
        var next = await TeamsChatProvisioningTests.NewAppAsync(h, admin, TeamsChatProvisioningTests.Name("pg-to"));

        var moved = await h.Engine.TeamsChat.ChangeAppAsync(admin, account.AccountId, next.AppId, next.Secret, null, false, h.Observer, CancellationToken.None);

        Assert.Equal(next.AppId, moved.AppId);
        Assert.Equal(account.AccountId, moved.AccountId);
        var after = Assert.Single(await ChatSubscriptions.ListAsync(store, account.AccountId, CancellationToken.None));
        Assert.NotEqual(before, after);
        Assert.Equal("A", await ScalarAsync(h, "SELECT model FROM subscriptions WHERE account_id = $a", account.AccountId));
        var inTenant = await sandbox.Host.Control.GetSubscriptionsAsync(sandbox.Contoso.TenantId);
        var live = Assert.Single(inTenant, s => s.Id == after);
        Assert.Equal(next.AppId, live.ApplicationId);
        Assert.Null(live.DeletedDateTime);
        Assert.Equal(app.AppId, Assert.Single(inTenant, s => s.Id == before).DeletedByAppId);
        Assert.True(users > 0);
        Assert.Equal(users, await CountAsync(h, "inventory_users", account.AccountId, "done = 1"));
        Assert.Equal(chats, await CountAsync(h, "inventory_chats", account.AccountId));
        Assert.Single(await h.Engine.Accounts.GetAuditLogAsync(h.StorePath, null, account.AccountId, "ChangeApp", null, null, null, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(SharedRegistryTests.Stores), MemberType = typeof(SharedRegistryTests))]
    public async Task Remove_TeamsChatAccount_DeletesItsInventoryAndSubscriptionRows_AndNoOtherAccounts(string kind)
    {
        using var h = await HarnessAsync(kind);
        var (admin, app) = await ContosoAppAsync(h, "pg-remove");
        var account = await TeamsChatProvisioningTests.ProvisionAsync(h, admin, app, LicensingModel.A, notify: Echo);
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);
        var otherApp = await TeamsChatProvisioningTests.NewAppAsync(h, fabrikam, TeamsChatProvisioningTests.Name("pg-stays"), lifetime: TimeSpan.FromDays(90));
        var other = await TeamsChatProvisioningTests.ProvisionAsync(h, fabrikam, otherApp, notify: Echo);
        var subscription = Assert.Single(await ChatSubscriptions.ListAsync(RegistryStore.Open(h.StorePath), account.AccountId, CancellationToken.None));
        var otherRows = await RowsAsync(h, other.AccountId);
        Assert.True(await CountAsync(h, "inventory_users", account.AccountId) > 0);

        var result = Assert.Single(await Footprint.RemoveAsync(h, [account], admin, new RemovalOptions { RemoveApp = true }));

        Assert.True(result.Succeeded, result.Error?.Message ?? result.Job?.Error);
        var job = Assert.Single(await h.Engine.Deprovisioning.GetJobsAsync(h.StorePath, null, account.AccountId, null, null, CancellationToken.None));
        Assert.Equal(RemovalJobStatus.Succeeded, job.Status);
        var unsubscribe = Assert.Single(job.Steps, s => s.Name == RemovalPlan.Names[StepKind.DeleteSubscriptions]);
        Assert.Equal(RemovalStepStatus.Succeeded, unsubscribe.Status);
        Assert.Equal(ServiceAccountStatus.Removed, (await h.Engine.Accounts.GetAsync(h.StorePath, account.AccountId, CancellationToken.None)).Status);
        Assert.Equal(new long[] { 0, 0, 0, 0, 0 }, await RowsAsync(h, account.AccountId));
        Assert.Equal(app.AppId, Assert.Single(await sandbox.Host.Control.GetSubscriptionsAsync(sandbox.Contoso.TenantId), s => s.Id == subscription).DeletedByAppId);

        // The other tenant's account keeps every row it had.
        Assert.All(otherRows, n => Assert.True(n > 0));
        Assert.Equal(otherRows, await RowsAsync(h, other.AccountId));
    }

    /// <summary>The conflict path of the subscription upsert, which provisioning never takes (it subscribes only when none is recorded).</summary>
    [Theory]
    [MemberData(nameof(SharedRegistryTests.Stores), MemberType = typeof(SharedRegistryTests))]
    public async Task Subscription_RecordedAgain_IsUpdatedInPlace(string kind)
    {
        using var h = await HarnessAsync(kind);
        var store = RegistryStore.Open(h.StorePath);
        var now = DateTimeOffset.UtcNow;
        var account = new CasServiceAccount
        {
            AccountId = Guid.NewGuid(), TenantId = sandbox.Contoso.TenantId, Service = CasService.TeamsChat, AppId = Guid.NewGuid().ToString(),
            Status = ServiceAccountStatus.Active, CreatedOn = now, UpdatedOn = now,
        };
        var first = new ChatSubscriptions.Recorded("subscription-1", ChatSubscriptions.ResourceFor(LicensingModel.A), now.AddMinutes(59));
        var again = first with { Resource = ChatSubscriptions.ResourceFor(LicensingModel.B), Expires = now.AddHours(70) };

        await store.WriteAsync(async (c, t, ct) =>
        {
            await AccountRepository.InsertAsync(c, t, account, ct);
            await SubscriptionRepository.InsertAsync(c, t, account.AccountId, first.For(LicensingModel.A), ct);
        }, CancellationToken.None);
        await new SubscriptionRepository(store).RecordAsync(account.AccountId, again.For(LicensingModel.B), CancellationToken.None);

        Assert.Equal(["subscription-1"], await ChatSubscriptions.ListAsync(store, account.AccountId, CancellationToken.None));
        Assert.Equal("B", await ScalarAsync(h, "SELECT model FROM subscriptions WHERE account_id = $a", account.AccountId));
        Assert.Equal(again.Resource, await ScalarAsync(h, "SELECT resource FROM subscriptions WHERE account_id = $a", account.AccountId));
        Assert.Equal(again.Expires.Iso(), await ScalarAsync(h, "SELECT expires FROM subscriptions WHERE account_id = $a", account.AccountId));
    }

    /// <summary>The account's rows in every table the Teams Chat removal empties.</summary>
    private static async Task<long[]> RowsAsync(EngineHarness h, Guid accountId) =>
    [
        await CountAsync(h, "inventory_users", accountId), await CountAsync(h, "inventory_chats", accountId), await CountAsync(h, "inventory_runs", accountId),
        await CountAsync(h, "subscriptions", accountId), await CountAsync(h, "notifications", accountId),
    ];

    private static async Task<long> CountAsync(EngineHarness h, string table, Guid accountId, string? condition = null) =>
        (long)(await ScalarAsync(h, $"SELECT COUNT(*) FROM {table} WHERE account_id = $a" + (condition is null ? string.Empty : " AND " + condition), accountId))!;

    private static Task<object?> ScalarAsync(EngineHarness h, string sql, Guid accountId) =>
        RegistryStore.Open(h.StorePath).ReadAsync((c, ct) => c.ScalarAsync(null, sql, ct, ("$a", accountId.ToString())), CancellationToken.None);

    /// <summary>Each user's row as text, in ordinal order (the stores' collations may differ).</summary>
    private static async Task<List<string>> PerUserAsync(EngineHarness h, Guid accountId) =>
        (await RegistryStore.Open(h.StorePath).ReadAsync((c, ct) => c.QueryAsync(null,
            "SELECT user_id, chats_seen, done FROM inventory_users WHERE account_id = $a",
            r => $"{r.GetString(0)} seen {r.Long("chats_seen")} done {r.Long("done")}", ct, ("$a", accountId.ToString())), CancellationToken.None))
        .Order(StringComparer.Ordinal).ToList();

    private static async Task<List<string>> ChatIdsAsync(EngineHarness h, Guid accountId) =>
        (await RegistryStore.Open(h.StorePath).ReadAsync((c, ct) => c.QueryAsync(null,
            "SELECT chat_id FROM inventory_chats WHERE account_id = $a", r => r.GetString(0), ct, ("$a", accountId.ToString())), CancellationToken.None))
        .Order(StringComparer.Ordinal).ToList();

    /// <summary>How many users Graph lists in the tenant: what a complete inventory must record, each once.</summary>
    private static async Task<long> TenantUsersAsync(CasConnection admin)
    {
        long n = 0;
        var page = await admin.Context.Graph.CallAsync((g, c) => g.Users.GetAsync(r => { r.QueryParameters.Select = ["id"]; r.QueryParameters.Top = 999; }, c), "users", CancellationToken.None);
        while (page?.Value is { } users)
        {
            n += users.Count;
            if (page.OdataNextLink is not { } next)
            {
                break;
            }

            page = await admin.Context.Graph.CallAsync((g, c) => g.Users.WithUrl(next).GetAsync(cancellationToken: c), "users", CancellationToken.None);
        }

        return n;
    }
}
