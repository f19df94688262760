using System.Management.Automation;

namespace CasAdmin.Base;

/// <summary>
/// The base of the cmdlets for this machine's stored secrets, which ask the registry which account names each one:
/// <c>-StorePath</c> only. They take no tenant: an entry no account names has none.
/// </summary>
public abstract class CasStoredSecretCmdlet : CasCmdlet
{
    #region Parameters

    /// <summary>
    /// The registry that says which account names each stored secret. Default: the registry of the default connection
    /// when there is one, else the CASADMIN_STORE environment variable, else the per-user data folder.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorePath { get; set; }

    #endregion

    /// <summary>-StorePath, else the default connection's registry, else null (the default location).</summary>
    protected string? ResolveStorePath() => RegistryLocation.Resolve(this, StorePath, connection: null);
}
