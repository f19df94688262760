using System.Text.Json;
using System.Xml;
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
            if (s is null || s.LagMs < 0) return Bad("lagMs must be zero or positive.");
            rt.Replication.LagMs = s.LagMs;
            return Results.NoContent();
        });
        g.MapPut("/tenants/{tenantId}/evaluation", async (HttpContext ctx, string tenantId) =>
        {
            if (rt.Store.Find(tenantId) is not { } t) return UnknownTenant(tenantId);
            var u = await Read<EvaluationUsage>(ctx);
            if (u is null || string.IsNullOrWhiteSpace(u.AppId) || u.Used < 0) return Bad("appId and a zero or positive used are required.");
            lock (t.Sync) t.Teams.SetEvaluationUsed(u.AppId, rt.Time.GetUtcNow(), u.Used);
            return Results.NoContent();
        });
        g.MapGet("/tenants/{tenantId}/evaluation", (string tenantId, string appId) =>
        {
            if (rt.Store.Find(tenantId) is not { } t) return UnknownTenant(tenantId);
            int used;
            lock (t.Sync) used = t.Teams.EvaluationUsed(appId, rt.Time.GetUtcNow());
            return Results.Json(new EvaluationUsage(appId, used), o);
        });
        g.MapPut("/tenants/{tenantId}/appManagementPolicy", async (HttpContext ctx, string tenantId) =>
        {
            if (rt.Store.Find(tenantId) is not { } t) return UnknownTenant(tenantId);
            var p = await Read<AppManagementPolicySettings>(ctx);
            if (p is null) return Bad("A policy body is required.");
            TimeSpan? max = null;
            try
            {
                if (p.MaxPasswordLifetime is { } d) max = XmlConvert.ToTimeSpan(d);
            }
            catch (FormatException)
            {
                return Bad("maxPasswordLifetime must be an ISO 8601 duration such as P180D.");
            }
            lock (t.Sync) t.AppManagementPolicy = new AppManagementPolicy { IsEnabled = p.IsEnabled, MaxPasswordLifetime = max };
            return Results.NoContent();
        });
        g.MapDelete("/tenants/{tenantId}/appManagementPolicy", (string tenantId) =>
        {
            if (rt.Store.Find(tenantId) is not { } t) return UnknownTenant(tenantId);
            lock (t.Sync) t.AppManagementPolicy = AppManagementPolicy.Disabled();
            return Results.NoContent();
        });
        g.MapGet("/tenants/{tenantId}/subscriptions", (string tenantId) =>
        {
            if (rt.Store.Find(tenantId) is not { } t) return UnknownTenant(tenantId);
            List<SubscriptionRecord> list;
            lock (t.Sync)
            {
                list = t.Teams.Subscriptions.Values.OrderBy(s => s.CreatedAt).Select(s => new SubscriptionRecord(
                    s.Id, s.Resource, s.ApplicationId, s.ChangeType, s.NotificationUrl, s.LifecycleNotificationUrl, s.ClientState,
                    s.ExpirationDateTime, s.CreatedAt, s.DeletedAt, s.DeletedByAppId)).ToList();
            }
            return Results.Json(list, o);
        });

        // Notification receivers the subscription handshake can be pointed at.
        g.Map("/receiver/echo", (HttpContext ctx) =>
        {
            var token = ctx.Request.Query["validationToken"].ToString();
            return token.Length > 0 ? Results.Text(token, "text/plain", statusCode: 200) : Results.StatusCode(202);
        });
        g.Map("/receiver/fail", () => Results.StatusCode(500));
    }

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
