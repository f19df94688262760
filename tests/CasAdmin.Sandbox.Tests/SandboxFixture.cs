using Microsoft.Graph;
using Microsoft.Identity.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.Kiota.Abstractions.Authentication;

namespace CasAdmin.Sandbox.Tests;

/// <summary>One sandbox (port 0, default scenario) shared by every test in the "Sandbox" collection.</summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    public SandboxHost Host { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public IMsalHttpClientFactory MsalHttp { get; private set; } = null!;

    public SandboxTenantInfo Contoso => Host.Tenants[0];
    public SandboxTenantInfo Fabrikam => Host.Tenants[1];

    public async Task InitializeAsync()
    {
        // Replication lag off (the default is 10 s): these tests check one behaviour each at Graph's speed, not Entra's
        // delays; ReplicationTests switches the lag on per test, and a reset turns it off again.
        Host = await SandboxHost.StartAsync(new SandboxOptions { Port = 0, ReplicationLagMs = 0 });
        Http = new HttpClient(Host.CreatePinnedHandler()) { BaseAddress = Host.Url };
        MsalHttp = new PinnedMsalHttpClientFactory(new HttpClient(Host.CreatePinnedHandler()));
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }

    public string Authority(string tenant) => $"{Host.Url}{tenant}/";

    public IConfidentialClientApplication Confidential(SandboxTenantInfo tenant, string appId, string secret) =>
        ConfidentialClientApplicationBuilder.Create(appId)
            .WithClientSecret(secret)
            .WithAuthority(Authority(tenant.TenantId), validateAuthority: false)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(MsalHttp)
            .Build();

    public IPublicClientApplication Public(SandboxTenantInfo tenant, string? redirectUri = null)
    {
        var builder = PublicClientApplicationBuilder.Create(tenant.Apps["public"].AppId)
            .WithAuthority(Authority(tenant.TenantId), validateAuthority: false)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(MsalHttp);
        if (redirectUri is not null)
        {
            builder = builder.WithRedirectUri(redirectUri);
        }

        return builder.Build();
    }

    public async Task<string> AppTokenAsync(SandboxTenantInfo tenant, string tag = "admin")
    {
        var app = tenant.Apps[tag];
        var result = await Confidential(tenant, app.AppId, app.Secret!).AcquireTokenForClient(["https://graph.microsoft.com/.default"]).ExecuteAsync();
        return result.AccessToken;
    }

    /// <summary>A delegated token for a user, through the real MSAL device code flow approved via the control API.</summary>
    public async Task<AuthenticationResult> DeviceCodeTokenAsync(SandboxTenantInfo tenant, string user, params string[] scopes) =>
        await Public(tenant).AcquireTokenWithDeviceCode(scopes, async dc =>
        {
            await Host.Control.ApproveDeviceCodeAsync(dc.UserCode, user);
        }).ExecuteAsync();

    /// <summary>The unmodified Graph SDK over our pinned HttpClient (so it adds no middleware) with a bearer token for the sandbox host.</summary>
    public GraphServiceClient Graph(string accessToken) =>
        new(new HttpClient(Host.CreatePinnedHandler()), new BaseBearerTokenAuthenticationProvider(new StaticTokenProvider(accessToken, Host.Url.Host)), $"{Host.Url}v1.0");

    public HttpRequestMessage GraphRequest(HttpMethod method, string relative, string token)
    {
        var request = new HttpRequestMessage(method, relative);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    public static JsonWebToken Decode(string token) => new(token);

    public static List<string> ClaimValues(string token, string type) => Decode(token).Claims.Where(c => c.Type == type).Select(c => c.Value).ToList();

    private sealed class PinnedMsalHttpClientFactory(HttpClient client) : IMsalHttpClientFactory
    {
        public HttpClient GetHttpClient() => client;
    }

    private sealed class StaticTokenProvider(string token, string host) : IAccessTokenProvider
    {
        public AllowedHostsValidator AllowedHostsValidator { get; } = new([host]);

        public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(AllowedHostsValidator.IsUrlHostValid(uri) ? token : "");
    }
}

[CollectionDefinition("Sandbox")]
public sealed class SandboxCollection : ICollectionFixture<SandboxFixture>;

/// <summary>Every test starts from a freshly reseeded sandbox.</summary>
[Collection("Sandbox")]
public abstract class SandboxTest(SandboxFixture fixture) : IAsyncLifetime
{
    protected SandboxFixture F { get; } = fixture;

    public Task InitializeAsync() => F.Host.Control.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}
