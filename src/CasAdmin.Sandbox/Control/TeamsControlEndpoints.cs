using System.Text.Json;
using System.Xml;
using CasAdmin.Sandbox.Graph;
using CasAdmin.Sandbox.Hosting;
using CasAdmin.Sandbox.Tenants;

namespace CasAdmin.Sandbox.Control;

/// <summary>
/// Control API for the app-management and Teams Chat features: replication lag, Evaluation Mode usage, the default app
/// management policy, the subscription record, and the built-in notification receivers (/_sandbox/receiver/echo echoes
/// validationToken as text/plain; /_sandbox/receiver/fail answers 500).
/// </summary>
internal static class TeamsControlEndpoints
{
    public static void Map(RouteGroupBuilder g, SandboxRuntime rt)
    {
        var o = ControlJson.Options;
        g.MapGet("/replication", () => Results.Json(new ReplicationSettings(rt.Replication.LagMs), o));
        g.MapPut("/replication", async (HttpContext ctx) =>
        {
            var s = await Read<ReplicationSettings>(ctx);
            if (s is null || s.LagMs < 0)
            {
                return Bad("lagMs must be zero or positive.");
            }

            rt.Replication.LagMs = s.LagMs;
            return Results.NoContent();
        });
        g.MapPut("/tenants/{tenantId}/evaluation", async (HttpContext ctx, string tenantId) =>
        {
            if (rt.Store.Find(tenantId) is not { } t)
            {
                return UnknownTenant(tenantId);
            }

            var u = await Read<EvaluationUsage>(ctx);
            if (u is null || string.IsNullOrWhiteSpace(u.AppId) || u.Used < 0)
            {
                return Bad("appId and a zero or positive used are required.");
            }

            lock (t.Sync)
            {
                t.Teams.SetEvaluationUsed(u.AppId, rt.Time.GetUtcNow(), u.Used);
            }

            return Results.NoContent();
        });
        g.MapGet("/tenants/{tenantId}/evaluation", (string tenantId, string appId) =>
        {
            if (rt.Store.Find(tenantId) is not { } t)
            {
                return UnknownTenant(tenantId);
            }

            int used;
            lock (t.Sync)
            {
                used = t.Teams.EvaluationUsed(appId, rt.Time.GetUtcNow());
            }

            return Results.Json(new EvaluationUsage(appId, used), o);
        });
        g.MapPut("/tenants/{tenantId}/appManagementPolicy", async (HttpContext ctx, string tenantId) =>
        {
            if (rt.Store.Find(tenantId) is not { } t)
            {
                return UnknownTenant(tenantId);
            }

            var p = await Read<AppManagementPolicySettings>(ctx);
            if (p is null)
            {
                return Bad("A policy body is required.");
            }

            TimeSpan? max = null;
            try
            {
                if (p.MaxPasswordLifetime is { } d)
                {
                    max = XmlConvert.ToTimeSpan(d);
                }
            }
            catch (FormatException)
            {
                return Bad("maxPasswordLifetime must be an ISO 8601 duration such as P180D.");
            }
            lock (t.Sync)
            {
                t.AppManagementPolicy = new AppManagementPolicy { IsEnabled = p.IsEnabled, MaxPasswordLifetime = max };
            }

            return Results.NoContent();
        });
        g.MapDelete("/tenants/{tenantId}/appManagementPolicy", (string tenantId) =>
        {
            if (rt.Store.Find(tenantId) is not { } t)
            {
                return UnknownTenant(tenantId);
            }

            lock (t.Sync)
            {
                t.AppManagementPolicy = AppManagementPolicy.Disabled();
            }

            return Results.NoContent();
        });
        g.MapGet("/tenants/{tenantId}/subscriptions", (string tenantId) =>
        {
            if (rt.Store.Find(tenantId) is not { } t)
            {
                return UnknownTenant(tenantId);
            }

            List<SubscriptionRecord> list;
            lock (t.Sync)
            {
                list = t.Teams.Subscriptions.Values.OrderBy(s => s.CreatedAt).Select(s => new SubscriptionRecord(
                    s.Id, s.Resource, s.ApplicationId, s.ChangeType, s.NotificationUrl, s.LifecycleNotificationUrl, s.ClientState,
                    s.ExpirationDateTime, s.CreatedAt, s.DeletedAt, s.DeletedByAppId, s.ReauthorizationRequired, s.RemovedByService)).ToList();
            }
            return Results.Json(list, o);
        });

        // What Graph does to a subscription on its own: remove it (subscriptionRemoved), or say notifications were missed.
        g.MapPost("/tenants/{tenantId}/subscriptions/{id}/remove", async (HttpContext ctx, string tenantId, string id) =>
        {
            if (rt.Store.Find(tenantId) is not { } t)
            {
                return UnknownTenant(tenantId);
            }

            return await SubscriptionLifecycle.RemoveAsync(rt, t, id, ctx.RequestAborted) ? Results.NoContent() : UnknownSubscription(id);
        });
        g.MapPost("/tenants/{tenantId}/subscriptions/{id}/missed", async (HttpContext ctx, string tenantId, string id) =>
        {
            if (rt.Store.Find(tenantId) is not { } t)
            {
                return UnknownTenant(tenantId);
            }

            return await SubscriptionLifecycle.SendMissedAsync(rt, t, id, ctx.RequestAborted) ? Results.NoContent() : UnknownSubscription(id);
        });

        // The subscription clock: only subscriptions age (see SubscriptionClock for why tokens do not).
        g.MapGet("/clock", () => Results.Json(new ClockState(XmlConvert.ToString(rt.SubscriptionClock.AdvancedBy)), o));
        g.MapPost("/clock", async (HttpContext ctx) =>
        {
            var a = await Read<ClockAdvance>(ctx);
            TimeSpan by;
            try
            {
                by = a?.Advance is { } d ? XmlConvert.ToTimeSpan(d) : TimeSpan.MinValue;
            }
            catch (FormatException)
            {
                by = TimeSpan.MinValue;
            }
            if (by <= TimeSpan.Zero)
            {
                return Bad("advance must be a positive ISO 8601 duration such as PT73H or P3D (the clock only moves ahead).");
            }

            var r = await SubscriptionLifecycle.AdvanceAsync(rt, by, ctx.RequestAborted);
            return Results.Json(new ClockState(XmlConvert.ToString(r.AdvancedBy), r.Expired, r.ReauthorizationRequired, r.NotificationsSent, r.NotificationsDelivered), o);
        });

        // Teams API access: metering (off since August 2025) and protected-API approval.
        g.MapGet("/teams", () => Results.Json(TeamsState(rt), o));
        g.MapPut("/teams", async (HttpContext ctx) =>
        {
            var s = await Read<TeamsApiSettings>(ctx);
            if (s is null)
            {
                return Bad("A body with meteredEvaluation, protectedApiApprovedByDefault or protectedApiApproval is required.");
            }

            if (s.ProtectedApiApproval?.Keys.Any(string.IsNullOrWhiteSpace) == true)
            {
                return Bad("protectedApiApproval keys must be app ids.");
            }

            if (s.MeteredEvaluation is { } m)
            {
                rt.TeamsApis.MeteredEvaluation = m;
            }

            if (s.ProtectedApiApprovedByDefault is { } d)
            {
                rt.TeamsApis.ProtectedApiApprovedByDefault = d;
            }

            foreach (var (appId, approved) in s.ProtectedApiApproval ?? new Dictionary<string, bool?>())
            {
                rt.TeamsApis.SetProtectedApiApproval(appId, approved);
            }

            return Results.Json(TeamsState(rt), o);
        });

        // Notification receivers the subscription handshake can be pointed at. The echo receiver echoes validation tokens
        // and records anything else POSTed to it (lifecycle notifications), acknowledging with 202 as Graph expects.
        g.Map("/receiver/echo", async (HttpContext ctx) =>
        {
            var token = ctx.Request.Query["validationToken"].ToString();
            if (token.Length > 0)
            {
                return Results.Text(token, "text/plain", statusCode: 200);
            }

            if (HttpMethods.IsPost(ctx.Request.Method))
            {
                using var reader = new StreamReader(ctx.Request.Body);
                var body = await reader.ReadToEndAsync(ctx.RequestAborted);
                rt.Recorder.Add(new ReceivedNotification(ctx.Request.Path + ctx.Request.QueryString, rt.Time.GetUtcNow(), ctx.Request.ContentType ?? "", body));
            }
            return Results.StatusCode(202);
        });
        g.MapGet("/receiver/notifications", () => Results.Json(rt.Recorder.Snapshot(), o));
        g.MapDelete("/receiver/notifications", () =>
        {
            rt.Recorder.Clear();
            return Results.NoContent();
        });
        g.Map("/receiver/fail", () => Results.StatusCode(500));
    }

    private static TeamsApiState TeamsState(SandboxRuntime rt) =>
        new(rt.TeamsApis.MeteredEvaluation, rt.TeamsApis.ProtectedApiApprovedByDefault, rt.TeamsApis.Apps);

    private static IResult UnknownSubscription(string id) => Results.Json(new { error = $"No live subscription '{id}'." }, ControlJson.Options, statusCode: 404);

    private static IResult Bad(string message) => Results.Json(new { error = message }, ControlJson.Options, statusCode: 400);

    private static IResult UnknownTenant(string tenantId) => Results.Json(new { error = $"Unknown tenant '{tenantId}'." }, ControlJson.Options, statusCode: 404);

    private static async Task<T?> Read<T>(HttpContext ctx) where T : class
    {
        try
        {
            return await ctx.Request.ReadFromJsonAsync<T>(ControlJson.Options, ctx.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
