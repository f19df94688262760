using System.Diagnostics.CodeAnalysis;
using System.Management.Automation;
using CasAdmin.Completers;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Tenancy;

namespace CasAdmin.Base;

/// <summary>
/// The base of every cmdlet that works on one recorded service account: <c>-AccountId</c> (mandatory, position 0),
/// bound by property name like the inherited <c>-TenantId</c>, so that the objects of Get-CasServiceAccount,
/// New-CasTeamsChatAccount, Test-CasServiceAccount, New-CasAccessToken and Get-CasNotification pipe straight in,
/// each item to the open connection of its own tenant.
/// </summary>
public abstract class CasAccountCmdlet : CasTenantCmdlet
{
    #region Parameters

    /// <summary>
    /// The service account, by its AccountId (Get-CasServiceAccount lists them). Objects with an AccountId property
    /// bind to it from the pipeline.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(AccountIdCompleter))]
    public Guid AccountId { get; set; }

    #endregion

    /// <summary>The connection to the current account's own tenant (see <see cref="TenantResolver.ResolveAccountTenantAsync"/>); false when its error has been written.</summary>
    protected bool TryResolveAccountConnection([NotNullWhen(true)] out CasConnection? connection)
    {
        connection = TryResolveAccountTenant(AccountId, out var scope) ? scope.Connection : null;
        return connection is not null;
    }

    /// <summary>The ShouldProcess target: the account and its tenant, in words.</summary>
    protected string AccountTarget(CasConnection connection) =>
        $"Service account {AccountId} of tenant {TenantResolver.NameOf(connection)}";
}
