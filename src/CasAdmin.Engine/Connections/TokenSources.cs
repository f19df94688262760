using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Graph;
using Microsoft.Identity.Client;

namespace CasAdmin.Engine.Connections;

/// <param name="app">The MSAL application of the app.</param>
/// <param name="scope">The Graph .default scope of the cloud.</param>
/// <param name="tenant">The tenant signed in to.</param>
/// <param name="purpose">Whose app this is: the connection's sign-in app, or a service account's; the advice on a bad secret differs.</param>
/// <param name="endpoint">The sign-in host, named when it cannot be reached.</param>
internal sealed class ConfidentialClientTokenSource(IConfidentialClientApplication app, string scope, string tenant, SignInPurpose purpose, string endpoint) : ITokenSource
{
    public Task<AccessTokenResult> GetTokenAsync(CancellationToken cancellationToken) => GetTokenAsync(forceRefresh: false, cancellationToken);

    /// <summary>With <paramref name="forceRefresh"/>, skips MSAL's cache: after consent changes, the cached token's roles are stale.</summary>
    public async Task<AccessTokenResult> GetTokenAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        try
        {
            var result = await app.AcquireTokenForClient([scope]).WithForceRefresh(forceRefresh).ExecuteAsync(cancellationToken).ConfigureAwait(false);
            return new(result.AccessToken, result.ExpiresOn);
        }
        catch (MsalException ex)
        {
            throw EntraErrorTranslator.Translate(ex, app.AppConfig.ClientId, tenant, purpose, endpoint);
        }
        catch (Exception ex) when (NetworkErrors.TryTranslate(ex, endpoint, "Sign-in", tenant, cancellationToken) is { } network)
        {
            throw network;
        }
    }
}

/// <summary>A signed-in person: the first token came from an interactive flow, later ones silently.</summary>
internal sealed class PublicClientTokenSource(IPublicClientApplication app, IAccount account, string[] scopes, string tenant, string endpoint) : ITokenSource
{
    public async Task<AccessTokenResult> GetTokenAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await app.AcquireTokenSilent(scopes, account).ExecuteAsync(cancellationToken).ConfigureAwait(false);
            return new(result.AccessToken, result.ExpiresOn);
        }
        catch (MsalUiRequiredException ex)
        {
            throw new CasException(ErrorIds.SignInExpired, CasErrorCategory.AuthenticationError,
                $"The sign-in of {account.Username} to tenant {tenant} is no longer valid.",
                "Sign in again with Connect-CasTenant.", tenant, ex);
        }
        catch (MsalException ex)
        {
            throw EntraErrorTranslator.Translate(ex, app.AppConfig.ClientId, tenant, SignInPurpose.Connection, endpoint);
        }
        catch (Exception ex) when (NetworkErrors.TryTranslate(ex, endpoint, "Sign-in", tenant, cancellationToken) is { } network)
        {
            throw network;
        }
    }
}

internal sealed class ManagedIdentityTokenSource(IManagedIdentityApplication app, string resource) : ITokenSource
{
    public async Task<AccessTokenResult> GetTokenAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await app.AcquireTokenForManagedIdentity(resource).ExecuteAsync(cancellationToken).ConfigureAwait(false);
            return new(result.AccessToken, result.ExpiresOn);
        }
        catch (MsalException ex)
        {
            throw EntraErrorTranslator.Translate(ex, null, null, SignInPurpose.Connection, "the managed identity endpoint");
        }
        catch (Exception ex) when (NetworkErrors.TryTranslate(ex, "the managed identity endpoint", "Sign-in", null, cancellationToken) is { } network)
        {
            throw network;
        }
    }
}

/// <summary>A token handed over ready-made (a runbook that already has one). It cannot be renewed.</summary>
internal sealed class StaticTokenSource(string token, DateTimeOffset expiresOn) : ITokenSource
{
    public Task<AccessTokenResult> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (expiresOn <= DateTimeOffset.UtcNow)
        {
            throw new CasException(ErrorIds.AccessTokenInvalid, CasErrorCategory.AuthenticationError,
                "The access token this connection was given has expired.",
                "Connect again with a fresh token, or use a sign-in mode CasAdmin can renew (certificate, secret, managed identity).");
        }

        return Task.FromResult(new AccessTokenResult(token, expiresOn));
    }
}
