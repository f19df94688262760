using CasAdmin.Sandbox.Tenants;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace CasAdmin.Sandbox.Tests;

/// <summary>Teams chats, members, getAllMessages (unmetered, protected), through the unmodified Graph SDK.</summary>
public sealed class ChatTests(SandboxFixture fixture) : SandboxTest(fixture)
{
    [Fact]
    public async Task GeneratedTenant_PagingEveryUsersChats_FindsEachChatOnceUnderEachMember()
    {
        const int chats = 90;
        await using var host = await SandboxHost.StartAsync(new SandboxOptions { Scenario = $"generated:tenants=1,users=20,chats={chats},seed=5" });
        await host.Control.SetThrottlingAsync(enabled: false);
        var tenant = host.Tenants[0];
        using var http = new HttpClient(host.CreatePinnedHandler());
        var reader = tenant.Apps["chatReader"];
        var token = await Microsoft.Identity.Client.ConfidentialClientApplicationBuilder.Create(reader.AppId)
            .WithClientSecret(reader.Secret)
            .WithAuthority($"{host.Url}{tenant.TenantId}/", validateAuthority: false)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(new Factory(http))
            .Build()
            .AcquireTokenForClient(["https://graph.microsoft.com/.default"]).ExecuteAsync();
        var client = new GraphServiceClient(new HttpClient(host.CreatePinnedHandler()),
            new Microsoft.Kiota.Abstractions.Authentication.BaseBearerTokenAuthenticationProvider(new Token(token.AccessToken, host.Url.Host)), $"{host.Url}v1.0");

        var users = new List<string>();
        var firstUsers = await client.Users.GetAsync(r => { r.QueryParameters.Top = 999; r.QueryParameters.Select = ["id"]; });
        await PageIterator<User, UserCollectionResponse>.CreatePageIterator(client, firstUsers!, u => { users.Add(u.Id!); return true; }).IterateAsync();

        var listedUnder = new Dictionary<string, HashSet<string>>();
        var types = new Dictionary<string, string>();
        foreach (var user in users)
        {
            var page = await client.Users[user].Chats.GetAsync(r => { r.QueryParameters.Select = ["id", "chatType"]; r.QueryParameters.Top = 4; });
            while (page?.Value is { } items)
            {
                foreach (var chat in items)
                {
                    Assert.True(listedUnder.TryAdd(chat.Id!, []) || listedUnder[chat.Id!].Count > 0);
                    Assert.True(listedUnder[chat.Id!].Add(user), $"chat {chat.Id} listed twice for {user}");
                    types[chat.Id!] = chat.ChatType!.Value.ToString();
                }
                if (page.OdataNextLink is not { } next)
                {
                    break;
                }

                Assert.StartsWith(host.Url.ToString(), next, StringComparison.Ordinal);
                page = await client.Users[user].Chats.WithUrl(next).GetAsync();
            }
        }

        Assert.Equal(chats, listedUnder.Count);
        Assert.Contains(types.Values, t => t == nameof(ChatType.OneOnOne));
        Assert.Contains(types.Values, t => t == nameof(ChatType.Group));
        foreach (var (chatId, listed) in listedUnder)
        {
            var members = (await client.Chats[chatId].Members.GetAsync())!.Value!;
            var memberIds = members.Select(m => Assert.IsType<AadUserConversationMember>(m).UserId!).ToHashSet();
            Assert.Equal(memberIds.Order(), listed.Order());
            Assert.Equal(types[chatId] == nameof(ChatType.OneOnOne), memberIds.Count == 2);
        }
    }

    [Fact]
    public void ChatFormula_ScalesToFiftyThousandChatsOverFiveThousandUsers()
    {
        var users = Enumerable.Range(0, 5000).Select(i => Guid.NewGuid().ToString()).ToList();
        var chats = new ChatDirectory("tenant", 42, 50_000, users, DateTimeOffset.UnixEpoch);
        var perChat = new int[chats.Count];
        for (var u = 0; u < users.Count; u++)
        {
            foreach (var k in chats.ChatsOf(u))
            {
                Assert.Contains(u, chats.Members(k));
                perChat[k]++;
            }
        }
        for (var k = 0; k < chats.Count; k++)
        {
            Assert.Equal(chats.Size(k), perChat[k]); // every chat listed under each of its members, once
            Assert.Equal(k, chats.Parse(chats.ChatId(k)));
        }
        Assert.Equal(50_000, Enumerable.Range(0, chats.Count).Select(chats.ChatId).Distinct().Count());
    }

    [Fact]
    public async Task DefaultTenant_UsersHaveAHandfulOfChats_SharedOneOnOnesAppearUnderBoth()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso, "chatReader"));
        var admin = (await client.Users[F.Contoso.AdminUser].GetAsync())!;
        var chats = (await client.Users[admin.Id].Chats.GetAsync(r => r.QueryParameters.Top = 50))!.Value!;
        Assert.InRange(chats.Count, 2, 20);
        var oneOnOne = chats.First(c => c.ChatType == ChatType.OneOnOne);
        var other = (await client.Chats[oneOnOne.Id].Members.GetAsync())!.Value!.OfType<AadUserConversationMember>().Single(m => m.UserId != admin.Id);
        var theirs = (await client.Users[other.UserId].Chats.GetAsync(r => r.QueryParameters.Top = 50))!.Value!;
        Assert.Contains(theirs, c => c.Id == oneOnOne.Id);

        var tooBig = await Assert.ThrowsAsync<ODataError>(() => client.Users[admin.Id].Chats.GetAsync(r => r.QueryParameters.Top = 51));
        Assert.Equal(400, tooBig.ResponseStatusCode);
        var denied = await Assert.ThrowsAsync<ODataError>(async () => await F.Graph(await F.AppTokenAsync(F.Contoso)).Users[admin.Id].Chats.GetAsync());
        Assert.Equal(403, denied.ResponseStatusCode);
    }

    [Fact]
    public async Task GetAllMessages_PagesWithAModel_UnmeteredByDefault_HistoricalQuotaOnlyWhenSwitchedOn()
    {
        var reader = F.Contoso.Apps["chatReader"];
        var client = F.Graph(await F.AppTokenAsync(F.Contoso, "chatReader"));
        var admin = (await client.Users[F.Contoso.AdminUser].GetAsync())!;

        var seen = new HashSet<string>();
        var page = await client.Users[admin.Id].Chats.GetAllMessages.GetAsGetAllMessagesGetResponseAsync(r => { r.QueryParameters.Top = 3; r.QueryParameters.Model = "A"; });
        var pages = 0;
        while (page?.Value is { } messages)
        {
            pages++;
            foreach (var m in messages)
            {
                Assert.True(seen.Add(m.ChatId + "/" + m.Id));
            }

            if (page.OdataNextLink is not { } next)
            {
                break;
            }

            page = await client.Users[admin.Id].Chats.GetAllMessages.WithUrl(next).GetAsGetAllMessagesGetResponseAsync();
        }
        Assert.True(pages > 1);

        // Since 25 August 2025 the Teams APIs are unmetered (graph/teams-licenses): no model, a used-up month, still 200.
        await F.Host.Control.SetEvaluationUsageAsync(F.Contoso.TenantId, reader.AppId, 500);
        try
        {
            Assert.NotNull(await client.Users[admin.Id].Chats.GetAllMessages.GetAsGetAllMessagesGetResponseAsync(r => r.QueryParameters.Top = 1));
            Assert.Equal(500, await F.Host.Control.GetEvaluationUsageAsync(F.Contoso.TenantId, reader.AppId)); // nothing counted either

            // The historical quota, switched back on for tests of old behaviour: 402 without a model, a model passes.
            await F.Host.Control.SetTeamsApiAsync(new TeamsApiSettings(MeteredEvaluation: true));
            var exhausted = await Assert.ThrowsAsync<ODataError>(() => client.Users[admin.Id].Chats.GetAllMessages.GetAsGetAllMessagesGetResponseAsync(r => r.QueryParameters.Top = 1));
            Assert.Equal(402, exhausted.ResponseStatusCode);
            Assert.Equal("PaymentRequired", exhausted.Error!.Code);
            Assert.NotNull(await client.Users[admin.Id].Chats.GetAllMessages.GetAsGetAllMessagesGetResponseAsync(r => r.QueryParameters.Model = "B"));
            await F.Host.Control.SetEvaluationUsageAsync(F.Contoso.TenantId, reader.AppId, 0);
            var evaluation = await client.Users[admin.Id].Chats.GetAllMessages.GetAsGetAllMessagesGetResponseAsync(r => r.QueryParameters.Top = 2);
            Assert.Equal(evaluation!.Value!.Count, await F.Host.Control.GetEvaluationUsageAsync(F.Contoso.TenantId, reader.AppId));
        }
        finally
        {
            await F.Host.Control.SetTeamsApiAsync(new TeamsApiSettings(MeteredEvaluation: false));
            await F.Host.Control.SetEvaluationUsageAsync(F.Contoso.TenantId, reader.AppId, 0);
        }
    }

    [Fact]
    public async Task GetAllMessages_AppWithoutProtectedApiApproval_Gets403Forbidden()
    {
        var reader = F.Contoso.Apps["chatReader"];
        var client = F.Graph(await F.AppTokenAsync(F.Contoso, "chatReader"));
        var admin = (await client.Users[F.Contoso.AdminUser].GetAsync())!;
        await F.Host.Control.SetTeamsApiAsync(new TeamsApiSettings(ProtectedApiApproval: new Dictionary<string, bool?> { [reader.AppId] = false }));
        try
        {
            var denied = await Assert.ThrowsAsync<ODataError>(() => client.Users[admin.Id].Chats.GetAllMessages.GetAsGetAllMessagesGetResponseAsync(r => r.QueryParameters.Top = 1));
            Assert.Equal(403, denied.ResponseStatusCode);
            Assert.Equal("Forbidden", denied.Error!.Code);
            Assert.Contains("Protected API", denied.Error.Message, StringComparison.Ordinal);

            // Only the protected API: listing chats needs no approval.
            Assert.NotNull(await client.Users[admin.Id].Chats.GetAsync());
        }
        finally
        {
            await F.Host.Control.SetTeamsApiAsync(new TeamsApiSettings(ProtectedApiApproval: new Dictionary<string, bool?> { [reader.AppId] = null }));
        }

        Assert.NotNull(await client.Users[admin.Id].Chats.GetAllMessages.GetAsGetAllMessagesGetResponseAsync(r => r.QueryParameters.Top = 1));
    }

    private sealed class Factory(HttpClient http) : Microsoft.Identity.Client.IMsalHttpClientFactory
    {
        public HttpClient GetHttpClient() => http;
    }

    private sealed class Token(string token, string host) : Microsoft.Kiota.Abstractions.Authentication.IAccessTokenProvider
    {
        public Microsoft.Kiota.Abstractions.Authentication.AllowedHostsValidator AllowedHostsValidator { get; } = new([host]);

        public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(token);
    }
}
