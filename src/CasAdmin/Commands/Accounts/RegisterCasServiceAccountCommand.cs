using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;

namespace CasAdmin.Commands.Accounts;

/// <summary>
/// Records a service account provisioned elsewhere (in the product's console, or by another machine) in the
/// registry, so it can be tested and removed here. The parameters bind by property name from
/// Find-CasServiceAccount's candidates. Writes the registry only: nothing changes in the tenant.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "CasServiceAccount", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CasServiceAccount))]
public sealed class RegisterCasServiceAccountCommand : CasTenantCmdlet
{
    #region Parameters

    /// <summary>The service of the account: ExchangeOnline, ExchangeOnlineInline, SharePointOnline, OneDrive, Teams or TeamsChat.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public CasService Service { get; set; }

    /// <summary>How the account reaches its service: AuthorizedAccount (an app; the default) or DelegateAccount (a Microsoft 365 user).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public ServiceAccountKind Kind { get; set; } = ServiceAccountKind.AuthorizedAccount;

    /// <summary>The App Id (application id) behind an authorized account; needed for one.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(AppIdCompleter))]
    public string? AppId { get; set; }

    /// <summary>The user principal name of a delegate account (user@domain); needed for one.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? DelegateAccount { get; set; }

    /// <summary>A display name for the account (the app's or the user's name).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? DisplayName { get; set; }

    /// <summary>A Teams Chat account provisioned the old way, without the tenant's own app (it runs in Evaluation Mode).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter IsLegacy { get; set; }

    /// <summary>Teams Chat: the licensing model the account runs under (A, B or Evaluation). Default: Evaluation for a legacy account, else unset.</summary>
    [Parameter]
    public LicensingModel? LicensingModel { get; set; }


    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        // Candidates carry null for what they lack (a delegate account has no App Id): bound, but not meant.
        var appId = NullIfEmpty(AppId);
        var delegateAccount = NullIfEmpty(DelegateAccount);
        var what = appId ?? delegateAccount ?? Service.ToString();
        if (!TryResolveTenant(what, out var tenant))
        {
            return;
        }

        var connection = tenant.Connection;

        var request = new RegisterAccountRequest
        {
            Service = Service,
            Kind = Kind,
            AppId = appId,
            DelegateAccount = delegateAccount,
            DisplayName = NullIfEmpty(DisplayName),
            IsLegacy = IsLegacy,
            LicensingModel = LicensingModel,
        };
        var kind = Kind == ServiceAccountKind.DelegateAccount ? $"delegate account {delegateAccount}" : $"authorized account of app {appId}";
        if (!ShouldProcess(TenantTarget(connection),
                $"Record the {(IsLegacy ? "legacy " : string.Empty)}{Service} {kind} in the registry (nothing changes in the tenant)"))
        {
            return;
        }

        if (TryRun((observer, ct) => CasEngine.Shared.Accounts.RegisterAsync(connection, request, observer, ct), what, out var account))
        {
            WriteObject(account);
        }
    }

    #endregion

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
