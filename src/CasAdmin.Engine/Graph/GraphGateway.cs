using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Resilience;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;

namespace CasAdmin.Engine.Graph;

/// <summary>
/// The one way into Microsoft Graph for a connection: the Graph SDK over CasAdmin's own HttpClient (so the
/// SDK adds no retry handler of its own), CasAdmin's token provider, the resilience handler, and error
/// translation into <see cref="CasException"/>.
/// </summary>
internal sealed class GraphGateway : IDisposable
{
    private readonly HttpClient httpClient;

    public GraphGateway(CloudEndpoints endpoints, ITokenSource tokens, HttpMessageHandler primary, ResilienceOptions resilience)
    {
        Endpoints = endpoints;
        Pacer = new TenantPacer();
        Counters = new GraphTrafficCounters();
        var handler = new ResilienceHandler(resilience, Pacer, Counters) { InnerHandler = primary };

        // The primary handler belongs to the connection's HttpStack, which disposes it; Polly owns timeouts.
        httpClient = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        var auth = new BaseBearerTokenAuthenticationProvider(new TokenProvider(tokens, endpoints.GraphEndpoint.Host));
        Client = new GraphServiceClient(httpClient, auth, endpoints.GraphV1.AbsoluteUri);
        RawClient = httpClient;
        Tokens = tokens;
    }

    public CloudEndpoints Endpoints { get; }

    public GraphServiceClient Client { get; }

    /// <summary>For the few calls the SDK does not model; goes through the same resilience handler.</summary>
    public HttpClient RawClient { get; }

    public ITokenSource Tokens { get; }

    public TenantPacer Pacer { get; }

    public GraphTrafficCounters Counters { get; }

    /// <summary>Runs one Graph SDK call and translates its failure.</summary>
    public async Task<T> CallAsync<T>(
        Func<GraphServiceClient, CancellationToken, Task<T>> call,
        string? target,
        CancellationToken cancellationToken,
        IReadOnlyCollection<string>? requiredPermissions = null,
        IReadOnlyCollection<string>? heldPermissions = null,
        bool protectedApi = false)
    {
        try
        {
            return await call(Client, cancellationToken).ConfigureAwait(false);
        }
        catch (ApiException ex)
        {
            throw GraphErrorTranslator.Translate(ex, target, requiredPermissions, heldPermissions, protectedApi);
        }
        catch (Exception ex) when (NetworkErrors.TryTranslate(ex, Endpoints.GraphEndpoint.Authority, "A Microsoft Graph request", target, cancellationToken) is { } network)
        {
            // HttpRequestException, IOException, a timed-out attempt, a disposed (disconnected) connection: never raw.
            throw network;
        }
    }

    public void Dispose() => httpClient.Dispose();

    private sealed class TokenProvider(ITokenSource tokens, string graphHost) : IAccessTokenProvider
    {
        public AllowedHostsValidator AllowedHostsValidator { get; } = new([graphHost]);

        public async Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default)
        {
            if (!AllowedHostsValidator.IsUrlHostValid(uri))
            {
                return string.Empty;
            }

            var token = await tokens.GetTokenAsync(cancellationToken).ConfigureAwait(false);
            return token.Token;
        }
    }
}
