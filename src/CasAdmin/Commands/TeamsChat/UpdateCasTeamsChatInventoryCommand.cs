using System.Management.Automation;
using System.Security;
using CasAdmin.Base;
using CasAdmin.Engine;
using CasAdmin.Engine.Provisioning;

namespace CasAdmin.Commands.TeamsChat;

/// <summary>
/// "Cloud App Security then updates the Teams Chat data": reads every user's chats through the account's own app and
/// records the counts in the registry, with progress and time left. An interrupted update resumes where it stopped.
/// </summary>
[Cmdlet(VerbsData.Update, "CasTeamsChatInventory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(TeamsChatInventoryResult))]
public sealed class UpdateCasTeamsChatInventoryCommand : CasAccountCmdlet
{
    #region Parameters

    /// <summary>The value of the app's client secret; needed only when the secret is not stored on this machine.</summary>
    [Parameter]
    [ValidateNotNull]
    public SecureString? ClientSecret { get; set; }

    /// <summary>How many users are read at once (1 to 64). Default: 8.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 8;

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        if (!TryResolveAccountConnection(out var connection)
            || !ShouldProcess(AccountTarget(connection), "Update the Teams Chat data (read every user's chats and record them in the registry)"))
        {
            return;
        }

        if (TryRun((observer, ct) => CasEngine.Shared.TeamsChat.UpdateInventoryAsync(connection, AccountId, ClientSecret, ThrottleLimit, observer, ct), AccountId, out var result))
        {
            WriteObject(result);
        }
    }

    #endregion
}
