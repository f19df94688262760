using System.Runtime.InteropServices;
using System.Security;
using CasAdmin.Engine.Errors;
using Microsoft.Identity.Client;

namespace CasAdmin.Engine.Connections;

/// <summary>An access token and when it stops working.</summary>
internal sealed record AccessTokenResult(string Token, DateTimeOffset ExpiresOn);

/// <summary>Where a connection's Graph tokens come from. MSAL caches them; asking again is cheap.</summary>
internal interface ITokenSource
{
    Task<AccessTokenResult> GetTokenAsync(CancellationToken cancellationToken);
}

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

internal static class SecureStrings
{
    /// <summary>Wraps a secret the engine received as text (from Entra or a token) so it leaves the engine read-only and protected.</summary>
    public static SecureString Protect(string value)
    {
        var secure = new SecureString();
        foreach (var ch in value)
        {
            secure.AppendChar(ch);
        }

        secure.MakeReadOnly();
        return secure;
    }

    /// <summary>
    /// True when the secret holds something other than white space. Empty and blank secrets are the same mistake
    /// (a blank secret is never valid, and MSAL rejects it with an ArgumentNullException); this reads the characters
    /// in place, without copying the secret into a managed string.
    /// </summary>
    public static bool HasValue([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] SecureString? value)
    {
        if (value is null || value.Length == 0)
        {
            return false;
        }

        var pointer = Marshal.SecureStringToGlobalAllocUnicode(value);
        try
        {
            for (var i = 0; i < value.Length; i++)
            {
                if (!char.IsWhiteSpace((char)Marshal.ReadInt16(pointer, i * sizeof(char))))
                {
                    return true;
                }
            }

            return false;
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(pointer);
        }
    }

    /// <summary>Copies a secret out of a SecureString only at the moment a library needs it as text.</summary>
    public static string Reveal(SecureString value)
    {
        var pointer = Marshal.SecureStringToGlobalAllocUnicode(value);
        try
        {
            return Marshal.PtrToStringUni(pointer) ?? string.Empty;
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(pointer);
        }
    }
}
