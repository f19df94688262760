using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Deprovisioning;

namespace CasAdmin.Commands.Deprovisioning;

/// <summary>
/// Lists the remaining changes of removals: what stayed in the tenant because Microsoft Graph cannot remove it (or
/// a forced removal left it), each with where it is, why it stayed and the exact command or page that removes it.
/// Reads the registry only: no sign-in is needed.
/// </summary>
[Cmdlet(VerbsCommon.Get, "CasCleanupItem")]
[OutputType(typeof(CasCleanupItem))]
public sealed class GetCasCleanupItemCommand : CasRegistryCmdlet
{
    #region Parameters


    /// <summary>Only items left by the removal of this service's accounts. Objects with a Service property bind to it from the pipeline.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public CasService? Service { get; set; }

    /// <summary>Only items of this removal job. Removal jobs (Get-CasRemovalJob, Remove-CasServiceAccount) bind to it from the pipeline.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public Guid? JobId { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        var storePath = ResolveStorePath();
        if (TryResolveFilter(storePath, out var tenant))
        {
            var items = Run((_, ct) => CasEngine.Shared.Deprovisioning.GetCleanupItemsAsync(storePath, tenant.TenantId, Service, JobId, ct), (object?)JobId ?? TenantId);
            WriteObject(items, enumerateCollection: true);
        }
    }

    #endregion
}
