using System.Management.Automation;
using System.Security;
using CasAdmin.Base;
using CasAdmin.Engine;
using CasAdmin.Engine.Provisioning;

namespace CasAdmin.Commands.TeamsChat;

/// <summary>
/// "Create a new access token" for a Teams Chat service account: signs in with the app's secret, checks that the
/// token carries the five Teams Chat permissions, and records the token's state. Returns the token's metadata,
/// and the token itself only with -IncludeToken.
/// </summary>
[Cmdlet(VerbsCommon.New, "CasAccessToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(CasAccessTokenInfo))]
public sealed class NewCasAccessTokenCommand : CasAccountCmdlet
{
    #region Parameters

    /// <summary>The value of the app's client secret; needed only when the secret is not stored on this machine.</summary>
    [Parameter]
    [ValidateNotNull]
    public SecureString? ClientSecret { get; set; }

    /// <summary>Returns the access token itself (as a SecureString in the Token property). Default: metadata only.</summary>
    [Parameter]
    public SwitchParameter IncludeToken { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        if (!TryResolveAccountConnection(out var connection)
            || !ShouldProcess(AccountTarget(connection), "Obtain a new access token and record its state"))
        {
            return;
        }

        if (TryRun((observer, ct) => CasEngine.Shared.TeamsChat.NewAccessTokenAsync(connection, AccountId, ClientSecret, IncludeToken, observer, ct), AccountId, out var token))
        {
            WriteObject(token);
        }
    }

    #endregion
}
