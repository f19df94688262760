using System.Net;
using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Control;
using CasAdmin.Sandbox.Hosting;
using CasAdmin.Sandbox.Tenants;

namespace CasAdmin.Sandbox.Identity;

/// <summary>Maps the Entra-shaped endpoints: token, device code, authorize, discovery, keys and the managed-identity endpoint.</summary>
internal static class IdentityEndpoints
{
    public static void Map(WebApplication app, SandboxRuntime rt)
    {
        var token = new TokenEndpoint(rt);
        app.MapPost("/{tenant}/oauth2/v2.0/token", (HttpContext ctx, string tenant) => token.TokenAsync(ctx, tenant));
        app.MapPost("/{tenant}/oauth2/v2.0/devicecode", (HttpContext ctx, string tenant) => token.DeviceCodeAsync(ctx, tenant));
        app.MapGet("/{tenant}/oauth2/v2.0/authorize", (HttpContext ctx, string tenant) => AuthorizeAsync(ctx, tenant, rt, token));
        app.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", (HttpContext ctx, string tenant) => OpenIdConfigurationAsync(ctx, tenant, rt, token));
        app.MapGet("/{tenant}/discovery/v2.0/keys", (HttpContext ctx) => HttpHelpers.WriteJsonAsync(ctx, 200, rt.Tokens.Jwks()));
        app.MapGet("/discovery/v2.0/keys", (HttpContext ctx) => HttpHelpers.WriteJsonAsync(ctx, 200, rt.Tokens.Jwks()));
        app.MapGet("/devicelogin", (HttpContext ctx) => HtmlAsync(ctx, 200, "Sandbox device login",
            "This sandbox has no sign-in page. Approve a device code with POST /_sandbox/devicecode/approve {\"userCode\": \"...\", \"user\": \"upn\"}."));
        app.MapGet("/msi/{tenantId}/token", (HttpContext ctx, string tenantId) => ManagedIdentityAsync(ctx, tenantId, rt, token));
    }

    private static async Task AuthorizeAsync(HttpContext ctx, string tenant, SandboxRuntime rt, TokenEndpoint token)
    {
        var q = ctx.Request.Query;
        var t = rt.Store.Find(tenant);
        if (t is null)
        {
            await HtmlAsync(ctx, 400, "Sign in", $"AADSTS90002: Tenant '{tenant}' not found.");
            return;
        }
        Application? app;
        try
        {
            app = token.ResolveClient(t, q["client_id"].ToString(), requireApplication: true).App;
        }
        catch (EntraError e)
        {
            await HtmlAsync(ctx, 400, "Sign in", $"AADSTS{e.Code}: {e.Description}");
            return;
        }
        var redirect = q["redirect_uri"].ToString();
        if (!RedirectAllowed(app!, redirect))
        {
            await HtmlAsync(ctx, 400, "Sign in", $"AADSTS50011: The redirect URI '{redirect}' specified in the request does not match the redirect URIs configured for the application '{app!.AppId}'.");
            return;
        }
        var upn = rt.Flows.InteractiveUser;
        DirectoryUser? user = null;
        if (upn is not null)
        {
            lock (t.Sync)
            {
                user = t.Users.Find(upn);
            }
        }
        if (user is null)
        {
            await HtmlAsync(ctx, 200, "Sign in to your account",
                "No interactive user is configured for this sandbox. Set one with PUT /_sandbox/interactive {\"user\": \"admin@contoso.onmicrosoft.com\"}, then retry.");
            return;
        }
        var scopes = q["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var code = rt.Flows.NewAuthorizationCode(new AuthorizationCodeEntry(t.Id, app!.AppId, redirect, scopes, user.Id,
            NullIfEmpty(q["code_challenge"]), NullIfEmpty(q["code_challenge_method"]), NullIfEmpty(q["nonce"]), rt.Time.GetUtcNow().AddMinutes(10)));
        var state = NullIfEmpty(q["state"]);
        var sessionState = Guid.NewGuid().ToString();
        if (string.Equals(q["response_mode"], "form_post", StringComparison.OrdinalIgnoreCase))
        {
            // MSAL's system-browser flow asks for form_post: an auto-submitting form that POSTs the code to the redirect URI.
            var fields = new List<(string, string)> { ("code", code) };
            if (state is not null)
            {
                fields.Add(("state", state));
            }

            fields.Add(("session_state", sessionState));
            var inputs = string.Concat(fields.Select(f => $"<input type=\"hidden\" name=\"{f.Item1}\" value=\"{WebUtility.HtmlEncode(f.Item2)}\" />"));
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "text/html; charset=utf-8";
            await ctx.Response.WriteAsync($"<html><head><title>Working...</title></head><body><form method=\"POST\" name=\"hiddenform\" action=\"{WebUtility.HtmlEncode(redirect)}\">{inputs}<noscript><p>Script is disabled. Click Submit to continue.</p><input type=\"submit\" value=\"Submit\" /></noscript></form><script language=\"javascript\">document.forms[0].submit();</script></body></html>");
            return;
        }
        var separator = redirect.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        var location = $"{redirect}{separator}code={Uri.EscapeDataString(code)}";
        if (state is not null)
        {
            location += $"&state={Uri.EscapeDataString(state)}";
        }

        location += $"&session_state={sessionState}";
        ctx.Response.StatusCode = 302;
        ctx.Response.Headers.Location = location;
    }

    /// <summary>Exact match, or for loopback redirect URIs any port (as Entra allows for http://localhost).</summary>
    private static bool RedirectAllowed(Application app, string redirect)
    {
        if (!Uri.TryCreate(redirect, UriKind.Absolute, out var r))
        {
            return false;
        }

        foreach (var registered in app.PublicClientRedirectUris.Concat(app.WebRedirectUris))
        {
            if (string.Equals(registered, redirect, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (Uri.TryCreate(registered, UriKind.Absolute, out var g) && g.IsLoopback && r.IsLoopback && g.Scheme == r.Scheme
                && g.AbsolutePath.TrimEnd('/') == r.AbsolutePath.TrimEnd('/'))
            {
                return true;
            }
        }
        return false;
    }

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues v) => string.IsNullOrEmpty(v) ? null : v.ToString();

    private static Task OpenIdConfigurationAsync(HttpContext ctx, string tenant, SandboxRuntime rt, TokenEndpoint token)
    {
        var t = rt.Store.Find(tenant);
        if (t is null)
        {
            return token.WriteErrorAsync(ctx, EntraError.TenantNotFound(tenant));
        }

        var b = HttpHelpers.BaseUrl(ctx);
        return HttpHelpers.WriteJsonAsync(ctx, 200, new JsonObject
        {
            ["token_endpoint"] = $"{b}{t.Id}/oauth2/v2.0/token",
            ["token_endpoint_auth_methods_supported"] = new JsonArray("client_secret_post", "private_key_jwt", "client_secret_basic"),
            ["jwks_uri"] = $"{b}{t.Id}/discovery/v2.0/keys",
            ["response_modes_supported"] = new JsonArray("query", "fragment", "form_post"),
            ["subject_types_supported"] = new JsonArray("pairwise"),
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["response_types_supported"] = new JsonArray("code", "id_token", "code id_token", "id_token token"),
            ["scopes_supported"] = new JsonArray("openid", "profile", "email", "offline_access"),
            ["issuer"] = $"{b}{t.Id}/v2.0",
            ["request_uri_parameter_supported"] = false,
            ["userinfo_endpoint"] = $"{b}oidc/userinfo",
            ["authorization_endpoint"] = $"{b}{t.Id}/oauth2/v2.0/authorize",
            ["device_authorization_endpoint"] = $"{b}{t.Id}/oauth2/v2.0/devicecode",
            ["http_logout_supported"] = true,
            ["frontchannel_logout_supported"] = true,
            ["end_session_endpoint"] = $"{b}{t.Id}/oauth2/v2.0/logout",
            ["claims_supported"] = new JsonArray("sub", "iss", "aud", "exp", "iat", "nbf", "name", "oid", "preferred_username", "tid", "ver", "wids", "nonce"),
            ["kerberos_endpoint"] = $"{b}{t.Id}/kerberos",
            ["tenant_region_scope"] = "NA",
            ["cloud_instance_name"] = "microsoftonline.com",
            ["cloud_graph_host_name"] = "graph.windows.net",
            ["msgraph_host"] = "graph.microsoft.com",
            ["rbac_url"] = "https://pas.windows.net",
        });
    }

    /// <summary>
    /// App Service style managed identity (what MSAL uses when IDENTITY_ENDPOINT and IDENTITY_HEADER are set):
    /// GET {endpoint}?api-version=2019-08-01&amp;resource=...[&amp;client_id=...] with the X-IDENTITY-HEADER secret.
    /// </summary>
    private static async Task ManagedIdentityAsync(HttpContext ctx, string tenantId, SandboxRuntime rt, TokenEndpoint token)
    {
        var arrival = rt.Time.GetTimestamp();
        var t = rt.Store.Find(tenantId);
        var status = 200;
        string? appId = t?.ManagedIdentityAppId;
        try
        {
            if (t is null || t.ManagedIdentityAppId is null)
            {
                status = 404;
                await HttpHelpers.WriteJsonAsync(ctx, 404, MiError("invalid_request", "No managed identity endpoint for this tenant."));
                return;
            }
            if (ctx.Request.Headers["X-IDENTITY-HEADER"] != t.ManagedIdentityHeader)
            {
                status = 401;
                await HttpHelpers.WriteJsonAsync(ctx, 401, MiError("unauthorized_client", "The X-IDENTITY-HEADER header is missing or wrong."));
                return;
            }
            var q = ctx.Request.Query;
            if (q["api-version"] != "2019-08-01")
            {
                status = 400;
                await HttpHelpers.WriteJsonAsync(ctx, 400, MiError("invalid_request", "The api-version is not supported. Use 2019-08-01."));
                return;
            }
            var resource = q["resource"].ToString();
            if (!TokenIssuer.GraphAudiences.Contains(resource))
            {
                status = 400;
                await HttpHelpers.WriteJsonAsync(ctx, 400, MiError("invalid_resource",
                    $"AADSTS500011: The resource principal named {resource} was not found in the tenant named {t.DisplayName}."));
                return;
            }
            var requested = q["client_id"].ToString();
            if (requested.Length > 0 && !requested.Equals(t.ManagedIdentityAppId, StringComparison.OrdinalIgnoreCase))
            {
                status = 400;
                await HttpHelpers.WriteJsonAsync(ctx, 400, MiError("invalid_request", $"Identity not found: no managed identity with client id '{requested}'."));
                return;
            }
            ServicePrincipal sp;
            List<string> roles;
            lock (t.Sync)
            {
                sp = t.FindServicePrincipalByAppId(t.ManagedIdentityAppId)!;
                roles = t.AssignedRoleValues(sp.Id, t.GraphServicePrincipal);
            }
            var now = rt.Time.GetUtcNow();
            await HttpHelpers.WriteJsonAsync(ctx, 200, new JsonObject
            {
                ["access_token"] = token.AppAccessToken(t, sp, "2", roles, now),
                ["expires_on"] = now.AddSeconds(TokenEndpoint.AccessTokenLifetime).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["resource"] = resource,
                ["token_type"] = "Bearer",
                ["client_id"] = sp.AppId,
            });
        }
        finally
        {
            rt.Stats.Record(new RequestRecord(arrival, "GET", ctx.Request.Path, "GET /msi/{tenantId}/token", status, appId, t?.Id, TokenRequest: true));
        }
    }

    private static JsonObject MiError(string error, string description) => new()
    {
        ["error"] = error,
        ["error_description"] = description,
        ["correlationId"] = Guid.NewGuid().ToString(),
    };

    private static async Task HtmlAsync(HttpContext ctx, int status, string title, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/html; charset=utf-8";
        await ctx.Response.WriteAsync($"<!DOCTYPE html><html><head><title>{WebUtility.HtmlEncode(title)}</title></head><body><h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(message)}</p></body></html>");
    }
}
