using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;

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

    /// <summary>Only accounts of this tenant: its id or verified domain. Objects with a TenantId property (connections) bind to it from the pipeline.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = FilterSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TenantIdCompleter))]
    public string? TenantId { get; set; }

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
        if (ParameterSetName == AccountIdSet)
        {
            foreach (var id in AccountId!)
            {
                if (TryRun((_, ct) => CasEngine.Shared.Accounts.GetAsync(storePath, id, ct), id, out var account))
                {
                    WriteObject(account);
                }
            }

            return;
        }

        // The registry filters one service and tenant ids; several services and tenant domains are matched here.
        var tenantId = TenantId is null ? null : TenantIdOf(TenantId);
        var service = Service is { Length: 1 } ? Service[0] : (CasService?)null;
        var accounts = Run((_, ct) => CasEngine.Shared.Accounts.GetAsync(storePath, tenantId, service, Status, IncludeRemoved, ct), TenantId);
        var services = Service?.ToHashSet();
        WriteObject(
            accounts.Where(a => (services is null || services.Contains(a.Service)) && IsOfTenant(a)),
            enumerateCollection: true);
    }

    #endregion

    private bool IsOfTenant(CasServiceAccount account) =>
        TenantId is null
        || string.Equals(account.TenantId, TenantId, StringComparison.OrdinalIgnoreCase)
        || string.Equals(account.TenantDomain, TenantId, StringComparison.OrdinalIgnoreCase)
        || string.Equals(account.TenantId, TenantIdOf(TenantId), StringComparison.OrdinalIgnoreCase);
}
