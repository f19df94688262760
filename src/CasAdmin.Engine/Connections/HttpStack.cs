using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Identity.Client;

namespace CasAdmin.Engine.Connections;

/// <summary>
/// The sockets one connection uses, shared by MSAL and Graph. For the sandbox it trusts exactly the
/// certificate whose SHA-256 thumbprint the sandbox published — never any certificate, never the machine store.
/// </summary>
internal sealed class HttpStack : IMsalHttpClientFactory, IDisposable
{
    private int pinMismatches;

    /// <param name="pinnedThumbprint">The sandbox certificate's SHA-256 thumbprint, or null for the public clouds.</param>
    /// <param name="resilience">Bounds every call: connecting (TCP and TLS) and each request/response of MSAL.</param>
    public HttpStack(string? pinnedThumbprint, Resilience.ResilienceOptions? resilience = null)
    {
        resilience ??= Resilience.ResilienceOptions.Default;
        var handler = new SocketsHttpHandler
        {
            // A host that accepts TCP and never completes TLS (or never accepts) fails within this time, for MSAL and Graph alike.
            ConnectTimeout = resilience.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            MaxConnectionsPerServer = 64,
        };
        if (pinnedThumbprint is not null)
        {
            var expected = pinnedThumbprint.Replace(":", string.Empty, StringComparison.Ordinal).Trim();
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    var ok = certificate is not null && Sha256(certificate).Equals(expected, StringComparison.OrdinalIgnoreCase);
                    if (!ok)
                    {
                        Interlocked.Increment(ref pinMismatches);
                    }

                    return ok;
                },
            };

            // The pin replaces chain validation, which is only sound on this machine: a sandbox connection never
            // leaves loopback, whatever its host name resolves to.
            handler.ConnectCallback = ConnectToLoopbackOnlyAsync;
        }

        Primary = handler;

        // MSAL wants one long-lived HttpClient; it must not dispose the shared handler.
        // MSAL has no timeout of its own: HttpClient's bounds each sign-in request; Graph calls are bounded by Polly.
        MsalClient = new HttpClient(handler, disposeHandler: false) { Timeout = resilience.AttemptTimeout };
    }

    public SocketsHttpHandler Primary { get; }

    public HttpClient MsalClient { get; }

    /// <summary>True once the server presented a certificate other than the pinned one.</summary>
    public bool PinMismatchSeen => Volatile.Read(ref pinMismatches) > 0;

    public HttpClient GetHttpClient() => MsalClient;

    /// <summary>True for a sandbox address CasAdmin may use: an IP loopback literal or <c>localhost</c>.</summary>
    public static bool IsLoopback(Uri url) =>
        url.IsLoopback && (IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out var ip) ? IPAddress.IsLoopback(ip) : string.Equals(url.IdnHost, "localhost", StringComparison.OrdinalIgnoreCase));

    private static async ValueTask<Stream> ConnectToLoopbackOnlyAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(context.DnsEndPoint.Host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct).ConfigureAwait(false);
        var loopback = addresses.Where(IPAddress.IsLoopback).ToArray();
        if (loopback.Length == 0)
        {
            throw new HttpRequestException($"A sandbox connection only reaches loopback addresses; {context.DnsEndPoint.Host} is not one.");
        }

        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(loopback, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static string Sha256(X509Certificate certificate) =>
        Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData()));

    public void Dispose()
    {
        MsalClient.Dispose();
        Primary.Dispose();
    }
}
