using System.Management.Automation;
using System.Security;
using CasAdmin.Base;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;

namespace CasAdmin.Commands.Accounts;

/// <summary>
/// Checks a service account's health: the secret's expiry, an access token, admin consent, the app's service
/// principal, the licensing model's prerequisites and the evaluation quota. Writes one finding per check, each
/// with a recommended action. Changes nothing.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "CasServiceAccount")]
[OutputType(typeof(CasHealthFinding))]
public sealed class TestCasServiceAccountCommand : CasAccountCmdlet
{
    #region Parameters

    /// <summary>The value of the app's client secret, to test the token when the secret is not stored on this machine.</summary>
    [Parameter]
    [ValidateNotNull]
    public SecureString? ClientSecret { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        if (TryResolveAccountConnection(out var connection)
            && TryRun((observer, ct) => CasEngine.Shared.Accounts.TestAsync(connection, AccountId, ClientSecret, observer, ct), AccountId, out var findings))
        {
            WriteObject(findings, enumerateCollection: true);
        }
    }

    #endregion
}
