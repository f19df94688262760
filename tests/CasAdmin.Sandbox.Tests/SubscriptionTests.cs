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
}
