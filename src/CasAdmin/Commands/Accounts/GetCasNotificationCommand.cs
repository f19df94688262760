using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;

namespace CasAdmin.Commands.Accounts;

/// <summary>
/// Lists the notifications CasAdmin raised, like the console's ring icon ("Teams Chat protected."), for a tenant
/// or an account. Reads the registry only: no sign-in is needed.
/// </summary>
[Cmdlet(VerbsCommon.Get, "CasNotification")]
[OutputType(typeof(CasNotification))]
public sealed class GetCasNotificationCommand : CasRegistryCmdlet
{
    #region Parameters


    /// <summary>Only notifications of this service account. Objects with an AccountId property bind to it from the pipeline.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(AccountIdCompleter))]
    public Guid? AccountId { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        var storePath = ResolveStorePath();
        if (TryResolveFilter(storePath, out var tenant))
        {
            var notifications = Run((_, ct) => CasEngine.Shared.Accounts.GetNotificationsAsync(storePath, tenant.TenantId, AccountId, ct), (object?)AccountId ?? TenantId);
            WriteObject(notifications, enumerateCollection: true);
        }
    }

    #endregion
}
