using System.Diagnostics.CodeAnalysis;
using System.Management.Automation;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Base;

/// <summary>
/// The base of every cmdlet that works in a tenant: a <c>-Connection</c> parameter in every parameter set,
/// defaulting to the session's default connection (the first <c>Connect-CasTenant</c> of the session; none once it is closed).
/// </summary>
public abstract class CasConnectedCmdlet : CasCmdlet
{
    #region Parameters

    /// <summary>
    /// The connection to work with, from Connect-CasTenant or Get-CasConnection. Default: the session's default
    /// connection (the first Connect-CasTenant of the session; none once it is closed).
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public CasConnection? Connection { get; set; }

    #endregion

    /// <summary>The connection named by -Connection, else the session default; none open terminates with NotConnected.</summary>
    protected CasConnection ResolveConnection()
    {
        if (Connection is not null)
        {
            return Connection;
        }

        try
        {
            return CasEngine.Shared.Connections.Resolve();
        }
        catch (CasException ex)
        {
            ThrowCasError(ex, target: null);
            throw;
        }
    }

    /// <summary>
    /// The connection for one pipeline item that names its tenant (a TenantId property or -TenantId): -Connection
    /// when given (it must be to that tenant), else the open connection to the tenant, else — when the item names
    /// no tenant — the session default. A missing or mismatched connection is a per-item error (written here);
    /// no default connection at all ends the cmdlet.
    /// </summary>
    /// <returns>False when the item's error has been written.</returns>
    protected bool TryResolveConnection(string? tenant, object? item, [NotNullWhen(true)] out CasConnection? connection)
    {
        if (Connection is not null)
        {
            if (string.IsNullOrWhiteSpace(tenant) || ConnectionManager.Matches(Connection, tenant))
            {
                connection = Connection;
                return true;
            }

            WriteCasError(
                new CasException(ErrorIds.InvalidArgument, CasErrorCategory.InvalidArgument,
                    $"{item ?? tenant} belongs to tenant {tenant}, but -Connection is to tenant {Connection.TenantDomain ?? Connection.TenantId}.",
                    "Leave -Connection out to use the open connection to the item's tenant, or pass that tenant's connection.", tenant),
                item);
            connection = null;
            return false;
        }

        if (string.IsNullOrWhiteSpace(tenant))
        {
            connection = ResolveConnection();
            return true;
        }

        if (CasEngine.Shared.Connections.TryResolve(tenant, out connection) && connection is not null)
        {
            return true;
        }

        WriteCasError(ConnectionManager.NotConnected(tenant), item);
        connection = null;
        return false;
    }
}
