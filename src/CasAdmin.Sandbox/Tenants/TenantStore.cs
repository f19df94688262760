namespace CasAdmin.Sandbox.Tenants;

/// <summary>All tenants of the running sandbox, addressable by id or by domain (as Entra accepts either in the path).</summary>
internal sealed class TenantStore
{
    private readonly Dictionary<string, TenantState> _byKey = new(StringComparer.OrdinalIgnoreCase);

    public TenantStore(IReadOnlyList<TenantState> tenants)
    {
        Tenants = tenants;
        foreach (var t in tenants)
        {
            _byKey[t.Id] = t;
            _byKey[t.Domain] = t;
        }
    }

    public IReadOnlyList<TenantState> Tenants { get; }

    public TenantState? Find(string idOrDomain) => _byKey.GetValueOrDefault(idOrDomain);

    /// <summary>The application object (credentials live there) for an app id, searched in its home tenant first.</summary>
    public Application? FindApplication(string appId, TenantState preferred)
    {
        lock (preferred.Sync)
        {
            var local = preferred.FindApplicationByAppId(appId);
            if (local is not null)
            {
                return local;
            }
        }
        foreach (var t in Tenants)
        {
            if (ReferenceEquals(t, preferred))
            {
                continue;
            }

            lock (t.Sync)
            {
                var app = t.FindApplicationByAppId(appId);
                if (app is not null && app.SignInAudience != "AzureADMyOrg")
                {
                    return app;
                }
            }
        }
        return FirstPartyApps.Find(appId);
    }
}
