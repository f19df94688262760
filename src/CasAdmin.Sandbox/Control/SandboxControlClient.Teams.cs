namespace CasAdmin.Sandbox;

public sealed partial class SandboxControlClient
{
    /// <summary>New applications and service principals stay invisible (404, absent from lists) for this long, except to their create call; 0 turns it off.</summary>
    public Task SetReplicationLagAsync(int lagMs, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, "_sandbox/replication", new ReplicationSettings(lagMs), cancellationToken);

    /// <summary>Sets this month's Evaluation Mode usage of an app in a tenant (500 = exhausted, 0 = reset).</summary>
    public Task SetEvaluationUsageAsync(string tenantId, string appId, int used, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"_sandbox/tenants/{Uri.EscapeDataString(tenantId)}/evaluation", new EvaluationUsage(appId, used), cancellationToken);

    public async Task<int> GetEvaluationUsageAsync(string tenantId, string appId, CancellationToken cancellationToken = default) =>
        (await _http.GetFromJsonAsync<EvaluationUsage>($"_sandbox/tenants/{Uri.EscapeDataString(tenantId)}/evaluation?appId={Uri.EscapeDataString(appId)}", ControlJson.Options, cancellationToken).ConfigureAwait(false))!.Used;

    /// <summary>Sets the tenant's default app management policy (secret lifetime limit, e.g. TimeSpan.FromDays(180)).</summary>
    public Task SetAppManagementPolicyAsync(string tenantId, bool isEnabled, TimeSpan? maxPasswordLifetime, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"_sandbox/tenants/{Uri.EscapeDataString(tenantId)}/appManagementPolicy",
            new AppManagementPolicySettings(isEnabled, maxPasswordLifetime is { } d ? System.Xml.XmlConvert.ToString(d) : null), cancellationToken);

    /// <summary>Turns the tenant's default app management policy off.</summary>
    public Task ClearAppManagementPolicyAsync(string tenantId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"_sandbox/tenants/{Uri.EscapeDataString(tenantId)}/appManagementPolicy", null, cancellationToken);

    /// <summary>Every chat-message subscription of the tenant, deleted ones included, with created/deleted times.</summary>
    public async Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsAsync(string tenantId, CancellationToken cancellationToken = default) =>
        (await _http.GetFromJsonAsync<List<SubscriptionRecord>>($"_sandbox/tenants/{Uri.EscapeDataString(tenantId)}/subscriptions", ControlJson.Options, cancellationToken).ConfigureAwait(false))!;

    /// <summary>Moves the subscription clock ahead (only subscriptions age); returns what expired and what was sent.</summary>
    public async Task<ClockState> AdvanceClockAsync(TimeSpan by, CancellationToken cancellationToken = default)
    {
        using var response = await _http.PostAsJsonAsync("_sandbox/clock", new ClockAdvance(System.Xml.XmlConvert.ToString(by)), ControlJson.Options, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync<ClockState>(ControlJson.Options, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Metering and protected-API approval (null = unchanged).</summary>
    public Task SetTeamsApiAsync(TeamsApiSettings settings, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, "_sandbox/teams", settings, cancellationToken);

    /// <summary>Graph removes a live subscription on its own and sends subscriptionRemoved to its lifecycle URL.</summary>
    public Task RemoveSubscriptionAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"_sandbox/tenants/{Uri.EscapeDataString(tenantId)}/subscriptions/{Uri.EscapeDataString(subscriptionId)}/remove", null, cancellationToken);

    /// <summary>Sends a missed lifecycle notification for a live subscription.</summary>
    public Task SendMissedAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"_sandbox/tenants/{Uri.EscapeDataString(tenantId)}/subscriptions/{Uri.EscapeDataString(subscriptionId)}/missed", null, cancellationToken);

    /// <summary>What the echo receiver was POSTed besides validation requests, oldest first.</summary>
    public async Task<IReadOnlyList<ReceivedNotification>> GetReceivedNotificationsAsync(CancellationToken cancellationToken = default) =>
        (await _http.GetFromJsonAsync<List<ReceivedNotification>>("_sandbox/receiver/notifications", ControlJson.Options, cancellationToken).ConfigureAwait(false))!;

    /// <summary>Absolute URL of the built-in receiver that echoes validation tokens (pass it as notificationUrl).</summary>
    public Uri EchoReceiverUrl => new(_http.BaseAddress!, "_sandbox/receiver/echo");

    /// <summary>Absolute URL of the built-in receiver that always answers 500 (handshake failure).</summary>
    public Uri FailingReceiverUrl => new(_http.BaseAddress!, "_sandbox/receiver/fail");
}
