using System.Management.Automation;
using System.Security;
using CasAdmin.Base;
using CasAdmin.Engine;
using CasAdmin.Engine.Provisioning;

namespace CasAdmin.Commands.TeamsChat;

/// <summary>
/// Keeps Teams Chat protected: renews the account's chat-message subscriptions that expire soon (Graph keeps them at
/// most 4,320 minutes) and recreates those that expired or that Microsoft Graph removed. Idempotent, so it can run on a
/// schedule; pipe Get-CasServiceAccount -Service TeamsChat into it to cover every account.
/// </summary>
[Cmdlet(VerbsData.Update, "CasTeamsChatSubscription", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(CasTeamsChatSubscription))]
public sealed class UpdateCasTeamsChatSubscriptionCommand : CasAccountCmdlet
{
    #region Parameters

    /// <summary>The value of the app's client secret; needed only when the secret is not stored on this machine.</summary>
    [Parameter]
    [ValidateNotNull]
    public SecureString? ClientSecret { get; set; }

    /// <summary>Renews the subscriptions that expire within this time, a TimeSpan or a number of days. Default: 1 day.</summary>
    [Parameter]
    [TimeSpanOrDays]
    public TimeSpan? RenewWithin { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        if (!TryResolveAccountConnection(out var connection)
            || !ShouldProcess(AccountTarget(connection), "Renew the chat-message subscriptions that expire soon and recreate those that expired or were removed"))
        {
            return;
        }

        if (TryRun((observer, ct) => CasEngine.Shared.TeamsChat.RenewSubscriptionsAsync(connection, AccountId, ClientSecret, RenewWithin, observer, ct), AccountId, out var results))
        {
            WriteObject(results, enumerateCollection: true);
        }
    }

    #endregion
}
