using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CasAdmin.Sandbox.Hosting;
using CasAdmin.Sandbox.Identity;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>Permissions that allow a route: any one of the app roles (app-only tokens) or of the scopes (delegated tokens).</summary>
internal sealed record GraphPermission(IReadOnlyList<string> AppRoles, IReadOnlyList<string> Scopes, bool DelegatedOnly = false);

/// <summary>Everything a handler needs about one authorized call.</summary>
internal sealed class GraphCall(GraphRequest request, TenantState tenant, AccessTokenPrincipal principal, IReadOnlyDictionary<string, string> values, SandboxRuntime runtime)
{
    public GraphRequest Request { get; } = request;
    public TenantState Tenant { get; } = tenant;
    public AccessTokenPrincipal Principal { get; } = principal;
    public IReadOnlyDictionary<string, string> Values { get; } = values;
    public SandboxRuntime Runtime { get; } = runtime;

    public static GraphResponse Ok(JsonNode body) => GraphResponse.Json(200, body);
}

internal delegate Task<GraphResponse> GraphHandler(GraphCall call);

internal sealed record GraphRoute(string Method, string Template, Regex Pattern, RequestCost Cost, GraphPermission? Permission, GraphHandler Handler)
{
    /// <summary>Stats key, e.g. "GET /v1.0/users/{id}".</summary>
    public string Endpoint => $"{Method} /v1.0{Template}";
}

/// <summary>
/// The Graph route table. Our own router (not ASP.NET routing) so that $batch can run inner requests through exactly
/// the same pipeline. Each resource family registers its routes, costs and permissions in its own file.
/// </summary>
internal sealed class GraphRouter
{
    private static readonly Regex GraphAlias = new("/graph\\.", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    private readonly List<GraphRoute> _routes = [];

    public static GraphRouter CreateDefault()
    {
        var r = new GraphRouter();
        OrganizationEndpoints.Map(r);
        UserEndpoints.Map(r);
        MeEndpoints.Map(r);
        ApplicationEndpoints.Map(r);
        ServicePrincipalEndpoints.Map(r);
        ApplicationWriteEndpoints.Map(r);
        ServicePrincipalWriteEndpoints.Map(r);
        ConsentEndpoints.Map(r);
        DeletedItemsEndpoints.Map(r);
        PolicyEndpoints.Map(r);
        SubscribedSkuEndpoints.Map(r);
        RoleEligibilityEndpoints.Map(r);
        ChatEndpoints.Map(r);
        SubscriptionEndpoints.Map(r);
        UserWriteEndpoints.Map(r);
        GroupEndpoints.Map(r);
        RoleAssignmentEndpoints.Map(r);
        BatchEndpoint.Map(r);
        return r;
    }

    /// <summary>Template relative to /v1.0, e.g. "/users/{id}"; earlier registrations win, so register literals first.</summary>
    public void Map(string method, string template, RequestCost cost, GraphPermission? permission, GraphHandler handler)
    {
        var pattern = "^/v1\\.0" + Regex.Replace(Regex.Escape(template), @"\\\{(\w+)}", "(?<$1>[^/]+)") + "/?$";
        _routes.Add(new GraphRoute(method, template, new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant), cost, permission, handler));
    }

    public void MapGet(string template, RequestCost cost, GraphPermission? permission, Func<GraphCall, GraphResponse> handler) =>
        Map("GET", template, cost, permission, call => Task.FromResult(handler(call)));

    /// <summary>The route for a request; MethodMismatch when the path exists with another method.</summary>
    public (GraphRoute? Route, Dictionary<string, string> Values, bool MethodMismatch) Match(string method, string path)
    {
        var mismatch = false;
        // Graph accepts the "graph." alias for "microsoft.graph." casts, and the v5 SDK sends it.
        path = GraphAlias.Replace(path, "/microsoft.graph.");
        foreach (var route in _routes)
        {
            var m = route.Pattern.Match(path);
            if (!m.Success)
            {
                continue;
            }

            if (!route.Method.Equals(method, StringComparison.OrdinalIgnoreCase))
            {
                mismatch = true;
                continue;
            }
            var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var name in route.Pattern.GetGroupNames())
            {
                if (!int.TryParse(name, out _))
                {
                    values[name] = m.Groups[name].Value;
                }
            }
            return (route, values, false);
        }
        return (null, [], mismatch);
    }
}
