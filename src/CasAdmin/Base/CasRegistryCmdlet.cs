using System.Diagnostics.CodeAnalysis;
using System.Management.Automation;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Store;
using CasAdmin.Engine.Tenancy;

namespace CasAdmin.Base;

/// <summary>
/// The base of the cmdlets that read a tenant's records from the registry and need no sign-in: <c>-StorePath</c>,
/// and the inherited <c>-TenantId</c> and <c>-Connection</c> as the tenant to list (every tenant without them).
/// </summary>
public abstract class CasRegistryCmdlet : CasTenantCmdlet
{
    #region Parameters

    /// <summary>
    /// The registry file to read. Default: the registry of -Connection, else of the default connection when there is
    /// one, else the CASADMIN_STORE environment variable, else the per-user data folder.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorePath { get; set; }

    #endregion

    /// <summary>-StorePath, else -Connection's registry, else the default connection's, else null (the default location).</summary>
    protected string? ResolveStorePath() => RegistryLocation.Resolve(this, StorePath, Connection);

    /// <summary>
    /// The tenant this pipeline item lists (see <see cref="TenantResolver.ResolveFilterAsync"/>); a tenant no one
    /// knows is said in a verbose line and lists nothing.
    /// </summary>
    /// <returns>False when nothing is to be listed for this item (its error, if any, has been written).</returns>
    protected bool TryResolveFilter(string? storePath, [NotNullWhen(true)] out TenantFilter? filter)
    {
        if (!TryRun((_, ct) => Tenants.ResolveFilterAsync(storePath, TenantId, Connection, ct), TenantId, out filter))
        {
            return false;
        }

        if (filter.IsUnknown)
        {
            WriteVerbose($"Neither an open connection nor the registry knows tenant {filter.Name}: nothing of it is recorded.");
            return false;
        }

        return true;
    }
}

/// <summary>Where a registry reader reads: one rule for -StorePath and the connection's registry.</summary>
internal static class RegistryLocation
{
    /// <summary>
    /// <paramref name="storePath"/> (relative to the PowerShell location; a connection string as is), else the
    /// registry of <paramref name="connection"/>, else of the default connection, else null (the default location).
    /// </summary>
    public static string? Resolve(PSCmdlet cmdlet, string? storePath, CasConnection? connection) =>
        storePath is not null
            ? StoreLocator.IsConnectionString(storePath) ? storePath : cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(storePath)
            : connection is not null ? connection.StorePath
            : CasEngine.Shared.Connections.TryResolve(null, out var fallback) ? fallback.StorePath : null;
}
