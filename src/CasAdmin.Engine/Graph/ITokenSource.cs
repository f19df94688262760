namespace CasAdmin.Engine.Graph;

/// <summary>An access token and when it stops working.</summary>
internal sealed record AccessTokenResult(string Token, DateTimeOffset ExpiresOn);

/// <summary>Where a connection's Graph tokens come from. MSAL caches them; asking again is cheap.</summary>
internal interface ITokenSource
{
    Task<AccessTokenResult> GetTokenAsync(CancellationToken cancellationToken);
}
