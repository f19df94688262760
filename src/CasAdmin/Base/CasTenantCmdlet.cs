using System.Diagnostics.CodeAnalysis;
using System.Management.Automation;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Tenancy;

namespace CasAdmin.Base;

/// <summary>
/// The base of every cmdlet that takes a tenant: <c>-TenantId</c> is declared here once, beside <c>-Connection</c>,
/// and both go to the engine's <see cref="TenantResolver"/> together with the account a command acts on, so that every
/// cmdlet picks its tenant, and refuses a conflict (TenantMismatch), the same way.
/// </summary>
public abstract class CasTenantCmdlet : CasConnectedCmdlet
{
    #region Parameters

    /// <summary>
    /// The tenant: its ID (a GUID) or a verified domain such as contoso.onmicrosoft.com. Objects with a TenantId property
    /// (accounts, removal jobs, cleanup items, notifications, connections, candidates) bind to it from the pipeline.
    /// Cmdlets that work in a tenant use the open connection to it when -Connection is not given; cmdlets that read the
    /// registry list only its records. It must be the tenant of -Connection, and of the account the cmdlet acts on.
    /// </summary>
    /// <remarks>
    /// Position 2: after a cmdlet's own subject (position 0, such as -AccountId) and its one value (position 1, such as
    /// Set-CasLicensingModel's model). PowerShell binds positions in their order, so where nothing comes before it, as
    /// for Get-CasServiceAccount, it is the first positional parameter.
    /// </remarks>
    [Parameter(Position = 2, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TenantIdCompleter))]
    public string? TenantId { get; set; }

    #endregion

    /// <summary>The engine's tenant resolution.</summary>
    protected static TenantResolver Tenants => CasEngine.Shared.Tenants;

    /// <summary>
    /// The tenant of this pipeline item (-TenantId, -Connection, the default connection) and its connection, with
    /// <paramref name="adminConnection"/> checked to be of the same tenant. A failure is written as the item's error;
    /// no tenant named and no default connection ends the cmdlet, since no item could succeed.
    /// </summary>
    /// <returns>False when the item's error has been written.</returns>
    protected bool TryResolveTenant(object? item, [NotNullWhen(true)] out TenantScope? scope, CasConnection? adminConnection = null)
    {
        try
        {
            scope = Tenants.Resolve(TenantId, Connection, adminConnection);
            return true;
        }
        catch (CasException ex) when (ex.ErrorId == ErrorIds.NotConnected && ex.Target is null)
        {
            ThrowCasError(ex, target: null);
            throw;
        }
        catch (CasException ex)
        {
            WriteCasError(ex, item);
            scope = null;
            return false;
        }
    }

    /// <summary>
    /// The account <paramref name="accountId"/> names (from the registry) and the connection to its own tenant: without
    /// -TenantId and -Connection, the account's tenant picks the open connection. An account the registry does not
    /// hold is ServiceAccountNotFound. Failures are the item's errors.
    /// </summary>
    /// <returns>False when the item's error has been written.</returns>
    protected bool TryResolveAccount(Guid accountId, [NotNullWhen(true)] out AccountScope? scope, CasConnection? adminConnection = null)
    {
        scope = null;
        return TryResolveTenant(accountId, out var named)
            && TryRun((_, ct) => Tenants.ResolveAccountAsync(named, accountId, adminConnection, ct), accountId, out scope);
    }

    /// <summary>
    /// The connection to the tenant of the account <paramref name="accountId"/> names, for an engine operation that
    /// reads the account itself: an account the registry does not hold is left to that operation to report, after it
    /// has checked its own input. Failures are the item's errors.
    /// </summary>
    /// <returns>False when the item's error has been written.</returns>
    protected bool TryResolveAccountTenant(Guid accountId, [NotNullWhen(true)] out TenantScope? scope)
    {
        scope = null;
        return TryResolveTenant(accountId, out var named)
            && TryRun((_, ct) => Tenants.ResolveAccountTenantAsync(named, accountId, null, ct), accountId, out scope);
    }

    /// <summary>The ShouldProcess text for a tenant.</summary>
    protected static string TenantTarget(CasConnection connection) => "Tenant " + TenantResolver.NameOf(connection);
}
