using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Text;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// The validation handshake Graph runs before it creates a subscription: POST {notificationUrl}?validationToken=… and
/// require 200 with the token echoed as text/plain within 10 s. Trusts publicly valid certificates and the sandbox's own
/// (by SHA-256 thumbprint), so the built-in receivers under /_sandbox/receiver/… can play the customer's endpoint.
/// </summary>
internal sealed class SubscriptionHandshake : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly HttpClient _http;
    private volatile string? _trusted;

    public SubscriptionHandshake()
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                    errors == SslPolicyErrors.None
                    || (cert is not null && _trusted is { } t && string.Equals(cert.GetCertHashString(HashAlgorithmName.SHA256), t, StringComparison.OrdinalIgnoreCase)),
            },
            ConnectTimeout = Timeout,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        };
        _http = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    /// <summary>Trusts the sandbox's own certificate (set once the host has made it).</summary>
    public void Trust(string sha256Thumbprint) => _trusted = sha256Thumbprint;

    /// <summary>Runs the handshake; null on success, else the reason Graph gives.</summary>
    public async Task<string?> ValidateAsync(string url, CancellationToken cancellationToken)
    {
        var token = $"Validation: Testing client application reachability for subscription Request-Id: {Guid.NewGuid()}";
        var target = url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "validationToken=" + Uri.EscapeDataString(token);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent([]) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
            if ((int)response.StatusCode != 200)
            {
                return "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.";
            }
            var body = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync(cts.Token).ConfigureAwait(false));
            if (!string.Equals(body, token, StringComparison.Ordinal))
            {
                return "Subscription validation request failed. Response must exactly match validationToken query parameter.";
            }
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "Subscription validation request timed out.";
        }
        catch (HttpRequestException e)
        {
            return $"Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request. {e.HttpRequestError}";
        }
    }

    /// <summary>POSTs a notification collection (application/json); true when the receiver acknowledged it (2xx) within 10 s.</summary>
    public async Task<bool> NotifyAsync(string url, string json, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public void Dispose() => _http.Dispose();
}
