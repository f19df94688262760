using System.Management.Automation;
using System.Security;
using CasAdmin.Base;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;

namespace CasAdmin.Commands.TeamsChat;

/// <summary>
/// Changes the Microsoft licensing model of a Teams Chat service account ("Configuring Microsoft Licensing Model
/// Settings for Teams Chat"): checks the new model's prerequisites, moves the chat-message subscriptions to it
/// without a gap, and records it.
/// </summary>
[Cmdlet(VerbsCommon.Set, "CasLicensingModel", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CasServiceAccount))]
public sealed class SetCasLicensingModelCommand : CasAccountCmdlet
{
    #region Parameters

    /// <summary>The new licensing model: A, B or Evaluation.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public LicensingModel LicensingModel { get; set; }

    /// <summary>The value of the app's client secret; needed only when the secret is not stored on this machine.</summary>
    [Parameter]
    [ValidateNotNull]
    public SecureString? ClientSecret { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        if (!TryResolveAccountConnection(out var connection)
            || !ShouldProcess(AccountTarget(connection), $"Change the licensing model to {LicensingModel}"))
        {
            return;
        }

        if (TryRun((observer, ct) => CasEngine.Shared.TeamsChat.SetLicensingModelAsync(connection, AccountId, LicensingModel, ClientSecret, observer, ct), AccountId, out var account))
        {
            WriteObject(account);
        }
    }

    #endregion
}
