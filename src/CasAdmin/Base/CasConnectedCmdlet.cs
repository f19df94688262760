using System.Management.Automation;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Base;

/// <summary>
/// The base of every cmdlet that works with a connection: a <c>-Connection</c> parameter in every parameter set,
/// defaulting to the session's default connection (the first <c>Connect-CasTenant</c> of the session; none once it is
/// closed). Cmdlets that also take -TenantId derive from <see cref="CasTenantCmdlet"/>.
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
}
