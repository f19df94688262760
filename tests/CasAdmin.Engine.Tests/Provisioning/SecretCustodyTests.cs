using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Graph;
using CasAdmin.Engine.Provisioning;
using CasAdmin.Engine.Store;
using CasAdmin.Engine.Tests.Deprovisioning;
using CasAdmin.Engine.Tests.Store;

namespace CasAdmin.Engine.Tests.Provisioning;

/// <summary>
/// No secret is thrown away while it is the only copy, and none is left behind: a new secret is kept under a new vault
/// reference, recorded, and only then does the old entry go; a failed record takes back what it added; removal deletes
/// the entry before the registry forgets it; and the leftovers of another machine or an interrupted run can be listed and
/// removed. The registry write is made to fail for real: a trigger, in the SQLite file or the PostgreSQL database, that
/// aborts the account's update.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SecretCustodyTests(PostgresFixture postgres, SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    private async Task<EngineHarness> HarnessAsync(string kind) =>
        new(sandbox, new InMemorySecretVault(), kind == "sqlite" ? null : postgres.Cluster.ConnectionString(await postgres.Cluster.CreateDatabaseAsync()));

    private static bool IsPostgres(EngineHarness h) => StoreLocator.IsConnectionString(h.StorePath);

    private static Task BreakRegistryAsync(EngineHarness h) =>
        RegistryStore.Open(h.StorePath).WriteAsync(async (c, t, ct) =>
        {
            if (IsPostgres(h))
            {
                await c.ExecuteAsync(t, "CREATE FUNCTION casadmin_test_fail() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RAISE EXCEPTION ''injected registry failure''; END'", ct);
                await c.ExecuteAsync(t, "CREATE TRIGGER casadmin_test_fail BEFORE UPDATE ON service_accounts FOR EACH ROW EXECUTE FUNCTION casadmin_test_fail()", ct);
            }
            else
            {
                await c.ExecuteAsync(t, "CREATE TRIGGER casadmin_test_fail BEFORE UPDATE ON service_accounts BEGIN SELECT RAISE(ABORT, 'injected registry failure'); END", ct);
            }
        }, CancellationToken.None);

    private static Task RepairRegistryAsync(EngineHarness h) =>
        RegistryStore.Open(h.StorePath).WriteAsync((c, t, ct) => c.ExecuteAsync(t, IsPostgres(h) ? "DROP TRIGGER casadmin_test_fail ON service_accounts" : "DROP TRIGGER casadmin_test_fail", ct), CancellationToken.None);

    private static Task<CasServiceAccount> RecordedAsync(EngineHarness h, Guid accountId) => h.Engine.Accounts.GetAsync(h.StorePath, accountId, CancellationToken.None);

    private static async Task<string[]> KeysAsync(CasConnection admin, string appId) =>
        (await new DirectoryClient(admin.Context.Graph, admin.Permissions).FindApplicationByAppIdAsync(appId, CancellationToken.None))!
            .PasswordCredentials!.Select(p => p.KeyId.ToString()!).Order().ToArray();

    private static string[] Entries(EngineHarness h) => h.Vault.List().Select(e => e.Reference).Order().ToArray();

    [Theory]
    [MemberData(nameof(SharedRegistryTests.Stores), MemberType = typeof(SharedRegistryTests))]
    public async Task ChangeApp_WhenTheRegistryWriteFails_KeepsTheOldSecretStored_AndLeavesNoNewEntry(string kind)
    {
        using var h = await HarnessAsync(kind);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var first = await TeamsChatProvisioningTests.NewAppAsync(h, admin, TeamsChatProvisioningTests.Name("custody-old"));
        var account = await TeamsChatProvisioningTests.ProvisionAsync(h, admin, first, skipInventory: true);
        var second = await TeamsChatProvisioningTests.NewAppAsync(h, admin, TeamsChatProvisioningTests.Name("custody-new"));
        var oldRef = account.SecretReference!;
        await BreakRegistryAsync(h);

        var error = await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.ChangeAppAsync(admin, account.AccountId, second.AppId, second.Secret, null, false, h.Observer, CancellationToken.None));

        Assert.StartsWith("Store", error.ErrorId, StringComparison.Ordinal);
        Assert.Equal(first.AppId, (await RecordedAsync(h, account.AccountId)).AppId);
        Assert.Equal([oldRef], Entries(h));
        Assert.Equal(SandboxFixture.Reveal(first.Secret), h.Vault.Read(oldRef));

        // Once the registry works, the new secret gets a reference of its own and the old entry goes after the record.
        await RepairRegistryAsync(h);
        var changed = await h.Engine.TeamsChat.ChangeAppAsync(admin, account.AccountId, second.AppId, second.Secret, null, false, h.Observer, CancellationToken.None);
        Assert.NotEqual(oldRef, changed.SecretReference);
        Assert.Equal([changed.SecretReference!], Entries(h));
        Assert.Equal(SandboxFixture.Reveal(second.Secret), h.Vault.Read(changed.SecretReference!));
    }

    [Theory]
    [MemberData(nameof(SharedRegistryTests.Stores), MemberType = typeof(SharedRegistryTests))]
    public async Task Rotate_WhenTheRegistryWriteFails_RemovesTheNewSecretFromTheApp_AndKeepsTheStoredOne(string kind)
    {
        using var h = await HarnessAsync(kind);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await TeamsChatProvisioningTests.NewAppAsync(h, admin, TeamsChatProvisioningTests.Name("custody-rotate"));
        var account = await TeamsChatProvisioningTests.ProvisionAsync(h, admin, app, skipInventory: true);
        var oldRef = account.SecretReference!;
        h.Observer.Confirm = _ => true;
        Assert.Equal([account.SecretKeyId!], await KeysAsync(admin, app.AppId));
        await BreakRegistryAsync(h);

        await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.UpdateSecretAsync(admin, account.AccountId, null, true, TimeSpan.FromDays(30), true, h.Observer, CancellationToken.None));

        Assert.Equal([account.SecretKeyId!], await KeysAsync(admin, app.AppId));
        Assert.Equal(account.SecretKeyId, (await RecordedAsync(h, account.AccountId)).SecretKeyId);
        Assert.Equal([oldRef], Entries(h));
        Assert.Equal(SandboxFixture.Reveal(app.Secret), h.Vault.Read(oldRef));

        await RepairRegistryAsync(h);
        var rotated = await h.Engine.TeamsChat.UpdateSecretAsync(admin, account.AccountId, null, true, TimeSpan.FromDays(30), true, h.Observer, CancellationToken.None);
        Assert.Equal([rotated.SecretKeyId!], await KeysAsync(admin, app.AppId));
        Assert.NotEqual(oldRef, rotated.SecretReference);
        Assert.Equal([rotated.SecretReference!], Entries(h));
        Assert.Empty((await h.Engine.TeamsChat.NewAccessTokenAsync(admin, account.AccountId, null, false, h.Observer, CancellationToken.None)).MissingRoles);
    }

    [Fact]
    public async Task Rotate_WithoutAKeyring_WhenTheRegistryWriteFails_TheSessionKeepsTheSecretThatWorks()
    {
        // On a host without protected storage the session's memory may hold the only copy of the secret in use.
        using var h = new EngineHarness(sandbox, keepSecrets: false);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await TeamsChatProvisioningTests.NewAppAsync(h, admin, TeamsChatProvisioningTests.Name("custody-session"));
        var account = await TeamsChatProvisioningTests.ProvisionAsync(h, admin, app, skipInventory: true);
        await BreakRegistryAsync(h);

        await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.UpdateSecretAsync(admin, account.AccountId, null, true, TimeSpan.FromDays(30), true, h.Observer, CancellationToken.None));

        Assert.Equal([account.SecretKeyId!], await KeysAsync(admin, app.AppId));
        await RepairRegistryAsync(h);
        var token = await h.Engine.TeamsChat.NewAccessTokenAsync(admin, account.AccountId, null, false, h.Observer, CancellationToken.None);
        Assert.Empty(token.MissingRoles);
    }

    [Fact]
    public async Task UpdateSecret_WhenTheRegistryWriteFails_KeepsTheStoredSecret()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await TeamsChatProvisioningTests.NewAppAsync(h, admin, TeamsChatProvisioningTests.Name("custody-update"));
        var account = await TeamsChatProvisioningTests.ProvisionAsync(h, admin, app, skipInventory: true);
        var second = await h.Engine.TeamsChat.NewAppAsync(admin, new NewTeamsChatAppRequest { DisplayName = account.DisplayName!, ConsoleUrl = new Uri("https://console.example.com") }, h.Observer, CancellationToken.None);
        await BreakRegistryAsync(h);

        await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.UpdateSecretAsync(admin, account.AccountId, second.Secret, false, null, false, h.Observer, CancellationToken.None));

        Assert.Equal([account.SecretReference!], Entries(h));
        Assert.Equal(SandboxFixture.Reveal(app.Secret), h.Vault.Read(account.SecretReference!));
    }

    [Fact]
    public async Task Removal_StoppedAtTheVaultStep_LeavesNoEntryOnceResumed()
    {
        var vault = new StopOnceVault(new InMemorySecretVault());
        using var h = new EngineHarness(sandbox, vault);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await TeamsChatProvisioningTests.NewAppAsync(h, admin, TeamsChatProvisioningTests.Name("custody-remove"));
        var account = await TeamsChatProvisioningTests.ProvisionAsync(h, admin, app, skipInventory: true);
        Assert.Single(vault.List());
        vault.StopAtNextDelete = true;

        var stopped = Assert.Single(await Footprint.RemoveAsync(h, [account], admin));
        Assert.False(stopped.Succeeded);

        var resumed = Assert.Single(await Footprint.RemoveAsync(h, [account], admin));
        Assert.True(resumed.Succeeded, resumed.Error?.Message ?? resumed.Job?.Error);
        Assert.Equal(ServiceAccountStatus.Removed, (await RecordedAsync(h, account.AccountId)).Status);
        Assert.Empty(vault.List());
    }

    [Fact]
    public async Task SharedRegistry_RemovalOnAnotherMachine_SaysSo_AndTheOwnerListsAndRemovesTheLeftover()
    {
        using var owner = new EngineHarness(sandbox);
        using var other = new EngineHarness(sandbox, new InMemorySecretVault(), owner.StorePath);
        var admin = await owner.AdminAsync(sandbox.Contoso);
        var app = await TeamsChatProvisioningTests.NewAppAsync(owner, admin, TeamsChatProvisioningTests.Name("custody-shared"));
        var account = await TeamsChatProvisioningTests.ProvisionAsync(owner, admin, app, skipInventory: true);
        var listed = Assert.Single(await owner.Engine.StoredSecrets.GetAsync(owner.StorePath, false, CancellationToken.None));
        Assert.True(listed.Referenced);
        Assert.Equal(account.AccountId, listed.AccountId);
        Assert.Equal(Environment.MachineName, listed.ComputerName);
        Assert.Empty(await owner.Engine.StoredSecrets.GetAsync(owner.StorePath, true, CancellationToken.None));
        var inUse = await Assert.ThrowsAsync<CasException>(() => owner.Engine.StoredSecrets.RemoveAsync(owner.StorePath, listed.Reference, CancellationToken.None));
        Assert.Equal(ErrorIds.StoredSecretInUse, inUse.ErrorId);
        Assert.Single(owner.Vault.List());

        var removed = Assert.Single(await Footprint.RemoveAsync(other, [account], await other.AdminAsync(sandbox.Contoso)));

        Assert.True(removed.Succeeded, removed.Error?.Message ?? removed.Job?.Error);
        var local = Assert.Single(removed.Job!.Steps, s => s.Name == RemovalPlan.Names[StepKind.RemoveLocalData]);
        Assert.Contains("not in this machine's vault", local.Detail, StringComparison.Ordinal);
        Assert.Contains("Get-CasStoredSecret -Unreferenced", local.Detail, StringComparison.Ordinal);
        var leftover = Assert.Single(await owner.Engine.StoredSecrets.GetAsync(owner.StorePath, true, CancellationToken.None));
        Assert.Equal(listed.Reference, leftover.Reference);
        Assert.False(leftover.Referenced);
        Assert.Null(leftover.AccountId);

        var gone = await owner.Engine.StoredSecrets.RemoveAsync(owner.StorePath, leftover.Reference, CancellationToken.None);

        Assert.Equal(leftover.Reference, gone.Reference);
        Assert.Empty(owner.Vault.List());
    }

    [Theory]
    [InlineData("not-a-reference", ErrorIds.InvalidArgument)]
    [InlineData("../../etc/passwd", ErrorIds.InvalidArgument)]
    [InlineData("0123456789ABCDEF0123456789ABCDEF", ErrorIds.InvalidArgument)]
    [InlineData("0123456789abcdef0123456789abcdef", ErrorIds.StoredSecretNotFound)]
    public async Task RemoveStoredSecret_BadOrUnknownReference_IsRefused_AndChangesNothing(string reference, string errorId)
    {
        using var h = new EngineHarness(sandbox);
        h.Vault.Save("fedcba9876543210fedcba9876543210", "kept-value");
        await RegistryStore.Open(h.StorePath).WriteAsync((c, t, ct) => Task.CompletedTask, CancellationToken.None);

        var error = await Assert.ThrowsAsync<CasException>(() => h.Engine.StoredSecrets.RemoveAsync(h.StorePath, reference, CancellationToken.None));

        Assert.Equal(errorId, error.ErrorId);
        Assert.False(string.IsNullOrEmpty(error.RecommendedAction));
        Assert.Equal(["fedcba9876543210fedcba9876543210"], Entries(h));
    }

    [Fact]
    public async Task StoredSecrets_AgainstARegistryThatDoesNotExist_AreNotCalledUnreferenced()
    {
        using var h = new EngineHarness(sandbox);
        h.Vault.Save("fedcba9876543210fedcba9876543210", "kept-value");

        var error = await Assert.ThrowsAsync<CasException>(() => h.Engine.StoredSecrets.GetAsync(h.StorePath, true, CancellationToken.None));
        var refused = await Assert.ThrowsAsync<CasException>(() => h.Engine.StoredSecrets.RemoveAsync(h.StorePath, "fedcba9876543210fedcba9876543210", CancellationToken.None));

        Assert.Equal(ErrorIds.StoreUnavailable, error.ErrorId);
        Assert.Equal(ErrorIds.StoreUnavailable, refused.ErrorId);
        Assert.Single(h.Vault.List());
    }

    /// <summary>A vault whose next delete fails once: the run stops at that point, as if the process died there.</summary>
    private sealed class StopOnceVault(ISecretVault inner) : ISecretVault
    {
        public bool StopAtNextDelete { get; set; }

        public bool IsAvailable => inner.IsAvailable;

        public void Save(string reference, string secret) => inner.Save(reference, secret);

        public string? Read(string reference) => inner.Read(reference);

        public void Delete(string reference)
        {
            if (StopAtNextDelete)
            {
                StopAtNextDelete = false;
                throw new IOException("The run stops here (test).");
            }

            inner.Delete(reference);
        }

        public IReadOnlyList<StoredEntry> List() => inner.List();
    }
    [Theory]
    [MemberData(nameof(SharedRegistryTests.Stores), MemberType = typeof(SharedRegistryTests))]
    public async Task NewAccountRerun_WithAnotherSecret_WhenTheRegistryWriteFails_KeepsTheRecordedSecret_AndLeavesNoNewEntry(string kind)
    {
        using var h = await HarnessAsync(kind);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await TeamsChatProvisioningTests.NewAppAsync(h, admin, TeamsChatProvisioningTests.Name("custody-rerun"));

        // Recorded, then stopped: the receiver refuses Graph's validation, so the account stays in status Provisioning.
        await Assert.ThrowsAsync<CasException>(() => TeamsChatProvisioningTests.ProvisionAsync(h, admin, app, notify: new Uri(sandbox.Host.Url, "_sandbox/receiver/fail"), skipInventory: true));
        var recorded = Assert.Single(await new AccountRepository(RegistryStore.Open(h.StorePath)).ListAsync(admin.TenantId, CasService.TeamsChat, null, includeRemoved: false, CancellationToken.None));
        var oldRef = recorded.SecretReference!;

        // The rerun brings another secret of the same app.
        var second = await admin.Context.Graph.CallAsync((g, c) => g.Applications[app.ObjectId].AddPassword.PostAsync(
            new Microsoft.Graph.Applications.Item.AddPassword.AddPasswordPostRequestBody { PasswordCredential = new Microsoft.Graph.Models.PasswordCredential { DisplayName = "rerun" } },
            cancellationToken: c), app.AppId, CancellationToken.None);
        Task<CasServiceAccount> RerunAsync() => h.Engine.TeamsChat.NewAccountAsync(admin, new NewTeamsChatAccountRequest
        {
            AppId = app.AppId, ClientSecret = SandboxFixture.Secure(second!.SecretText!), LicensingModel = LicensingModel.Evaluation, SkipInventory = true,
        }, h.Observer, CancellationToken.None);

        await BreakRegistryAsync(h);
        var error = await Assert.ThrowsAsync<CasException>(RerunAsync);
        Assert.StartsWith("Store", error.ErrorId, StringComparison.Ordinal);
        Assert.Equal([oldRef], Entries(h));
        Assert.Equal(SandboxFixture.Reveal(app.Secret), h.Vault.Read(oldRef));

        // Once the registry works, the new secret is recorded under an entry of its own and the old entry goes.
        await RepairRegistryAsync(h);
        var account = await RerunAsync();
        Assert.NotEqual(oldRef, account.SecretReference);
        Assert.Equal([account.SecretReference!], Entries(h));
        Assert.Equal(second!.SecretText, h.Vault.Read(account.SecretReference!));
    }
}
