using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Graph;
using CasAdmin.Engine.Resilience;
using Microsoft.Identity.Client;

namespace CasAdmin.Engine.Connections;

/// <summary>
/// The customer's own app signed in with its secret ("Grant Permission": the secret buys an app-only
/// token). It rides on the admin connection's cloud and pinned sockets; its Graph calls (inventory,
/// subscriptions) are made as the app, as the security service will make them.
/// </summary>
internal sealed class ServiceAppSession : IDisposable
{
    private readonly ConfidentialClientTokenSource tokens;

    private ServiceAppSession(CasConnection via, string appId, ConfidentialClientTokenSource tokens, AccessTokenResult token, ResilienceOptions resilience)
    {
        AppId = appId;
        TenantId = via.TenantId;
        this.tokens = tokens;
        Token = token;
        Identity = ConnectionIdentity.FromAccessToken(token.Token);
        Graph = new GraphGateway(via.Context.Endpoints, tokens, via.Context.Http.Primary, resilience);
    }

    public string AppId { get; }

    public string TenantId { get; }

    public AccessTokenResult Token { get; private set; }

    public ConnectionIdentity Identity { get; private set; }

    public GraphGateway Graph { get; }

    public static async Task<ServiceAppSession> SignInAsync(CasConnection via, string appId, string secret, CancellationToken ct, ResilienceOptions? resilience = null)
    {
        if (!Guid.TryParse(appId, out _))
        {
            throw CasException.InvalidArgument($"'{appId}' is not an App Id (a GUID).",
                "Copy the Application (client) ID from the app's Overview page in Entra ID.", appId);
        }

        if (string.IsNullOrWhiteSpace(secret))
        {
            throw CasException.InvalidArgument($"The client secret for app {appId} is empty or only white space.",
                "Pass the secret's Value (from the app's 'Certificates & secrets' page) with -ClientSecret.", appId);
        }

        var endpoints = via.Context.Endpoints;
        var sandbox = endpoints.Cloud == CasCloud.Sandbox;
        var builder = ConfidentialClientApplicationBuilder.Create(appId)
            .WithAuthority(new Uri(endpoints.AuthorityHost, via.TenantId + "/").AbsoluteUri, validateAuthority: !sandbox)
            .WithHttpClientFactory(via.Context.Http)
            .WithClientSecret(secret)
            .WithLogging(static (_, _, _) => { }, LogLevel.Error, enablePiiLogging: false, enableDefaultPlatformLogging: false);
        if (sandbox)
        {
            builder = builder.WithInstanceDiscovery(false);
        }

        var source = new ConfidentialClientTokenSource(builder.Build(), endpoints.DefaultScope, via.TenantId, SignInPurpose.ServiceAccount, endpoints.AuthorityHost.Authority);
        var token = await source.GetTokenAsync(ct).ConfigureAwait(false);
        return new ServiceAppSession(via, appId, source, token, resilience ?? ResilienceOptions.Default);
    }

    /// <summary>A fresh token from Entra (not MSAL's cache), so roles granted moments ago show.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        Token = await tokens.GetTokenAsync(forceRefresh: true, ct).ConfigureAwait(false);
        Identity = ConnectionIdentity.FromAccessToken(Token.Token);
    }

    public IReadOnlyList<string> MissingRoles(IEnumerable<string> required) =>
        required.Where(r => !Identity.Permissions.Contains(r, StringComparer.OrdinalIgnoreCase)).ToArray();

    public void Dispose() => Graph.Dispose();
}
