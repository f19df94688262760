using System.Security.Cryptography.X509Certificates;

namespace CasAdmin.Sandbox;

/// <summary>Typed client over the /_sandbox control API.</summary>
public sealed partial class SandboxControlClient
{
    private readonly HttpClient _http;

    /// <summary>The HttpClient must have the sandbox URL as BaseAddress and trust its certificate (see SandboxHost.CreatePinnedHandler).</summary>
    public SandboxControlClient(HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
    }

    /// <summary>Reseeds every tenant from the scenario and clears faults, latency, stats, throttling state and pending sign-ins.</summary>
    public Task ResetAsync(CancellationToken cancellationToken = default) => SendAsync(HttpMethod.Post, "_sandbox/reset", null, cancellationToken);

    /// <summary>Adds a fault rule; returns it with its id.</summary>
    public async Task<FaultRule> AddFaultAsync(FaultRule rule, CancellationToken cancellationToken = default)
    {
        using var response = await _http.PostAsJsonAsync("_sandbox/faults", rule, ControlJson.Options, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync<FaultRule>(ControlJson.Options, cancellationToken).ConfigureAwait(false))!;
    }

    public Task ClearFaultsAsync(CancellationToken cancellationToken = default) => SendAsync(HttpMethod.Delete, "_sandbox/faults", null, cancellationToken);

    public Task SetLatencyAsync(int fixedMs, int jitterMs = 0, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, "_sandbox/latency", new LatencySettings(fixedMs, jitterMs), cancellationToken);

    /// <summary>Null arguments keep their current value. Changing anything refills every bucket at the new limits.</summary>
    public Task SetThrottlingAsync(bool? enabled = null, double? scale = null, RetryAfterMode? retryAfterMode = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, "_sandbox/throttling", new ThrottlingSettings { Enabled = enabled, Scale = scale, RetryAfterMode = retryAfterMode }, cancellationToken);

    public Task ApproveDeviceCodeAsync(string userCode, string user, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "_sandbox/devicecode/approve", new DeviceCodeApproval(userCode, user), cancellationToken);

    /// <summary>Approves a device code and accepts the consent prompt for the scopes it asks for (only an administrator may consent to admin scopes).</summary>
    public Task ApproveDeviceCodeWithConsentAsync(string userCode, string user, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "_sandbox/devicecode/approve", new DeviceCodeApproval(userCode, user, Consent: true), cancellationToken);

    public Task DenyDeviceCodeAsync(string userCode, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "_sandbox/devicecode/approve", new DeviceCodeApproval(userCode, null, Deny: true), cancellationToken);

    /// <summary>The user GET /authorize signs in and redirects with a code; null makes /authorize show a page instead.</summary>
    public Task SetInteractiveUserAsync(string? user, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, "_sandbox/interactive", new InteractiveUser(user), cancellationToken);

    /// <summary>Adds the certificate's public key to the app's keyCredentials, so client assertions signed with it are accepted.</summary>
    public async Task<RegisteredCertificate> RegisterCertificateAsync(string tenantId, string appId, X509Certificate2 publicCert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(publicCert);
        var body = new CertificateRegistration(Convert.ToBase64String(publicCert.RawData));
        using var response = await _http.PostAsJsonAsync($"_sandbox/tenants/{Uri.EscapeDataString(tenantId)}/apps/{Uri.EscapeDataString(appId)}/certificates", body, ControlJson.Options, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync<RegisteredCertificate>(ControlJson.Options, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The tenant's directory now (by tenant id or domain): applications, principals, grants, groups, users, role assignments, deleted items.</summary>
    public async Task<SandboxTenantState> GetTenantStateAsync(string tenantId, CancellationToken cancellationToken = default) =>
        (await _http.GetFromJsonAsync<SandboxTenantState>($"_sandbox/tenants/{Uri.EscapeDataString(tenantId)}/state", ControlJson.Options, cancellationToken).ConfigureAwait(false))!;

    public async Task<SandboxStats> GetStatsAsync(CancellationToken cancellationToken = default) =>
        (await _http.GetFromJsonAsync<SandboxStats>("_sandbox/stats", ControlJson.Options, cancellationToken).ConfigureAwait(false))!;

    public async Task<IReadOnlyList<TimelineEntry>> GetTimelineAsync(CancellationToken cancellationToken = default) =>
        (await _http.GetFromJsonAsync<List<TimelineEntry>>("_sandbox/timeline", ControlJson.Options, cancellationToken).ConfigureAwait(false))!;

    public async Task<ThrottlingState> GetThrottlingAsync(CancellationToken cancellationToken = default) =>
        (await _http.GetFromJsonAsync<ThrottlingState>("_sandbox/throttling", ControlJson.Options, cancellationToken).ConfigureAwait(false))!;

    private async Task SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: ControlJson.Options);
        }

        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, cancellationToken).ConfigureAwait(false);
    }

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        throw new HttpRequestException($"Sandbox control call failed with {(int)response.StatusCode}: {text}", null, response.StatusCode);
    }
}
