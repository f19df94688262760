using System.Globalization;
using CasAdmin.Sandbox.Control;
using CasAdmin.Sandbox.Hosting;
using CasAdmin.Sandbox.Identity;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// One Graph request, wire or $batch-inner: authenticate, premature-retry check, fault injection, throttling,
/// permission check, handler, stats. The order mirrors Graph: a throttled or faulted request never reaches the handler.
/// </summary>
internal sealed class GraphPipeline(SandboxRuntime rt)
{
    public async Task<GraphResponse> ExecuteAsync(GraphRequest req)
    {
        var arrival = rt.Time.GetTimestamp();
        var now = rt.Time.GetUtcNow();
        var (route, values, methodMismatch) = rt.Graph.Match(req.Method, req.Path);
        var endpoint = route?.Endpoint ?? $"{req.Method} (unmatched)";

        // 1. Token.
        var principal = Authenticate(req, now, out var authError);
        var tenant = principal is null ? null : rt.Store.Find(principal.TenantId);
        if (principal is null || tenant is null)
        {
            var r = GraphErrors.Create(req, 401, "InvalidAuthenticationToken", authError ?? "Access token validation failure. Invalid audience.", now);
            r.Headers["WWW-Authenticate"] = "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"";
            Record(req, arrival, endpoint, r.Status, null, null);
            return r;
        }
        var appId = principal.AppId;
        var tenantId = tenant.Id;

        if (route is null)
        {
            var segment = req.Path.Split('/', StringSplitOptions.RemoveEmptyEntries).Skip(1).FirstOrDefault() ?? "";
            var r = methodMismatch
                ? GraphErrors.Create(req, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.", now)
                : GraphErrors.Create(req, 400, "BadRequest", $"Resource not found for the segment '{segment}'.", now);
            Record(req, arrival, endpoint, r.Status, appId, tenantId);
            return r;
        }

        // 2. Premature retry: judged on arrival against the Retry-After times told to this (app, tenant); requests that were
        //    already in flight when the 429 was served (within the grace: 250 ms + latency + jitter) are not counted.
        //    A resend of the very request that was throttled (same client-request-id) before its time is premature
        //    whatever the timing, and counted on its own too.
        var resend = route.Cost.Family != BucketFamily.None && rt.Ledger.IsPrematureResend(appId, tenantId, req.ClientRequestId);
        var premature = resend || (route.Cost.Family != BucketFamily.None && rt.Ledger.IsPremature(appId, tenantId, RetryAfterLedger.Grace(rt.Faults.Latency)));

        // 3. Faults.
        var fault = rt.Faults.Match(req.Method, req.Path, appId, tenantId);
        var fate = ConnectionFate.Respond;
        if (fault is not null)
        {
            switch (fault.Kind)
            {
                case FaultKind.Reset:
                    Record(req, arrival, endpoint, 0, appId, tenantId, premature: premature, fault: true, resend: resend);
                    return new GraphResponse { Status = 0, Fate = ConnectionFate.AbortBeforeResponse };
                case FaultKind.Slow:
                    await Task.Delay(fault.DelayMs, req.Aborted).ConfigureAwait(false);
                    break;
                case FaultKind.AppliedButLost:
                    fate = ConnectionFate.AbortAfterExecute;
                    break;
                case FaultKind.Headers:
                    break; // the request runs; its answer gets the headers below
                default:
                    var (code, message) = GraphErrors.ForStatus(fault.Status);
                    var r = GraphErrors.Create(req, fault.Status, code, message, now);
                    if (fault.RetryAfterSeconds is { } ra)
                    {
                        AddRetryAfter(r, ra, appId, tenantId, req.ClientRequestId, now);
                    }

                    Override(r, fault);
                    Record(req, arrival, endpoint, r.Status, appId, tenantId, premature: premature, fault: true, resend: resend);
                    return r;
            }
        }

        // 4. Throttling (charged before the permission check: Graph counts denied requests too).
        var decision = rt.Throttler.Charge(appId, tenantId, tenant.ThrottlingSize, route.Cost, req.Query);
        if (!decision.Allowed)
        {
            var r = GraphErrors.Create(req, 429, "TooManyRequests", "Too many requests.", now);
            AddRetryAfter(r, decision.RetryAfterSeconds, appId, tenantId, req.ClientRequestId, now);
            if (route.Cost.ReportsQuota)
            {
                // learn.microsoft.com/graph/throttling-limits, identity and access, "Throttled responses requests": scope and
                // information. The page lists x-ms-resource-unit under regular responses only, so a 429 does not carry it.
                r.Headers["x-ms-throttle-scope"] = decision.Scope!;
                r.Headers["x-ms-throttle-information"] = decision.Information!;
            }
            Record(req, arrival, endpoint, 429, appId, tenantId, decision, premature, resend: resend);
            return r;
        }

        GraphResponse response;
        try
        {
            // 5. Permission.
            if (route.Permission is { } p && Denied(p, principal) is { } denied)
            {
                response = GraphErrors.Create(req, denied.Status, denied.Code, denied.Message, now);
            }
            else if (DirectoryRoleCheck.Denied(route, principal) is { } roleDenied)
            {
                // Delegated directory writes also need an active directory role in wids (app-only: the permission is enough).
                response = GraphErrors.Create(req, 403, "Authorization_RequestDenied", roleDenied, now);
            }
            else
            {
                // 6. Handler.
                response = await route.Handler(new GraphCall(req, tenant, principal, values, rt)).ConfigureAwait(false);
            }
        }
        catch (GraphException e)
        {
            response = GraphErrors.Create(req, e.Status, e.Code, e.Message, now);
        }
        if (route.Cost.ReportsQuota && decision.ResourceUnits > 0)
        {
            response.Headers["x-ms-resource-unit"] = decision.ResourceUnits.ToString(CultureInfo.InvariantCulture);
        }

        if (route.Cost.ReportsQuota && decision.LimitPercentage is { } pct)
        {
            response.Headers["x-ms-throttle-limit-percentage"] = Throttler.FormatPercentage(pct);
        }

        if (fault?.Kind == FaultKind.Headers)
        {
            Override(response, fault);
        }

        if (fate != ConnectionFate.Respond && response.Fate == ConnectionFate.Respond)
        {
            response.Fate = fate;
        }

        Record(req, arrival, endpoint, response.Fate == ConnectionFate.Respond ? response.Status : 0, appId, tenantId, decision, premature, fault is not null, response.DuplicateCreate, resend,
            handled: response.Status);
        return response;
    }

    private AccessTokenPrincipal? Authenticate(GraphRequest req, DateTimeOffset now, out string? error)
    {
        var header = req.Authorization;
        if (string.IsNullOrWhiteSpace(header) || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            error = "Access token is empty.";
            return null;
        }
        return rt.Tokens.Validate(header[7..].Trim(), now, out error);
    }

    private static (int Status, string Code, string Message)? Denied(GraphPermission p, AccessTokenPrincipal principal)
    {
        if (principal.IsApp)
        {
            if (p.DelegatedOnly)
            {
                return (400, "BadRequest", "/me request is only valid with delegated authentication flow.");
            }

            return p.AppRoles.Any(principal.Roles.Contains) ? null : (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
        }
        return p.Scopes.Any(principal.Scopes.Contains) ? null : (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    }

    /// <summary>A fault's headers, verbatim, over what the answer had: odd or hostile values a client must survive.</summary>
    private static void Override(GraphResponse response, FaultRule fault)
    {
        if (fault.Headers is null)
        {
            return;
        }

        foreach (var (name, value) in fault.Headers)
        {
            response.Headers[name] = value;
        }
    }

    /// <summary>Writes Retry-After in the configured mode and remembers the advertised time for premature-retry counting.</summary>
    private void AddRetryAfter(GraphResponse r, int seconds, string appId, string tenantId, string clientRequestId, DateTimeOffset now)
    {
        seconds = Math.Max(1, seconds);
        switch (rt.Throttler.Mode)
        {
            case RetryAfterMode.Absent:
                return;
            case RetryAfterMode.Date:
                // HTTP dates have whole-second resolution: round up so waiting until the date is always enough.
                var until = RetryAfterLedger.RetryAfterDate(now, seconds);
                r.Headers["Retry-After"] = until.ToString("r", CultureInfo.InvariantCulture);
                rt.Ledger.Advertise(appId, tenantId, clientRequestId, now, until);
                return;
            default:
                r.Headers["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture);
                rt.Ledger.Advertise(appId, tenantId, clientRequestId, now, now.AddSeconds(seconds));
                return;
        }
    }

    private void Record(GraphRequest req, long arrival, string endpoint, int status, string? appId, string? tenantId,
        ThrottleDecision? decision = null, bool premature = false, bool fault = false, bool duplicateCreate = false, bool resend = false, int? handled = null) =>
        rt.Stats.Record(new RequestRecord(arrival, req.Method, req.Path, endpoint, status, appId, tenantId,
            decision?.ResourceUnits ?? 0, decision?.Writes ?? 0, premature, false, fault, decision?.BucketLevel ?? 0, duplicateCreate, resend,
            req.ClientRequestId, handled, handled is null ? null : req.Body?.ToJsonString()));
}
