using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Deprovisioning;

namespace CasAdmin.Commands.Deprovisioning;

/// <summary>
/// Lists removal jobs from the registry ("Details" of a removal in the console): every step with its status, the
/// estimated time left and the outcome, filtered by job, account, tenant and status. Reads the registry only: no
/// sign-in is needed.
/// </summary>
[Cmdlet(VerbsCommon.Get, "CasRemovalJob")]
[OutputType(typeof(CasRemovalJob))]
public sealed class GetCasRemovalJobCommand : CasRegistryCmdlet
{
    #region Parameters

    /// <summary>Only the job with this id. Objects with a JobId property (removal steps, cleanup items) bind to it from the pipeline.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public Guid? JobId { get; set; }

    /// <summary>Only the jobs of this service account. Objects with an AccountId property bind to it from the pipeline.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(AccountIdCompleter))]
    public Guid? AccountId { get; set; }


    /// <summary>Only jobs in this status: Pending, Running, Succeeded, Failed or Forced.</summary>
    [Parameter]
    public RemovalJobStatus? Status { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        var storePath = ResolveStorePath();
        if (TryResolveFilter(storePath, out var tenant))
        {
            var jobs = Run((_, ct) => CasEngine.Shared.Deprovisioning.GetJobsAsync(storePath, JobId, AccountId, tenant.TenantId, Status, ct), (object?)JobId ?? (object?)AccountId ?? TenantId);
            WriteObject(jobs, enumerateCollection: true);
        }
    }

    #endregion
}
