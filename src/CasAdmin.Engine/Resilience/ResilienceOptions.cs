namespace CasAdmin.Engine.Resilience;

/// <summary>Bounds for retrying Microsoft Graph calls. Every retry has a limit in count and in time.</summary>
public sealed record ResilienceOptions
{
    public static ResilienceOptions Default { get; } = new();

    /// <summary>Retries after the first attempt.</summary>
    public int MaxRetryAttempts { get; init; } = 12;

    /// <summary>
    /// Retries after a connection that could not be made at all (refused, unknown host): a network blip passes within a
    /// few tries, while a wrong address or a dead proxy should fail soon with TenantUnreachable, not after the whole budget.
    /// </summary>
    public int MaxConnectRetryAttempts { get; init; } = 3;

    /// <summary>All attempts and waits of one call together; past it the call fails with ThrottledTooLong or ServiceUnavailable.</summary>
    public TimeSpan TotalBudget { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Establishing one connection: TCP connect and TLS handshake (SocketsHttpHandler.ConnectTimeout), for sign-in and Graph alike.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>One attempt, from sending to the response headers; also bounds each sign-in request to Entra ID.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>First backoff when the service gives no Retry-After; doubles with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);
}
