using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Tenancy;

namespace CasAdmin.Commands.Accounts;

/// <summary>
/// Lists the service accounts recorded in the registry ("Administration > Service Account"), filtered by tenant,
/// service and status, or gets accounts by id. Reads the registry only: no sign-in is needed.
/// </summary>
[Cmdlet(VerbsCommon.Get, "CasServiceAccount", DefaultParameterSetName = FilterSet)]
[OutputType(typeof(CasServiceAccount))]
public sealed class GetCasServiceAccountCommand : CasRegistryCmdlet
{
    private const string FilterSet = "Filter";
    private const string AccountIdSet = "AccountId";

    #region Parameters


    /// <summary>Only accounts of these services (ExchangeOnline, ExchangeOnlineInline, SharePointOnline, OneDrive, Teams, TeamsChat).</summary>
    [Parameter(ParameterSetName = FilterSet)]
    [ValidateNotNullOrEmpty]
    public CasService[]? Service { get; set; }

    /// <summary>Only accounts in this status. -Status Removed lists removed accounts.</summary>
    [Parameter(ParameterSetName = FilterSet)]
    public ServiceAccountStatus? Status { get; set; }

    /// <summary>Also lists removed accounts.</summary>
    [Parameter(ParameterSetName = FilterSet)]
    public SwitchParameter IncludeRemoved { get; set; }

    /// <summary>The accounts with these ids. Objects with an AccountId property bind to it from the pipeline.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = AccountIdSet)]
    [ArgumentCompleter(typeof(AccountIdCompleter))]
    public Guid[]? AccountId { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        var storePath = ResolveStorePath();
        if (!TryResolveFilter(storePath, out var tenant))
        {
            return;
        }

        if (ParameterSetName == AccountIdSet)
        {
            foreach (var id in AccountId!)
            {
                if (TryRun(
                        async (_, ct) =>
                        {
                            var found = await CasEngine.Shared.Accounts.GetAsync(storePath, id, ct).ConfigureAwait(false);
                            TenantResolver.RequireAccountOf(tenant, found);
                            return found;
                        },
                        id,
                        out var account))
                {
                    WriteObject(account);
                }
            }

            return;
        }

        // The registry filters one service; several are matched here.
        var service = Service is { Length: 1 } ? Service[0] : (CasService?)null;
        var accounts = Run((_, ct) => CasEngine.Shared.Accounts.GetAsync(storePath, tenant.TenantId, service, Status, IncludeRemoved, ct), TenantId);
        var services = Service?.ToHashSet();
        WriteObject(accounts.Where(a => services is null || services.Contains(a.Service)), enumerateCollection: true);
    }

    #endregion
}
