namespace CasAdmin.Engine.Store;

/// <summary>The tenants the registry has recorded (their id and default verified domain), looked up by domain.</summary>
internal sealed class KnownTenantRepository(RegistryStore store)
{
    /// <summary>The id of the tenant whose recorded domain is <paramref name="domain"/> (case-insensitive); null when none is.</summary>
    public Task<string?> FindIdByDomainAsync(string domain, CancellationToken cancellationToken) =>
        store.ReadAsync(async (c, ct) =>
            (string?)await c.ScalarAsync(null, "SELECT tenant_id FROM tenants WHERE lower(domain) = lower($domain) ORDER BY last_seen DESC LIMIT 1", ct,
                ("$domain", domain)).ConfigureAwait(false),
            cancellationToken);
}
