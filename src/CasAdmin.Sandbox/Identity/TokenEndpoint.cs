using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Control;
using CasAdmin.Sandbox.Hosting;
using CasAdmin.Sandbox.Scenarios;
using CasAdmin.Sandbox.Tenants;

namespace CasAdmin.Sandbox.Identity;

/// <summary>POST /{tenant}/oauth2/v2.0/token and /devicecode: every grant CasAdmin uses, with Entra's errors.</summary>
internal sealed class TokenEndpoint(SandboxRuntime rt)
{
    public const int AccessTokenLifetime = 3599;
    private static readonly TimeSpan RefreshLifetime = TimeSpan.FromDays(90);

    public async Task TokenAsync(HttpContext ctx, string tenant)
    {
        var arrival = rt.Time.GetTimestamp();
        var form = ctx.Request.HasFormContentType ? await ctx.Request.ReadFormAsync(ctx.RequestAborted) : FormCollection.Empty;
        var clientId = form["client_id"].ToString();
        TenantState? t = null;
        var status = 200;
        try
        {
            t = rt.Store.Find(tenant) ?? throw EntraError.TenantNotFound(tenant);
            var grant = form["grant_type"].ToString();
            var body = grant switch
            {
                "client_credentials" => ClientCredentials(ctx, form, t, tenant),
                "device_code" or "urn:ietf:params:oauth:grant-type:device_code" => DeviceCodeGrant(ctx, form, t, tenant),
                "refresh_token" => RefreshGrant(ctx, form, t, tenant),
                "authorization_code" => AuthorizationCodeGrant(ctx, form, t, tenant),
                "" => throw EntraError.BadRequest(900144, "The request body must contain the following parameter: 'grant_type'."),
                _ => throw new EntraError(400, "unsupported_grant_type", 70003, $"The app requested an unsupported grant type '{grant}'."),
            };
            NoCache(ctx);
            await HttpHelpers.WriteJsonAsync(ctx, 200, body);
        }
        catch (EntraError e)
        {
            status = e.Status;
            await WriteErrorAsync(ctx, e);
        }
        finally
        {
            rt.Stats.Record(new RequestRecord(arrival, "POST", ctx.Request.Path, "POST /{tenant}/oauth2/v2.0/token", status,
                string.IsNullOrEmpty(clientId) ? null : clientId, t?.Id, TokenRequest: true));
        }
    }

    public async Task DeviceCodeAsync(HttpContext ctx, string tenant)
    {
        var arrival = rt.Time.GetTimestamp();
        var form = ctx.Request.HasFormContentType ? await ctx.Request.ReadFormAsync(ctx.RequestAborted) : FormCollection.Empty;
        var clientId = form["client_id"].ToString();
        TenantState? t = null;
        var status = 200;
        try
        {
            t = rt.Store.Find(tenant) ?? throw EntraError.TenantNotFound(tenant);
            var (_, sp) = ResolveClient(t, clientId, requireApplication: true);
            var scopes = form["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            ParseUserScopes(scopes); // reject invalid scopes now, as Entra does
            var entry = rt.Flows.NewDeviceCode(t.Id, sp.AppId, scopes, rt.Time.GetUtcNow().AddMinutes(15));
            var uri = HttpHelpers.BaseUrl(ctx) + "devicelogin";
            await HttpHelpers.WriteJsonAsync(ctx, 200, new JsonObject
            {
                ["user_code"] = entry.UserCode,
                ["device_code"] = entry.DeviceCode,
                ["verification_uri"] = uri,
                ["expires_in"] = 900,
                ["interval"] = 1,
                ["message"] = $"To sign in, use a web browser to open the page {uri} and enter the code {entry.UserCode} to authenticate.",
            });
        }
        catch (EntraError e)
        {
            status = e.Status;
            await WriteErrorAsync(ctx, e);
        }
        finally
        {
            rt.Stats.Record(new RequestRecord(arrival, "POST", ctx.Request.Path, "POST /{tenant}/oauth2/v2.0/devicecode", status,
                string.IsNullOrEmpty(clientId) ? null : clientId, t?.Id, TokenRequest: true));
        }
    }

    public Task WriteErrorAsync(HttpContext ctx, EntraError e)
    {
        NoCache(ctx);
        var correlation = HttpHelpers.ClientRequestId(ctx) ?? Guid.NewGuid().ToString();
        return HttpHelpers.WriteJsonAsync(ctx, e.Status, e.ToJson(correlation, rt.Time.GetUtcNow()));
    }

    private static void NoCache(HttpContext ctx)
    {
        ctx.Response.Headers.CacheControl = "no-store, no-cache";
        ctx.Response.Headers.Pragma = "no-cache";
    }

    // ---- grants ---------------------------------------------------------------------------------------------

    private JsonObject ClientCredentials(HttpContext ctx, IFormCollection form, TenantState t, string tenantKey)
    {
        var clientId = form["client_id"].ToString();
        if (string.IsNullOrEmpty(clientId))
        {
            throw EntraError.BadRequest(900144, "The request body must contain the following parameter: 'client_id'.");
        }

        var (app, sp) = ResolveClient(t, clientId, requireApplication: true);
        var now = rt.Time.GetUtcNow();
        var acr = ClientAuthenticator.Authenticate(form, ctx, app!, t, tenantKey, now, credentialRequired: true, rt.Replication);

        var scope = form["scope"].ToString();
        var requested = scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(s => !GraphPermissionCatalog.OidcScopes.Contains(s)).ToList();
        if (requested.Count != 1 || !IsGraphDefault(requested[0]))
        {
            throw EntraError.InvalidScope(scope);
        }
        List<string> roles;
        // Only assignments that have replicated reach the token: right after admin consent a token may lack the new roles.
        lock (t.Sync)
        {
            roles = t.AssignedRoleValues(sp.Id, t.GraphServicePrincipal, a => rt.Replication.HasReplicated(a.CreatedDateTime, a.ReplicationShare, a.ReplicationBoundMs, now));
        }

        return new JsonObject
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = AccessTokenLifetime,
            ["ext_expires_in"] = AccessTokenLifetime,
            ["access_token"] = AppAccessToken(t, sp, acr, roles, now),
        };
    }

    public string AppAccessToken(TenantState t, ServicePrincipal sp, string appidacr, List<string> roles, DateTimeOffset now)
    {
        var claims = Common(t, now);
        claims["app_displayname"] = sp.DisplayName;
        claims["appid"] = sp.AppId;
        claims["appidacr"] = appidacr;
        claims["idp"] = $"https://sts.windows.net/{t.Id}/";
        claims["idtyp"] = "app";
        claims["oid"] = sp.Id;
        claims["sub"] = sp.Id;
        if (roles.Count > 0)
        {
            claims["roles"] = roles;
        }

        return rt.Tokens.Create(claims);
    }

    private JsonObject DeviceCodeGrant(HttpContext ctx, IFormCollection form, TenantState t, string tenantKey)
    {
        var code = form["device_code"].ToString();
        if (string.IsNullOrEmpty(code))
        {
            code = form["code"].ToString();
        }

        var entry = rt.Flows.FindDeviceCode(code);
        if (entry is null || !entry.TenantId.Equals(t.Id, StringComparison.OrdinalIgnoreCase))
        {
            throw EntraError.InvalidGrant(70000, "The provided value for the 'device_code' parameter is not valid.");
        }
        if (!entry.ClientId.Equals(form["client_id"], StringComparison.OrdinalIgnoreCase))
        {
            throw EntraError.InvalidGrant(70000, "The device code was issued to a different client.");
        }
        var now = rt.Time.GetUtcNow();
        if (entry.ExpiresOn <= now)
        {
            rt.Flows.RemoveDeviceCode(code);
            throw new EntraError(400, "expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired.");
        }
        switch (entry.State)
        {
            case DeviceCodeState.Pending:
                throw new EntraError(400, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.");
            case DeviceCodeState.Denied:
                rt.Flows.RemoveDeviceCode(code);
                throw new EntraError(400, "authorization_declined", 65004, "User declined to consent to access the app.");
        }
        var (app, sp) = ResolveClient(t, entry.ClientId, requireApplication: true);
        var acr = ClientAuthenticator.Authenticate(form, ctx, app!, t, tenantKey, now, credentialRequired: !app!.IsFallbackPublicClient, rt.Replication);
        rt.Flows.RemoveDeviceCode(code);
        return UserTokens(ctx, t, app, sp, entry.UserId!, entry.Scopes, acr, nonce: null, now);
    }

    private JsonObject RefreshGrant(HttpContext ctx, IFormCollection form, TenantState t, string tenantKey)
    {
        var entry = rt.Flows.FindRefreshToken(form["refresh_token"].ToString());
        if (entry is null || !entry.TenantId.Equals(t.Id, StringComparison.OrdinalIgnoreCase))
        {
            throw EntraError.InvalidGrant(9002313, "Invalid request. Request is malformed or invalid.");
        }
        if (!entry.ClientId.Equals(form["client_id"], StringComparison.OrdinalIgnoreCase))
        {
            throw EntraError.InvalidGrant(70000, "Provided grant is invalid or malformed. The refresh token was issued to a different client.");
        }
        var now = rt.Time.GetUtcNow();
        if (entry.ExpiresOn <= now)
        {
            throw EntraError.InvalidGrant(700082, "The refresh token has expired due to inactivity.");
        }

        var (app, sp) = ResolveClient(t, entry.ClientId, requireApplication: true);
        var acr = ClientAuthenticator.Authenticate(form, ctx, app!, t, tenantKey, now, credentialRequired: !app!.IsFallbackPublicClient, rt.Replication);
        var scopes = form["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return UserTokens(ctx, t, app, sp, entry.UserId, scopes.Length > 0 ? scopes : entry.Scopes, acr, nonce: null, now);
    }

    private JsonObject AuthorizationCodeGrant(HttpContext ctx, IFormCollection form, TenantState t, string tenantKey)
    {
        var entry = rt.Flows.TakeAuthorizationCode(form["code"].ToString());
        var now = rt.Time.GetUtcNow();
        if (entry is null || !entry.TenantId.Equals(t.Id, StringComparison.OrdinalIgnoreCase) || entry.ExpiresOn <= now)
        {
            throw EntraError.InvalidGrant(70000, "The provided value for the 'code' parameter is not valid. The code has expired or was already redeemed.");
        }
        if (!entry.ClientId.Equals(form["client_id"], StringComparison.OrdinalIgnoreCase))
        {
            throw EntraError.InvalidGrant(70000, "The provided value for the 'code' parameter is not valid. It was issued to a different client.");
        }
        if (!string.Equals(entry.RedirectUri, form["redirect_uri"], StringComparison.Ordinal))
        {
            throw EntraError.InvalidGrant(50011, $"The redirect URI '{form["redirect_uri"]}' specified in the request does not match the redirect URI used in the authorization request.");
        }
        if (entry.CodeChallenge is { } challenge)
        {
            var verifier = form["code_verifier"].ToString();
            var computed = entry.CodeChallengeMethod?.Equals("S256", StringComparison.OrdinalIgnoreCase) == true
                ? ScenarioLoader.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)))
                : verifier;
            if (verifier.Length == 0 || computed != challenge)
            {
                throw EntraError.InvalidGrant(501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.");
            }
        }
        var (app, sp) = ResolveClient(t, entry.ClientId, requireApplication: true);
        var acr = ClientAuthenticator.Authenticate(form, ctx, app!, t, tenantKey, now, credentialRequired: !app!.IsFallbackPublicClient, rt.Replication);
        return UserTokens(ctx, t, app, sp, entry.UserId, entry.Scopes, acr, entry.Nonce, now);
    }

    // ---- user tokens ----------------------------------------------------------------------------------------

    private JsonObject UserTokens(HttpContext ctx, TenantState t, Application app, ServicePrincipal sp, string userId, IReadOnlyList<string> requestedScopes,
        string acr, string? nonce, DateTimeOffset now)
    {
        DirectoryUser? user;
        lock (t.Sync)
        {
            user = t.Users.Find(userId);
        }

        if (user is null)
        {
            throw EntraError.InvalidGrant(50034, "The user account does not exist in the directory.");
        }

        if (!user.AccountEnabled)
        {
            throw EntraError.UserDisabled();
        }

        var (graphScopes, wantsDefault, oidc) = ParseUserScopes(requestedScopes);
        HashSet<string> granted;
        List<string> wids;
        lock (t.Sync)
        {
            granted = t.GrantedScopes(sp.Id, t.GraphServicePrincipal.Id, user.Id);
            wids = t.ActiveRoleTemplates(user.Id);
        }
        if ((wantsDefault && granted.Count == 0) || graphScopes.Any(s => !granted.Contains(s)))
        {
            throw EntraError.ConsentRequired(app.AppId, app.DisplayName);
        }
        wids.Add(DirectoryRoleCatalog.DefaultUserRole);
        // Entra puts every scope consented on the resource in scp, not only the ones asked for.
        var scp = GraphPermissionCatalog.Scopes.Select(s => s.Value).Where(granted.Contains).ToList();

        var claims = Common(t, now);
        claims["acr"] = "1";
        claims["amr"] = new List<string> { "pwd" };
        claims["app_displayname"] = app.DisplayName;
        claims["appid"] = app.AppId;
        claims["appidacr"] = acr;
        claims["family_name"] = user.Surname ?? "";
        claims["given_name"] = user.GivenName ?? "";
        claims["idtyp"] = "user";
        claims["ipaddr"] = ctx.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1";
        claims["name"] = user.DisplayName;
        claims["oid"] = user.Id;
        claims["scp"] = string.Join(' ', scp);
        claims["sub"] = PairwiseSubject(user.Id, app.AppId);
        claims["unique_name"] = user.UserPrincipalName;
        claims["upn"] = user.UserPrincipalName;
        claims["wids"] = wids;
        var accessToken = rt.Tokens.Create(claims);

        var id = new Dictionary<string, object>
        {
            ["aud"] = app.AppId,
            ["iss"] = $"{HttpHelpers.BaseUrl(ctx)}{t.Id}/v2.0",
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddSeconds(AccessTokenLifetime).ToUnixTimeSeconds(),
            ["name"] = user.DisplayName,
            ["oid"] = user.Id,
            ["preferred_username"] = user.UserPrincipalName,
            ["sub"] = PairwiseSubject(user.Id, app.AppId),
            ["tid"] = t.Id,
            ["uti"] = Guid.NewGuid().ToString("N"),
            ["ver"] = "2.0",
            ["wids"] = wids,
        };
        if (nonce is not null)
        {
            id["nonce"] = nonce;
        }

        var refresh = rt.Flows.NewRefreshToken(new RefreshTokenEntry(t.Id, app.AppId, user.Id, requestedScopes, now.Add(RefreshLifetime)));
        var clientInfo = ScenarioLoader.Base64UrlEncode(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["uid"] = user.Id, ["utid"] = t.Id }));
        var responseScopes = scp.Concat(oidc.Where(o => o is "openid" or "profile" or "email")).ToList();
        if (oidc.Contains("openid") && !responseScopes.Contains("email"))
        {
            responseScopes.Add("email");
        }

        return new JsonObject
        {
            ["token_type"] = "Bearer",
            ["scope"] = string.Join(' ', responseScopes),
            ["expires_in"] = AccessTokenLifetime,
            ["ext_expires_in"] = AccessTokenLifetime,
            ["access_token"] = accessToken,
            ["refresh_token"] = refresh,
            ["id_token"] = rt.Tokens.Create(id),
            ["client_info"] = clientInfo,
        };
    }

    private static string PairwiseSubject(string userId, string appId) =>
        ScenarioLoader.Base64UrlEncode(SHA256.HashData(Encoding.UTF8.GetBytes(userId + "|" + appId)))[..43];

    private static Dictionary<string, object> Common(TenantState t, DateTimeOffset now) => new()
    {
        ["aud"] = GraphPermissionCatalog.GraphResource,
        ["iss"] = $"https://sts.windows.net/{t.Id}/",
        ["iat"] = now.ToUnixTimeSeconds(),
        ["nbf"] = now.ToUnixTimeSeconds(),
        ["exp"] = now.AddSeconds(AccessTokenLifetime).ToUnixTimeSeconds(),
        ["tid"] = t.Id,
        ["uti"] = Guid.NewGuid().ToString("N")[..22],
        ["ver"] = "1.0",
        ["xms_tcdt"] = t.CreatedDateTime.ToUnixTimeSeconds(),
    };

    // ---- helpers --------------------------------------------------------------------------------------------

    /// <summary>The client's application object (where credentials live) and its service principal in this tenant.</summary>
    public (Application? App, ServicePrincipal Sp) ResolveClient(TenantState t, string clientId, bool requireApplication)
    {
        ServicePrincipal? sp;
        var now = rt.Time.GetUtcNow();
        lock (t.Sync)
        {
            sp = t.FindServicePrincipalByAppId(clientId);
        }

        var app = sp is null ? null : rt.Store.FindApplication(clientId, t);
        // A principal or application that has not replicated yet is unknown to the token service: AADSTS700016, as for
        // an app that does not exist (Entra's documented answer right after creating one).
        if (sp is not null && !rt.Replication.HasReplicated(sp.CreatedDateTime, sp.ReplicationShare, sp.ReplicationBoundMs, now))
        {
            sp = null;
        }

        if (app is not null && !rt.Replication.HasReplicated(app.CreatedDateTime, app.ReplicationShare, app.ReplicationBoundMs, now))
        {
            app = null;
        }

        if (sp is null || (requireApplication && app is null))
        {
            throw EntraError.AppNotFound(clientId, t.Domain);
        }

        if (!sp.AccountEnabled)
        {
            throw EntraError.AppDisabled(clientId, sp.DisplayName);
        }

        return (app, sp);
    }

    private static bool IsGraphDefault(string scope)
    {
        foreach (var resource in TokenIssuer.GraphAudiences)
        {
            if (scope.Equals(resource.TrimEnd('/') + "/.default", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Splits user-flow scopes into Graph scope values (canonical casing), a ".default" flag and OIDC scopes.</summary>
    public static (List<string> Graph, bool WantsDefault, List<string> Oidc) ParseUserScopes(IEnumerable<string> scopes)
    {
        var graph = new List<string>();
        var oidc = new List<string>();
        var wantsDefault = false;
        foreach (var raw in scopes)
        {
            if (GraphPermissionCatalog.OidcScopes.Contains(raw))
            {
                oidc.Add(raw.ToLowerInvariant());
                continue;
            }
            var value = raw;
            foreach (var resource in TokenIssuer.GraphAudiences)
            {
                var prefix = resource.TrimEnd('/') + "/";
                if (value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                {
                    value = value[prefix.Length..];
                }
            }
            if (value.Equals(".default", StringComparison.OrdinalIgnoreCase))
            {
                wantsDefault = true;
                continue;
            }
            var known = GraphPermissionCatalog.FindScope(value) ?? throw EntraError.InvalidScope(raw);
            if (!graph.Contains(known.Value))
            {
                graph.Add(known.Value);
            }
        }
        return (graph, wantsDefault, oidc);
    }
}
