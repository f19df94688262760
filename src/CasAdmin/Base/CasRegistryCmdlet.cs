using System.Management.Automation;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Store;

namespace CasAdmin.Base;

/// <summary>
/// The base of cmdlets that only read the registry and need no sign-in: a <c>-StorePath</c> parameter, defaulting
/// to the default connection's registry when connected, else the default location (CASADMIN_STORE or the
/// per-user data folder).
/// </summary>
public abstract class CasRegistryCmdlet : CasCmdlet
{
    #region Parameters

    /// <summary>
    /// The registry file to read. Default: the registry of the default connection when there is one, else the
    /// CASADMIN_STORE environment variable, else the per-user data folder.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorePath { get; set; }

    #endregion

    /// <summary>-StorePath (relative to the PowerShell location), else the default connection's, else null (the default location).</summary>
    protected string? ResolveStorePath() =>
        StorePath is not null
            ? StoreLocator.IsConnectionString(StorePath) ? StorePath : SessionState.Path.GetUnresolvedProviderPathFromPSPath(StorePath)
            : CasEngine.Shared.Connections.TryResolve(null, out var connection) ? connection?.StorePath : null;

    /// <summary>
    /// A tenant name as the registry keys it: a GUID as is, a domain through the open connections; null when the
    /// domain is not connected (the caller then matches on the accounts' TenantDomain).
    /// </summary>
    protected static string? TenantIdOf(string tenant)
    {
        if (Guid.TryParse(tenant, out _))
        {
            return tenant;
        }

        return CasEngine.Shared.Connections.GetConnections().FirstOrDefault(c => ConnectionManager.Matches(c, tenant))?.TenantId;
    }
}
