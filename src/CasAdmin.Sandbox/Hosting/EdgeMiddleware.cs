using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Control;

namespace CasAdmin.Sandbox.Hosting;

/// <summary>
/// In front of everything but the control API: latency, request ids, and fault injection for the identity endpoints
/// (Graph requests are faulted inside the Graph pipeline, where the calling app and tenant are known).
/// </summary>
internal static class EdgeMiddleware
{
    public static void Use(WebApplication app, SandboxRuntime rt)
    {
        // A sandbox bug must surface as a readable 500, not a silent empty answer. Only the exception type and message
        // are written (to stderr): they never contain request bodies, secrets or tokens.
        app.Use(async (ctx, next) =>
        {
            try
            {
                await next(ctx);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Console.Error.WriteLine($"sandbox: {ctx.Request.Method} {ctx.Request.Path}: {e.GetType().Name}: {e.Message}");
                if (ctx.Response.HasStarted)
                {
                    throw;
                }

                await HttpHelpers.WriteJsonAsync(ctx, 500, new JsonObject
                {
                    ["error"] = new JsonObject { ["code"] = "InternalServerError", ["message"] = $"Sandbox failure: {e.GetType().Name}." },
                });
            }
        });
        app.Use(async (ctx, next) =>
        {
            var path = ctx.Request.Path;
            if (path.StartsWithSegments("/_sandbox"))
            {
                await next(ctx);
                return;
            }
            var delay = rt.Faults.NextLatency();
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, ctx.RequestAborted);
            }

            if (path.StartsWithSegments("/v1.0"))
            {
                await next(ctx);
                return;
            }

            var requestId = Guid.NewGuid().ToString();
            ctx.Response.Headers["x-ms-request-id"] = requestId;
            ctx.Response.Headers["client-request-id"] = HttpHelpers.ClientRequestId(ctx) ?? requestId;
            var tenantKey = path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            var tenant = tenantKey is null ? null : rt.Store.Find(tenantKey);
            var appId = ctx.Request.Query["client_id"].ToString();
            var fault = rt.Faults.Match(ctx.Request.Method, path.Value ?? "/", appId.Length > 0 ? appId : null, tenant?.Id);
            if (fault is null)
            {
                await next(ctx);
                return;
            }
            var arrival = rt.Time.GetTimestamp();
            var endpoint = $"{ctx.Request.Method} (identity fault)";
            switch (fault.Kind)
            {
                case FaultKind.Slow:
                    await Task.Delay(fault.DelayMs, ctx.RequestAborted);
                    await next(ctx);
                    return;
                case FaultKind.Reset:
                    rt.Stats.Record(new RequestRecord(arrival, ctx.Request.Method, path.Value ?? "", endpoint, 0, null, tenant?.Id, Fault: true));
                    ctx.Abort();
                    return;
                case FaultKind.AppliedButLost:
                    await next(ctx);
                    ctx.Abort();
                    return;
                default:
                    if (fault.RetryAfterSeconds is { } ra)
                    {
                        ctx.Response.Headers.RetryAfter = ra.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }

                    rt.Stats.Record(new RequestRecord(arrival, ctx.Request.Method, path.Value ?? "", endpoint, fault.Status, null, tenant?.Id, Fault: true));
                    await HttpHelpers.WriteJsonAsync(ctx, fault.Status, new JsonObject
                    {
                        ["error"] = fault.Status == 429 ? "temporarily_unavailable" : "server_error",
                        ["error_description"] = $"AADSTS90055: Injected fault ({fault.Status}).",
                        ["error_codes"] = new JsonArray(90055),
                        ["timestamp"] = rt.Time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                        ["trace_id"] = requestId,
                        ["correlation_id"] = HttpHelpers.ClientRequestId(ctx) ?? requestId,
                    });
                    return;
            }
        });
    }
}
