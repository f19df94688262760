using System.Diagnostics.CodeAnalysis;
using System.Management.Automation;
using CasAdmin.Completers;
using CasAdmin.Engine.Connections;

namespace CasAdmin.Base;

/// <summary>
/// The base of every cmdlet that works on one recorded service account: <c>-AccountId</c> (mandatory, position 0)
/// and <c>-TenantId</c>, both bound by property name, so that the objects of Get-CasServiceAccount,
/// New-CasTeamsChatAccount, Test-CasServiceAccount, New-CasAccessToken and Get-CasNotification pipe straight in,
/// each item to the open connection of its own tenant.
/// </summary>
public abstract class CasAccountCmdlet : CasConnectedCmdlet
{
    #region Parameters

    /// <summary>
    /// The service account, by its AccountId (Get-CasServiceAccount lists them). Objects with an AccountId property
    /// bind to it from the pipeline.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(AccountIdCompleter))]
    public Guid AccountId { get; set; }

    /// <summary>
    /// The account's tenant (id or verified domain): selects the open connection to that tenant when -Connection is
    /// not given. Objects with a TenantId property bind to it from the pipeline. Default: the default connection.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TenantIdCompleter))]
    public string? TenantId { get; set; }

    #endregion

    /// <summary>The connection for the current account (see <see cref="CasConnectedCmdlet.TryResolveConnection"/>); false when its error has been written.</summary>
    protected bool TryResolveAccountConnection([NotNullWhen(true)] out CasConnection? connection) =>
        TryResolveConnection(TenantId, AccountId, out connection);

    /// <summary>The ShouldProcess target: the account and its tenant, in words.</summary>
    protected string AccountTarget(CasConnection connection) =>
        $"Service account {AccountId} of tenant {connection.TenantDomain ?? connection.TenantId}";
}
