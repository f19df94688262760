using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;

namespace CasAdmin.Engine.Tenancy;

/// <summary>
/// The tenant a command works in, as <see cref="TenantResolver"/> resolved it: only the resolver creates one, so a
/// scope in hand means its connections were checked against each other.
/// </summary>
public class TenantScope
{
    internal TenantScope(CasConnection connection, CasConnection? adminConnection, string? namedBy)
    {
        Connection = connection;
        AdminConnection = adminConnection;
        NamedBy = namedBy;
    }

    /// <summary>The connection to the tenant.</summary>
    public CasConnection Connection { get; }

    /// <summary>-AdminConnection, to the same tenant, when one was given.</summary>
    public CasConnection? AdminConnection { get; }

    /// <summary>True when -TenantId or -Connection named the tenant; false for the session default.</summary>
    public bool Named => NamedBy is not null;

    /// <summary>The parameter that named the tenant (-Connection or -TenantId), for messages; null for the session default.</summary>
    internal string? NamedBy { get; }
}

/// <summary>An account and the connection to its own tenant.</summary>
public sealed class AccountScope : TenantScope
{
    internal AccountScope(CasServiceAccount account, CasConnection connection, CasConnection? adminConnection)
        : base(connection, adminConnection, "the account") => Account = account;

    /// <summary>The account, as the registry records it.</summary>
    public CasServiceAccount Account { get; }
}

/// <summary>The tenant a registry reader lists: every tenant, one tenant's id, or a name no one knows (nothing matches).</summary>
public sealed class TenantFilter
{
    internal TenantFilter(string? name, string? tenantId, string? namedBy)
    {
        Name = name;
        TenantId = tenantId;
        NamedBy = namedBy;
    }

    /// <summary>No tenant named: every tenant.</summary>
    public static TenantFilter Any { get; } = new(null, null, null);

    /// <summary>The tenant as the command was given it (an id or a domain); null for every tenant.</summary>
    public string? Name { get; }

    /// <summary>The tenant's id, as the registry keys it; null for every tenant, or when the name is unknown.</summary>
    public string? TenantId { get; }

    /// <summary>A tenant was named that neither an open connection nor the registry knows: nothing of it is recorded.</summary>
    public bool IsUnknown => Name is not null && TenantId is null;

    /// <summary>The parameter that named the tenant (-Connection or -TenantId), for messages.</summary>
    internal string? NamedBy { get; }
}
