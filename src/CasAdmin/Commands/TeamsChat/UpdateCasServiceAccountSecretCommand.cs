using System.Globalization;
using System.Management.Automation;
using System.Security;
using CasAdmin.Base;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;

namespace CasAdmin.Commands.TeamsChat;

/// <summary>
/// "Update Secret": records a new client secret for a Teams Chat service account — a value you created (proved by
/// an access token before anything is recorded), or with -Rotate a new secret that CasAdmin adds to the app,
/// proves, records, and then the old one is removed from the app.
/// </summary>
[Cmdlet(VerbsData.Update, "CasServiceAccountSecret", DefaultParameterSetName = ValueSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CasServiceAccount))]
public sealed class UpdateCasServiceAccountSecretCommand : CasAccountCmdlet
{
    private const string ValueSet = "Value";
    private const string RotateSet = "Rotate";

    #region Parameters

    /// <summary>The value of the new client secret (not its Secret ID), created on the app beforehand.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ValueSet)]
    [ValidateNotNull]
    public SecureString? ClientSecret { get; set; }

    /// <summary>CasAdmin adds a new secret to the app, proves it, records it and removes the old one.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RotateSet)]
    public SwitchParameter Rotate { get; set; }

    /// <summary>With -Rotate: how long the new secret is valid, a TimeSpan or a number of days. Default: 730 days.</summary>
    [Parameter(ParameterSetName = RotateSet)]
    [TimeSpanOrDays]
    public TimeSpan SecretLifetime { get; set; } = TimeSpan.FromDays(730);

    /// <summary>With -Rotate: removes the old secret without the extra question (for runbooks).</summary>
    [Parameter(ParameterSetName = RotateSet)]
    public SwitchParameter Force { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        if (!TryResolveAccountConnection(out var connection))
        {
            return;
        }

        var rotate = ParameterSetName == RotateSet;
        var action = rotate
            ? string.Format(CultureInfo.InvariantCulture, "Add a new {0:0.##}-day client secret to the app, record it and remove the old secret", SecretLifetime.TotalDays)
            : "Record the given client secret after proving it with an access token";
        if (!ShouldProcess(AccountTarget(connection), action))
        {
            return;
        }

        if (TryRun(
                (observer, ct) => CasEngine.Shared.TeamsChat.UpdateSecretAsync(connection, AccountId, rotate ? null : ClientSecret, rotate, rotate ? SecretLifetime : null, Force, observer, ct),
                AccountId,
                out var account))
        {
            WriteObject(account);
        }
    }

    #endregion
}
