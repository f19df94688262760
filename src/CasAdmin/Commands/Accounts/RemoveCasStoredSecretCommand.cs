using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Commands.Accounts;

/// <summary>
/// Deletes client secrets from this machine's protected storage that no account of the registry names (the registry
/// is asked again right before each deletion). An entry an account still names is refused with StoredSecretInUse:
/// it may be the only copy of that account's secret.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "CasStoredSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveCasStoredSecretCommand : CasStoredSecretCmdlet
{
    #region Parameters

    /// <summary>The vault reference of the entry (32 hexadecimal digits), as Get-CasStoredSecret lists it. Objects with a Reference property bind to it from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Reference { get; set; } = [];

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        var secrets = CasEngine.Shared.StoredSecrets;
        var storePath = ResolveStorePath();
        foreach (var reference in Reference)
        {
            try
            {
                StoredSecretService.CheckReference(reference);
            }
            catch (CasException ex)
            {
                WriteCasError(ex, reference);
                continue;
            }

            if (!ShouldProcess($"Stored secret {reference} on {Environment.MachineName} ({secrets.Location})", "Remove"))
            {
                continue;
            }

            if (TryRun((_, ct) => secrets.RemoveAsync(storePath, reference, ct), reference, out var removed))
            {
                WriteVerbose($"Removed stored secret {removed.Reference} from {removed.Location}.");
            }
        }
    }

    #endregion
}
