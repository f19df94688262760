using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Provisioning;
using CasAdmin.Engine.Store;
using CasAdmin.Sandbox;
using static CasAdmin.Engine.Tests.Provisioning.TeamsChatProvisioningTests;

namespace CasAdmin.Engine.Tests.Provisioning;

/// <summary>
/// Protection that does not lapse: the sandbox's subscription clock moves past expiry, Graph removes subscriptions, and
/// renewal restores them exactly once. Its own sandbox, because the clock ages every subscription in it.
/// </summary>
public sealed class TeamsChatSubscriptionTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    private Uri Echo => new(sandbox.Host.Url, "_sandbox/receiver/echo");

    private async Task<(EngineHarness H, CasConnection Admin, CasTeamsChatApp App, CasServiceAccount Account)> ProvisionedAsync(string test, LicensingModel model = LicensingModel.A)
    {
        var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var app = await NewAppAsync(h, admin, Name(test));
        var account = await h.Engine.TeamsChat.NewAccountAsync(admin, new NewTeamsChatAccountRequest
        {
            AppId = app.AppId, ClientSecret = app.Secret, LicensingModel = model, NotificationUrl = Echo, LifecycleNotificationUrl = Echo, SkipInventory = true,
        }, h.Observer, CancellationToken.None);
        return (h, admin, app, account);
    }

    private Task<IReadOnlyList<CasTeamsChatSubscription>> RenewAsync(EngineHarness h, CasConnection admin, CasServiceAccount account, TimeSpan? within = null) =>
        h.Engine.TeamsChat.RenewSubscriptionsAsync(admin, account.AccountId, null, within, h.Observer, CancellationToken.None);

    private async Task<List<SubscriptionRecord>> LiveInGraphAsync(string appId) =>
        (await sandbox.Host.Control.GetSubscriptionsAsync(sandbox.Contoso.TenantId))
            .Where(s => s.ApplicationId == appId && s.DeletedDateTime is null && s.ExpirationDateTime > DateTimeOffset.UtcNow).ToList();

    private static Task<List<string>> RecordedAsync(EngineHarness h, CasServiceAccount account) =>
        ChatSubscriptions.ListAsync(RegistryStore.Open(h.StorePath), account.AccountId, CancellationToken.None);

    [Fact]
    public async Task Renew_NearExpiry_ExtendsIt_AndASecondRunChangesNothing()
    {
        var (h, admin, app, account) = await ProvisionedAsync("renew");
        using var _ = h;
        var original = Assert.Single(await LiveInGraphAsync(app.AppId));

        // 60 of its 70 hours pass: it expires within a day.
        await sandbox.Host.Control.AdvanceClockAsync(TimeSpan.FromHours(60));
        var renewed = Assert.Single(await RenewAsync(h, admin, account));
        Assert.Equal(SubscriptionAction.Renewed, renewed.Action);
        Assert.Equal(original.Id, renewed.SubscriptionId);
        Assert.True(renewed.ExpiresOn > DateTimeOffset.UtcNow.AddHours(69));
        var live = Assert.Single(await LiveInGraphAsync(app.AppId));
        Assert.True(live.ExpirationDateTime > DateTimeOffset.UtcNow.AddHours(69));

        var again = Assert.Single(await RenewAsync(h, admin, account));
        Assert.Equal(SubscriptionAction.Unchanged, again.Action);
        Assert.Equal(original.Id, Assert.Single(await RecordedAsync(h, account)));
        Assert.Single(await LiveInGraphAsync(app.AppId));
    }

    [Fact]
    public async Task Renew_ExpiredOrRemoved_Recreates_AndTheHealthTestSaysSoBefore()
    {
        var (h, admin, app, account) = await ProvisionedAsync("recreate", LicensingModel.B);
        using var _ = h;
        var first = Assert.Single(await RecordedAsync(h, account));

        // Past its expiry: Graph says nothing, the health test does.
        await sandbox.Host.Control.AdvanceClockAsync(TimeSpan.FromHours(71));
        var findings = await h.Engine.Accounts.TestAsync(admin, account.AccountId, null, h.Observer, CancellationToken.None);
        var expired = Assert.Single(findings, f => f.Check == "Subscriptions");
        Assert.Equal(HealthStatus.Fail, expired.Status);
        Assert.Contains("expired", expired.Message, StringComparison.Ordinal);
        Assert.Contains("Update-CasTeamsChatSubscription", expired.RecommendedAction, StringComparison.Ordinal);

        var recreated = Assert.Single(await RenewAsync(h, admin, account));
        Assert.Equal(SubscriptionAction.Recreated, recreated.Action);
        Assert.Equal("expired", recreated.Reason);
        Assert.Equal(first, recreated.PreviousSubscriptionId);
        Assert.Equal("/chats/getAllMessages?model=B", recreated.Resource);
        Assert.Equal(recreated.SubscriptionId, Assert.Single(await RecordedAsync(h, account)));
        var live = Assert.Single(await LiveInGraphAsync(app.AppId));
        Assert.Equal(Echo.AbsoluteUri, live.LifecycleNotificationUrl);

        // Graph removes it (subscriptionRemoved): the health test names it, renewal replaces it.
        await sandbox.Host.Control.RemoveSubscriptionAsync(sandbox.Contoso.TenantId, recreated.SubscriptionId);
        findings = await h.Engine.Accounts.TestAsync(admin, account.AccountId, null, h.Observer, CancellationToken.None);
        Assert.Contains("removed", Assert.Single(findings, f => f.Check == "Subscriptions").Message, StringComparison.Ordinal);
        var replaced = Assert.Single(await RenewAsync(h, admin, account));
        Assert.Equal(SubscriptionAction.Recreated, replaced.Action);
        Assert.Equal("removed", replaced.Reason);

        findings = await h.Engine.Accounts.TestAsync(admin, account.AccountId, null, h.Observer, CancellationToken.None);
        Assert.Equal(HealthStatus.Pass, Assert.Single(findings, f => f.Check == "Subscriptions").Status);
        Assert.Single(await LiveInGraphAsync(app.AppId));
    }

    [Fact]
    public async Task Renew_AfterARunThatCreatedButDidNotRecord_AdoptsIt_InsteadOfCreatingTwice()
    {
        var (h, admin, app, account) = await ProvisionedAsync("adopt");
        using var _ = h;

        // As if a run had created the replacement in Graph and stopped before recording it.
        var store = RegistryStore.Open(h.StorePath);
        await store.WriteAsync((c, t, ct) => c.ExecuteAsync(t, "DELETE FROM subscriptions WHERE account_id = $a", ct, ("$a", account.AccountId.ToString())), CancellationToken.None);

        var adopted = Assert.Single(await RenewAsync(h, admin, account));

        Assert.Equal(SubscriptionAction.Adopted, adopted.Action);
        var live = Assert.Single(await LiveInGraphAsync(app.AppId));
        Assert.Equal(live.Id, adopted.SubscriptionId);
        Assert.Equal(live.Id, Assert.Single(await RecordedAsync(h, account)));
    }

    [Fact]
    public async Task ProtectedApiNotApproved_IsNamed_WithMicrosoftsForm_ByRenewalAndTheHealthTest()
    {
        var (h, admin, app, account) = await ProvisionedAsync("protected");
        using var _ = h;
        await sandbox.Host.Control.RemoveSubscriptionAsync(sandbox.Contoso.TenantId, Assert.Single(await RecordedAsync(h, account)));
        await sandbox.Host.Control.SetTeamsApiAsync(new TeamsApiSettings(ProtectedApiApproval: new Dictionary<string, bool?> { [app.AppId] = false }));
        try
        {
            var error = await Assert.ThrowsAsync<CasException>(() => RenewAsync(h, admin, account));
            Assert.Equal(ErrorIds.ProtectedApiNotApproved, error.ErrorId);
            Assert.Equal(403, error.StatusCode);
            Assert.Contains("https://aka.ms/teamsgraph/requestaccess", error.RecommendedAction, StringComparison.Ordinal);

            var findings = await h.Engine.Accounts.TestAsync(admin, account.AccountId, null, h.Observer, CancellationToken.None);
            var finding = Assert.Single(findings, f => f.Check == "ProtectedApi");
            Assert.Equal(HealthStatus.Fail, finding.Status);
            Assert.Contains("https://aka.ms/teamsgraph/requestaccess", finding.RecommendedAction, StringComparison.Ordinal);
        }
        finally
        {
            await sandbox.Host.Control.SetTeamsApiAsync(new TeamsApiSettings(ProtectedApiApproval: new Dictionary<string, bool?> { [app.AppId] = null }));
        }

        Assert.Equal(SubscriptionAction.Recreated, Assert.Single(await RenewAsync(h, admin, account)).Action);
    }

    [Fact]
    public async Task Renew_NegativeRenewWithin_IsInvalidArgument_AndChangesNothing()
    {
        var (h, admin, app, account) = await ProvisionedAsync("negative");
        using var _ = h;
        var before = Assert.Single(await LiveInGraphAsync(app.AppId));

        var error = await Assert.ThrowsAsync<CasException>(() => RenewAsync(h, admin, account, TimeSpan.FromHours(-1)));

        Assert.Equal(ErrorIds.InvalidArgument, error.ErrorId);
        Assert.Equal(before.ExpirationDateTime, Assert.Single(await LiveInGraphAsync(app.AppId)).ExpirationDateTime);

        // Longer than a subscription lives: every live one is renewed now.
        Assert.Equal(SubscriptionAction.Renewed, Assert.Single(await RenewAsync(h, admin, account, TimeSpan.FromDays(3))).Action);
    }

    [Fact]
    public void MissingPermission_StaysInsufficientPrivileges_NotProtectedApiNotApproved()
    {
        // A 403 on a protected API is Microsoft's approval only when the token holds the permission.
        var ex = new Microsoft.Graph.Models.ODataErrors.ODataError { ResponseStatusCode = 403, Error = new() { Code = "Forbidden", Message = "x" } };
        Assert.Equal(ErrorIds.InsufficientPrivileges,
            GraphErrorTranslator.Translate(ex, "subscriptions", ["Chat.Read.All"], ["User.Read.All"], protectedApi: true).ErrorId);
        Assert.Equal(ErrorIds.ProtectedApiNotApproved,
            GraphErrorTranslator.Translate(ex, "subscriptions", ["Chat.Read.All"], ["Chat.Read.All"], protectedApi: true).ErrorId);
        Assert.Equal(ErrorIds.InsufficientPrivileges,
            GraphErrorTranslator.Translate(ex, "users", ["Chat.Read.All"], ["Chat.Read.All"]).ErrorId);
    }
}
