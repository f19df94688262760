using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace CasAdmin.Sandbox.Tests;

/// <summary>Seeds: the default scenario is deterministic, the generator builds big tenants lazily.</summary>
[Collection("Sandbox")]
public sealed class ScenarioTests(SandboxFixture fixture)
{
    [Fact]
    public async Task DefaultScenario_IdsAndSecretsAreTheSameOnEveryStart()
    {
        await using var other = await SandboxHost.StartAsync(new SandboxOptions());
        Assert.Equal(fixture.Host.Tenants.Select(t => (t.TenantId, t.AdminAppId, t.AdminAppSecret, t.ManagedIdentityClientId)),
            other.Tenants.Select(t => (t.TenantId, t.AdminAppId, t.AdminAppSecret, t.ManagedIdentityClientId)));
        Assert.NotEqual(fixture.Host.Thumbprint, other.Thumbprint); // each start makes its own certificate
        Assert.Equal(2, other.Tenants.Count);
    }

    [Fact]
    public async Task GeneratedScenario_ServesLargeTenantsWithStableIds()
    {
        await using var host = await SandboxHost.StartAsync(new SandboxOptions { Scenario = "generated:tenants=2,users=1500,chats=100,seed=7" });
        Assert.Equal(2, host.Tenants.Count);
        var tenant = host.Tenants[1];
        using var http = new HttpClient(host.CreatePinnedHandler());
        var token = await Microsoft.Identity.Client.ConfidentialClientApplicationBuilder.Create(tenant.AdminAppId)
            .WithClientSecret(tenant.AdminAppSecret)
            .WithAuthority($"{host.Url}{tenant.TenantId}/", validateAuthority: false)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(new Factory(http))
            .Build()
            .AcquireTokenForClient(["https://graph.microsoft.com/.default"]).ExecuteAsync();
        var client = new GraphServiceClient(new HttpClient(host.CreatePinnedHandler()),
            new Microsoft.Kiota.Abstractions.Authentication.BaseBearerTokenAuthenticationProvider(new Token(token.AccessToken, host.Url.Host)), $"{host.Url}v1.0");

        var count = 0;
        var first = await client.Users.GetAsync(r => { r.QueryParameters.Top = 999; r.QueryParameters.Select = ["id"]; });
        await PageIterator<User, UserCollectionResponse>.CreatePageIterator(client, first!, _ => { count++; return true; }).IterateAsync();
        Assert.Equal(1500 + 8 + 2, count); // generated + scenario users + the two footprint delegate users

        var generated = await client.Users["user000750@" + tenant.Domain].GetAsync();
        var byId = await client.Users[generated!.Id].GetAsync();
        Assert.Equal(generated.UserPrincipalName, byId!.UserPrincipalName);
        var filtered = await client.Users.GetAsync(r => r.QueryParameters.Filter = "startswith(userPrincipalName,'user00075')");
        Assert.Equal(10, filtered!.Value!.Count); // user000750 … user000759
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
