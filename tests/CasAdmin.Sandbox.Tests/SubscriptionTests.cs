using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace CasAdmin.Sandbox.Tests;

/// <summary>Chat-message change-notification subscriptions: the validation handshake, limits, ownership and the server-side record.</summary>
public sealed class SubscriptionTests(SandboxFixture fixture) : SandboxTest(fixture)
{
    private Subscription NewSubscription(string resource, Uri notificationUrl, TimeSpan lifetime, Uri? lifecycleUrl = null) => new()
    {
        ChangeType = "created,updated,deleted",
        NotificationUrl = notificationUrl.AbsoluteUri,
        LifecycleNotificationUrl = lifecycleUrl?.AbsoluteUri,
        Resource = resource,
        ExpirationDateTime = DateTimeOffset.UtcNow + lifetime,
        ClientState = new string('c', 64),
    };

    [Fact]
    public async Task Create_RunsTheHandshake_OnlyTheCreatingAppMayDelete_RecordKeepsTimes()
    {
        var reader = F.Contoso.Apps["chatReader"];
        var client = F.Graph(await F.AppTokenAsync(F.Contoso, "chatReader"));
        var created = (await client.Subscriptions.PostAsync(NewSubscription("/chats/getAllMessages?model=A", F.Host.Control.EchoReceiverUrl, TimeSpan.FromMinutes(50))))!;
        Assert.False(string.IsNullOrEmpty(created.Id));
        Assert.Equal("/chats/getAllMessages?model=A", created.Resource);
        Assert.Equal(reader.AppId, created.ApplicationId);
        Assert.Equal(new string('c', 64), created.ClientState);
        Assert.Equal("created,updated,deleted", created.ChangeType);
        Assert.Single((await client.Subscriptions.GetAsync())!.Value!, s => s.Id == created.Id);

        // A second subscription (model B) before the first is deleted: the record shows the order.
        var replacement = (await client.Subscriptions.PostAsync(NewSubscription("/chats/getAllMessages?model=B", F.Host.Control.EchoReceiverUrl, TimeSpan.FromMinutes(50))))!;

        var other = await TestApps.CreateAsync(F, F.Contoso, "Other Chat App", "Chat.Read.All");
        var otherClient = F.Graph(await TestApps.TokenAsync(F, F.Contoso, other.AppId, other.Secret));
        var denied = await Assert.ThrowsAsync<ODataError>(() => otherClient.Subscriptions[created.Id].DeleteAsync());
        Assert.Equal(403, denied.ResponseStatusCode);
        Assert.Empty((await otherClient.Subscriptions.GetAsync())!.Value!); // each app lists only its own

        await client.Subscriptions[created.Id].DeleteAsync();
        Assert.Equal(404, (await Assert.ThrowsAsync<ODataError>(() => client.Subscriptions[created.Id].GetAsync())).ResponseStatusCode);

        var record = await F.Host.Control.GetSubscriptionsAsync(F.Contoso.TenantId);
        var old = record.Single(s => s.Id == created.Id);
        var @new = record.Single(s => s.Id == replacement.Id);
        Assert.NotNull(old.DeletedDateTime);
        Assert.Null(@new.DeletedDateTime);
        Assert.True(@new.CreatedDateTime <= old.DeletedDateTime);
        Assert.Equal(reader.AppId, old.DeletedByAppId);
    }

    [Fact]
    public async Task Create_FailsWhenTheReceiverDoesNotEchoTheToken()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso, "chatReader"));
        var e = await Assert.ThrowsAsync<ODataError>(() => client.Subscriptions.PostAsync(NewSubscription("/chats/getAllMessages", F.Host.Control.FailingReceiverUrl, TimeSpan.FromMinutes(30))));
        Assert.Equal(400, e.ResponseStatusCode);
        Assert.StartsWith("Subscription validation request failed.", e.Error!.Message, StringComparison.Ordinal);

        // A lifecycle URL is validated too.
        var lifecycle = await Assert.ThrowsAsync<ODataError>(() => client.Subscriptions.PostAsync(
            NewSubscription("/chats/getAllMessages", F.Host.Control.EchoReceiverUrl, TimeSpan.FromMinutes(30), F.Host.Control.FailingReceiverUrl)));
        Assert.Equal(400, lifecycle.ResponseStatusCode);
        Assert.Empty(await F.Host.Control.GetSubscriptionsAsync(F.Contoso.TenantId));
    }

    [Fact]
    public async Task Create_EnforcesLifetimeUrlClientStateAndPermission()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso, "chatReader"));
        var echo = F.Host.Control.EchoReceiverUrl;

        var tooLong = await Assert.ThrowsAsync<ODataError>(() => client.Subscriptions.PostAsync(NewSubscription("/chats/getAllMessages", echo, TimeSpan.FromHours(3))));
        Assert.Equal(400, tooLong.ResponseStatusCode);
        Assert.Contains("lifecycleNotificationUrl", tooLong.Error!.Message, StringComparison.Ordinal);

        var withLifecycle = await client.Subscriptions.PostAsync(NewSubscription("/chats/getAllMessages", echo, TimeSpan.FromMinutes(4000), echo));
        Assert.Equal(echo.AbsoluteUri, withLifecycle!.LifecycleNotificationUrl);
        var beyondMax = await Assert.ThrowsAsync<ODataError>(() => client.Subscriptions.PostAsync(NewSubscription("/chats/getAllMessages", echo, TimeSpan.FromMinutes(4400), echo)));
        Assert.Equal(400, beyondMax.ResponseStatusCode);

        var plainHttp = await Assert.ThrowsAsync<ODataError>(() => client.Subscriptions.PostAsync(NewSubscription("/chats/getAllMessages", new Uri("http://receiver.example.com/notify"), TimeSpan.FromMinutes(30))));
        Assert.Equal(400, plainHttp.ResponseStatusCode);

        var state = NewSubscription("/chats/getAllMessages", echo, TimeSpan.FromMinutes(30));
        state.ClientState = new string('x', 129);
        Assert.Equal(400, (await Assert.ThrowsAsync<ODataError>(() => client.Subscriptions.PostAsync(state))).ResponseStatusCode);

        var admin = F.Graph(await F.AppTokenAsync(F.Contoso)); // no Chat.Read.All
        var forbidden = await Assert.ThrowsAsync<ODataError>(() => admin.Subscriptions.PostAsync(NewSubscription("/chats/getAllMessages", echo, TimeSpan.FromMinutes(30))));
        Assert.Equal(403, forbidden.ResponseStatusCode);
    }

    private static List<System.Text.Json.JsonElement> Notices(IEnumerable<ReceivedNotification> received, string? subscriptionId) =>
        received.SelectMany(r => System.Text.Json.JsonDocument.Parse(r.Body).RootElement.GetProperty("value").EnumerateArray())
            .Where(n => n.GetProperty("subscriptionId").GetString() == subscriptionId).ToList();

    [Fact]
    public async Task Clock_ExpiresSubscriptions_AfterReauthorizationRequired_OnlyWithALifecycleUrl()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso, "chatReader"));
        var echo = F.Host.Control.EchoReceiverUrl;
        var tenantId = F.Contoso.TenantId;
        var longLived = (await client.Subscriptions.PostAsync(NewSubscription("/chats/getAllMessages?model=A", echo, TimeSpan.FromMinutes(4320), echo)))!;
        var shortLived = (await client.Subscriptions.PostAsync(NewSubscription("/chats/getAllMessages", echo, TimeSpan.FromMinutes(59))))!;

        // 70 hours on: the long one is in its last two hours (no notice yet), the short one has expired, silently.
        var first = await F.Host.Control.AdvanceClockAsync(TimeSpan.FromHours(70));
        Assert.True(first.Expired >= 1);
        Assert.Equal(404, (await Assert.ThrowsAsync<ODataError>(() => client.Subscriptions[shortLived.Id].GetAsync())).ResponseStatusCode);
        Assert.DoesNotContain((await client.Subscriptions.GetAsync())!.Value!, x => x.Id == shortLived.Id);
        var still = (await client.Subscriptions[longLived.Id].GetAsync())!;
        Assert.True(still.ExpirationDateTime < DateTimeOffset.UtcNow + TimeSpan.FromHours(2.1));
        Assert.Empty(Notices(await F.Host.Control.GetReceivedNotificationsAsync(), longLived.Id));
        Assert.Empty(Notices(await F.Host.Control.GetReceivedNotificationsAsync(), shortLived.Id)); // no lifecycle URL, no notices

        // Into its last hour: one reauthorizationRequired, in Graph's changeNotificationCollection shape.
        await F.Host.Control.AdvanceClockAsync(TimeSpan.FromMinutes(90));
        var notice = Assert.Single(Notices(await F.Host.Control.GetReceivedNotificationsAsync(), longLived.Id));
        Assert.Equal("reauthorizationRequired", notice.GetProperty("lifecycleEvent").GetString());
        Assert.Equal(tenantId, notice.GetProperty("tenantId").GetString());
        Assert.Equal(new string('c', 64), notice.GetProperty("clientState").GetString());
        Assert.True((await F.Host.Control.GetSubscriptionsAsync(tenantId)).Single(x => x.Id == longLived.Id).ReauthorizationRequired);

        // Reauthorize: 204, the flag clears, the expiry stays. Then past the expiry: gone, nothing more sent.
        await client.Subscriptions[longLived.Id].Reauthorize.PostAsync();
        Assert.False((await F.Host.Control.GetSubscriptionsAsync(tenantId)).Single(x => x.Id == longLived.Id).ReauthorizationRequired);
        await F.Host.Control.AdvanceClockAsync(TimeSpan.FromHours(1));
        Assert.Equal(404, (await Assert.ThrowsAsync<ODataError>(() => client.Subscriptions[longLived.Id].GetAsync())).ResponseStatusCode);
        Assert.Equal(404, (await Assert.ThrowsAsync<ODataError>(() => client.Subscriptions[longLived.Id].Reauthorize.PostAsync())).ResponseStatusCode);
        Assert.Single(Notices(await F.Host.Control.GetReceivedNotificationsAsync(), longLived.Id));
    }

    [Fact]
    public async Task Renewal_PatchesTheExpiry_WithinTheDocumentedMaximum_AndSurvivesTheClock()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso, "chatReader"));
        var echo = F.Host.Control.EchoReceiverUrl;
        var s = (await client.Subscriptions.PostAsync(NewSubscription("/chats/getAllMessages", echo, TimeSpan.FromMinutes(4200), echo)))!;
        await F.Host.Control.AdvanceClockAsync(TimeSpan.FromHours(69.5));
        Assert.True((await F.Host.Control.GetSubscriptionsAsync(F.Contoso.TenantId)).Single(x => x.Id == s.Id).ReauthorizationRequired);

        var beyond = await Assert.ThrowsAsync<ODataError>(() => client.Subscriptions[s.Id].PatchAsync(new Subscription { ExpirationDateTime = DateTimeOffset.UtcNow.AddMinutes(4400) }));
        Assert.Equal(400, beyond.ResponseStatusCode);
        var renewed = (await client.Subscriptions[s.Id].PatchAsync(new Subscription { ExpirationDateTime = DateTimeOffset.UtcNow.AddMinutes(4300) }))!;
        Assert.True(renewed.ExpirationDateTime > DateTimeOffset.UtcNow.AddMinutes(4290));
        Assert.False((await F.Host.Control.GetSubscriptionsAsync(F.Contoso.TenantId)).Single(x => x.Id == s.Id).ReauthorizationRequired); // renewing reauthorizes

        await F.Host.Control.AdvanceClockAsync(TimeSpan.FromHours(24));
        Assert.NotNull(await client.Subscriptions[s.Id].GetAsync());
        var clock = await F.Host.Control.AdvanceClockAsync(TimeSpan.FromMinutes(1));
        Assert.True(System.Xml.XmlConvert.ToTimeSpan(clock.AdvancedBy) >= TimeSpan.FromHours(93.5));
        await client.Subscriptions[s.Id].DeleteAsync();
    }

    [Fact]
    public async Task Graph_RemovesASubscription_WithSubscriptionRemoved_AndCanSayNotificationsWereMissed()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso, "chatReader"));
        var echo = F.Host.Control.EchoReceiverUrl;
        var s = (await client.Subscriptions.PostAsync(NewSubscription("/chats/getAllMessages?model=B", echo, TimeSpan.FromMinutes(4000), echo)))!;

        await F.Host.Control.SendMissedAsync(F.Contoso.TenantId, s.Id!);
        await F.Host.Control.RemoveSubscriptionAsync(F.Contoso.TenantId, s.Id!);

        var events = Notices(await F.Host.Control.GetReceivedNotificationsAsync(), s.Id!).Select(n => n.GetProperty("lifecycleEvent").GetString()).ToList();
        Assert.Equal(["missed", "subscriptionRemoved"], events);
        Assert.Equal(404, (await Assert.ThrowsAsync<ODataError>(() => client.Subscriptions[s.Id].GetAsync())).ResponseStatusCode);
        var record = (await F.Host.Control.GetSubscriptionsAsync(F.Contoso.TenantId)).Single(x => x.Id == s.Id);
        Assert.True(record.RemovedByService);
        Assert.Null(record.DeletedByAppId);
    }

    [Fact]
    public async Task Create_AppWithoutProtectedApiApproval_Gets403_NothingCreated()
    {
        var reader = F.Contoso.Apps["chatReader"];
        var client = F.Graph(await F.AppTokenAsync(F.Contoso, "chatReader"));
        var before = (await F.Host.Control.GetSubscriptionsAsync(F.Contoso.TenantId)).Count;
        await F.Host.Control.SetTeamsApiAsync(new TeamsApiSettings(ProtectedApiApprovedByDefault: false));
        try
        {
            var denied = await Assert.ThrowsAsync<ODataError>(() => client.Subscriptions.PostAsync(NewSubscription("/chats/getAllMessages", F.Host.Control.EchoReceiverUrl, TimeSpan.FromMinutes(30))));
            Assert.Equal(403, denied.ResponseStatusCode);
            Assert.Equal("Forbidden", denied.Error!.Code);

            // An approval of this one app lifts it.
            await F.Host.Control.SetTeamsApiAsync(new TeamsApiSettings(ProtectedApiApproval: new Dictionary<string, bool?> { [reader.AppId] = true }));
            var created = await client.Subscriptions.PostAsync(NewSubscription("/chats/getAllMessages", F.Host.Control.EchoReceiverUrl, TimeSpan.FromMinutes(30)));
            await client.Subscriptions[created!.Id].DeleteAsync();
        }
        finally
        {
            await F.Host.Control.SetTeamsApiAsync(new TeamsApiSettings(ProtectedApiApprovedByDefault: true, ProtectedApiApproval: new Dictionary<string, bool?> { [reader.AppId] = null }));
        }

        Assert.Equal(before + 1, (await F.Host.Control.GetSubscriptionsAsync(F.Contoso.TenantId)).Count);
    }
}
