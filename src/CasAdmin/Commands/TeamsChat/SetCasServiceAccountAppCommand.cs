using System.Management.Automation;
using System.Security;
using CasAdmin.Base;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;

namespace CasAdmin.Commands.TeamsChat;

/// <summary>
/// "Change App", and "Protect with Your Own App" for a Teams Chat account provisioned the old way: moves the
/// account to another app of the tenant, validated like provisioning (token, administrator, admin consent,
/// licensing model); the Teams Chat data is kept.
/// </summary>
[Cmdlet(VerbsCommon.Set, "CasServiceAccountApp", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CasServiceAccount))]
public sealed class SetCasServiceAccountAppCommand : CasAccountCmdlet
{
    #region Parameters

    /// <summary>The application (client) id of the app to protect Teams Chat with. New-CasTeamsChatApp's output binds to it.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(AppIdCompleter))]
    public string? AppId { get; set; }

    /// <summary>The value of that app's client secret. The Secret property of New-CasTeamsChatApp's output binds to it.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Secret")]
    [ValidateNotNull]
    public SecureString? ClientSecret { get; set; }

    /// <summary>The licensing model to use from now on. Default: the account's current model (Evaluation for a legacy account).</summary>
    [Parameter]
    public LicensingModel? LicensingModel { get; set; }

    /// <summary>Grants the app's admin consent through the admin connection when the token shows it missing.</summary>
    [Parameter]
    public SwitchParameter GrantAdminConsent { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        if (!TryResolveAccountConnection(out var connection)
            || !ShouldProcess(AccountTarget(connection), $"Protect Teams Chat with app {AppId}{(LicensingModel is { } m ? $" under licensing model {m}" : string.Empty)}"))
        {
            return;
        }

        if (TryRun(
                (observer, ct) => CasEngine.Shared.TeamsChat.ChangeAppAsync(connection, AccountId, AppId!, ClientSecret!, LicensingModel, GrantAdminConsent, observer, ct),
                AccountId,
                out var account))
        {
            WriteObject(account);
        }
    }

    #endregion
}
