using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Identity.Client;
using Polly.Timeout;

namespace CasAdmin.Engine.Errors;

/// <summary>
/// Turns transport failures (no route, refused connection, unknown host, TLS failure, a connection that
/// dropped, a call that timed out) into <see cref="CasException"/>s that name the endpoint. MSAL and the Graph
/// SDK let these out raw or wrapped; the type and <see cref="HttpRequestException.HttpRequestError"/> decide,
/// never the message text. Cancellation by the caller (Ctrl+C) is not translated: it stays an
/// <see cref="OperationCanceledException"/>.
/// </summary>
internal static class NetworkErrors
{
    /// <summary>What the administrator can check when an endpoint cannot be reached.</summary>
    internal const string UnreachableAction =
        "Check the network and any proxy (HTTPS_PROXY), that -Environment names the tenant's cloud, and with -Environment Sandbox " +
        "that the sandbox runs at -SandboxUrl (Start-CasSandbox returns it). Then run the command again.";

    internal const string TimeoutAction =
        "Run the command again; if it keeps timing out, check the network, the proxy and the -Environment (with -Environment Sandbox, " +
        "that -SandboxUrl is the sandbox's address and not another service).";

    /// <param name="exception">What the library threw.</param>
    /// <param name="endpoint">The host or URL the call went to, named in the message.</param>
    /// <param name="what">What was being done, e.g. "Sign-in" or "Microsoft Graph request".</param>
    /// <param name="target">The error's target (the tenant, the app, the object).</param>
    /// <param name="cancellationToken">The caller's token: when it is canceled, nothing is translated.</param>
    /// <returns>The translated error, or null when the failure is not a transport failure or the caller canceled.</returns>
    public static CasException? TryTranslate(Exception exception, string? endpoint, string what, string? target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (cancellationToken.IsCancellationRequested || exception is CasException)
        {
            return null;
        }

        var where = string.IsNullOrEmpty(endpoint) ? "the service" : endpoint;
        foreach (var e in Chain(exception))
        {
            switch (e)
            {
                case TimeoutRejectedException or TimeoutException:
                case MsalServiceException { ErrorCode: MsalError.RequestTimeout }:
                case TaskCanceledException:
                    return TimedOut(where, what, target, exception);

                case HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError }:
                case AuthenticationException:
                    return new CasException(ErrorIds.SecureConnectionFailed, CasErrorCategory.SecurityError,
                        $"{what} failed: no secure (TLS) connection could be made to {where}.",
                        "Check that -Environment names the tenant's cloud and that no proxy or firewall intercepts TLS; with -Environment Sandbox, " +
                        "that -SandboxUrl and -SandboxThumbprint are the ones the sandbox printed.",
                        target, exception);

                case HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError }:
                    return Unreachable($"{what} failed: the host name {where} could not be resolved (no network, no DNS, or a wrong name).", target, exception);

                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError }:
                case SocketException:
                    return Unreachable($"{what} failed: no connection could be made to {where} (refused, or no route to it).", target, exception);

                case HttpRequestException:
                case IOException:
                    return Unreachable($"{what} failed: the connection to {where} broke before an answer arrived.", target, exception);

                case ObjectDisposedException:
                    return new CasException(ErrorIds.NotConnected, CasErrorCategory.ConnectionError,
                        $"{what} failed: the connection was closed while in use (Disconnect-CasTenant, or a newer Connect-CasTenant as the same identity replaced it).",
                        "Connect again with Connect-CasTenant and run the command again.", target, exception);
            }
        }

        return null;
    }

    /// <summary>The error for a call that got no answer within its bounded time.</summary>
    public static CasException TimedOut(string endpoint, string what, string? target, Exception? inner) =>
        new(ErrorIds.RequestTimedOut, CasErrorCategory.OperationTimeout,
            $"{what} timed out: {endpoint} accepted the request but did not answer in time.",
            TimeoutAction, target, inner);

    private static CasException Unreachable(string message, string? target, Exception inner) =>
        new(ErrorIds.TenantUnreachable, CasErrorCategory.ConnectionError, message, UnreachableAction, target, inner);

    /// <summary>The exception and everything it wraps, outermost first.</summary>
    private static IEnumerable<Exception> Chain(Exception exception)
    {
        var seen = 0;
        for (var e = exception; e is not null && seen < 16; e = e.InnerException, seen++)
        {
            yield return e;
            if (e is AggregateException { InnerExceptions.Count: > 0 } aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.Skip(1))
                {
                    yield return inner;
                }
            }
        }
    }
}
