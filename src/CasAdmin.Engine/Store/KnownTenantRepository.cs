using CasAdmin.Engine.Connections;

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

/// <summary>
/// A tenant as the registry records it when a change is made there: a domain or display name not known (null) keeps
/// the one recorded before.
/// </summary>
internal sealed record KnownTenant(string TenantId, string? Domain, string? DisplayName, string Cloud)
{
    /// <summary>The tenant a connection is to, as the connection knows it.</summary>
    public static KnownTenant Of(CasConnection connection) =>
        new(connection.TenantId, connection.TenantDomain, connection.TenantDisplayName, connection.Environment.ToString());
}
