using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CasAdmin.Sandbox.Hosting;
using CasAdmin.Sandbox.Identity;
using CasAdmin.Sandbox.Scenarios;
using CasAdmin.Sandbox.Tenants;

namespace CasAdmin.Sandbox.Control;

/// <summary>/_sandbox/…: the test and benchmark control API. No Graph token needed; never counted in stats.</summary>
internal static class ControlEndpoints
{
    public static void Map(WebApplication app, SandboxRuntime rt, Func<IReadOnlyList<SandboxTenantInfo>> tenants)
    {
        var o = ControlJson.Options;
        var g = app.MapGroup("/_sandbox");
        g.MapPost("/reset", () =>
        {
            rt.Reset();
            return Results.NoContent();
        });
        g.MapGet("/info", () => Results.Json(tenants(), o));
        g.MapPost("/faults", async (HttpContext ctx) =>
        {
            var rule = await Read<FaultRule>(ctx);
            if (rule is null)
            {
                return Bad("A fault rule body is required.");
            }

            try
            {
                return Results.Json(rt.Faults.Add(rule), o, statusCode: 201);
            }
            catch (ArgumentException e)
            {
                return Bad(e.Message);
            }
        });
        g.MapGet("/faults", () => Results.Json(rt.Faults.Rules, o));
        g.MapDelete("/faults", () =>
        {
            rt.Faults.Clear();
            return Results.NoContent();
        });
        g.MapPut("/latency", async (HttpContext ctx) =>
        {
            var l = await Read<LatencySettings>(ctx);
            if (l is null || l.FixedMs < 0 || l.JitterMs < 0)
            {
                return Bad("fixedMs and jitterMs must be zero or positive.");
            }

            rt.Faults.Latency = l;
            return Results.NoContent();
        });
        g.MapGet("/throttling", () => Results.Json(new ThrottlingState(rt.Throttler.Enabled, rt.Throttler.Scale, rt.Throttler.Mode), o));
        g.MapPut("/throttling", async (HttpContext ctx) =>
        {
            var s = await Read<ThrottlingSettings>(ctx);
            if (s is null)
            {
                return Bad("A throttling body is required.");
            }

            try
            {
                rt.Throttler.Configure(s.Enabled, s.Scale, s.RetryAfterMode);
            }
            catch (ArgumentOutOfRangeException e)
            {
                return Bad(e.Message);
            }
            return Results.NoContent();
        });
        g.MapPost("/devicecode/approve", async (HttpContext ctx) =>
        {
            var a = await Read<DeviceCodeApproval>(ctx);
            if (a is null || string.IsNullOrEmpty(a.UserCode))
            {
                return Bad("userCode is required.");
            }

            var entry = rt.Flows.FindByUserCode(a.UserCode);
            if (entry is null)
            {
                return Results.Json(new { error = $"No pending device code '{a.UserCode}'." }, o, statusCode: 404);
            }

            if (a.Deny)
            {
                entry.State = DeviceCodeState.Denied;
                return Results.NoContent();
            }
            var tenant = rt.Store.Find(entry.TenantId)!;
            DirectoryUser? user = null;
            if (a.User is not null)
            {
                lock (tenant.Sync)
                {
                    user = tenant.Users.Find(a.User);
                }
            }
            if (user is null)
            {
                return Bad($"User '{a.User}' is not in tenant {tenant.Domain}.");
            }

            entry.UserId = user.Id;
            if (a.Consent)
            {
                UserConsent.Accept(tenant, entry.ClientId, user.Id, TokenEndpoint.ParseUserScopes(entry.Scopes).Graph);
            }
            entry.State = DeviceCodeState.Approved;
            return Results.NoContent();
        });
        g.MapPut("/interactive", async (HttpContext ctx) =>
        {
            var i = await Read<InteractiveUser>(ctx);
            rt.Flows.InteractiveUser = string.IsNullOrWhiteSpace(i?.User) ? null : i.User;
            return Results.NoContent();
        });
        g.MapPost("/tenants/{tenantId}/apps/{appId}/certificates", async (HttpContext ctx, string tenantId, string appId) =>
        {
            var body = await Read<CertificateRegistration>(ctx);
            var tenant = rt.Store.Find(tenantId);
            if (tenant is null)
            {
                return Results.Json(new { error = $"Unknown tenant '{tenantId}'." }, o, statusCode: 404);
            }

            if (body is null || string.IsNullOrEmpty(body.Certificate))
            {
                return Bad("certificate (base64 DER) is required.");
            }

            KeyCredential key;
            try
            {
                using var cert = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(body.Certificate));
                key = ScenarioLoader.CreateKeyCredential(cert, tenant.Id, appId);
            }
            catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException)
            {
                return Bad("certificate is not a base64 DER X.509 certificate.");
            }
            lock (tenant.Sync)
            {
                var application = tenant.FindApplicationByAppId(appId);
                if (application is null)
                {
                    return Results.Json(new { error = $"No application '{appId}' in tenant {tenant.Domain}." }, o, statusCode: 404);
                }

                application.KeyCredentials.RemoveAll(k => k.KeyId == key.KeyId);
                application.KeyCredentials.Add(key);
            }
            return Results.Json(new RegisteredCertificate(key.KeyId, key.CustomKeyIdentifier), o, statusCode: 201);
        });
        TenantStateEndpoint.Map(g, rt);
        TeamsControlEndpoints.Map(g, rt);
        g.MapGet("/stats", () => Results.Json(rt.Stats.Snapshot(), o));
        g.MapGet("/timeline", () => Results.Json(rt.Stats.Timeline(), o));
    }

    private static IResult Bad(string message) => Results.Json(new { error = message }, ControlJson.Options, statusCode: 400);

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
