using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Graph;
using CasAdmin.Sandbox;

namespace CasAdmin.Engine.Tests.Deprovisioning;

/// <summary>Registers a tenant's seeded footprints and asks Graph what is left of them.</summary>
internal static class Footprint
{
    public static async Task<IReadOnlyList<CasServiceAccount>> RegisterAllAsync(EngineHarness h, CasConnection connection)
    {
        var registered = new List<CasServiceAccount>();
        foreach (var c in await h.Engine.Accounts.FindAsync(connection, null, h.Observer, CancellationToken.None))
        {
            if (c.Service is { } service && !c.Registered)
            {
                registered.Add(await h.Engine.Accounts.RegisterAsync(connection, new RegisterAccountRequest
                {
                    Service = service, Kind = c.Kind, AppId = c.AppId, DelegateAccount = c.DelegateAccount, DisplayName = c.DisplayName, IsLegacy = c.IsLegacy,
                }, h.Observer, CancellationToken.None));
            }
        }

        return registered;
    }

    public static async Task<IReadOnlyList<RemovalResult>> RemoveAsync(EngineHarness h, IEnumerable<CasServiceAccount> accounts, CasConnection connection, RemovalOptions? options = null,
        CasConnection? admin = null, bool confirmed = true, CancellationToken ct = default) =>
        await h.Engine.Deprovisioning.RemoveAsync(await TargetsAsync(h.Engine, accounts, _ => connection, admin, confirmed), options ?? new RemovalOptions(), h.Observer, ct);

    /// <summary>Targets as a cmdlet builds them: each account resolved through the engine's tenant resolver.</summary>
    public static async Task<RemovalTarget[]> TargetsAsync(CasEngine engine, IEnumerable<CasServiceAccount> accounts, Func<CasServiceAccount, CasConnection> connection,
        CasConnection? admin = null, bool confirmed = true)
    {
        var targets = new List<RemovalTarget>();
        foreach (var a in accounts)
        {
            targets.Add(await RemovalTarget.ResolveAsync(engine.Tenants, connection(a), a.AccountId, admin, confirmed));
        }

        return [.. targets];
    }

    public static async Task<bool> PrincipalExistsAsync(CasConnection admin, string appId) =>
        await new DirectoryClient(admin.Context.Graph, admin.Permissions).FindServicePrincipalAsync(appId, CancellationToken.None) is not null;

    public static async Task<bool> UserExistsAsync(CasConnection admin, string upn) =>
        await new DirectoryClient(admin.Context.Graph, admin.Permissions).FindUserAsync(upn, CancellationToken.None) is not null;

    public static async Task<int> GroupsAsync(CasConnection admin)
    {
        var directory = new DirectoryClient(admin.Context.Graph, admin.Permissions);
        var n = 0;
        foreach (var name in Engine.Domain.Footprints.InlineGroups)
        {
            n += (await directory.FindGroupsAsync(name, CancellationToken.None)).Count;
        }

        return n;
    }

    /// <summary>
    /// The objects the sandbox saw deleted or written again as a new request: a step that ran twice, or two jobs doing
    /// the same work (the TMCAS Inline groups are one pair per tenant, shared by its Inline accounts). Must be empty.
    /// </summary>
    public static IReadOnlyList<string> Repeats(SandboxStats stats) =>
        stats.Repeated.Select(r => $"{r.Method} {r.Path} x{r.Repeats}").ToList();

    public static SandboxFootprintInfo Seeded(SandboxTenantInfo tenant, CasService service) =>
        tenant.Footprints.First(f => f.Service == service.ToString());
}
