using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Engine;
using CasAdmin.Engine.Store;

namespace CasAdmin.Commands.Accounts;

/// <summary>
/// Lists the client secrets this machine keeps for the current user in its protected storage (DPAPI, the Keychain or
/// the Secret Service keyring), each with the registry account that names it; never a secret's value. With a shared
/// registry each secret is kept only on the machine that saved it, so this lists only this machine's entries.
/// </summary>
[Cmdlet(VerbsCommon.Get, "CasStoredSecret")]
[OutputType(typeof(CasStoredSecret))]
public sealed class GetCasStoredSecretCommand : CasStoredSecretCmdlet
{
    #region Parameters

    /// <summary>Only the entries no account of the registry names: leftovers that Remove-CasStoredSecret may delete.</summary>
    [Parameter]
    public SwitchParameter Unreferenced { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        var secrets = CasEngine.Shared.StoredSecrets;
        if (!secrets.IsAvailable)
        {
            WriteWarning("This machine has no protected storage that works for this user (no DPAPI, Keychain or unlocked Secret Service keyring), "
                + "so CasAdmin keeps no secret here: there is nothing to list.");
            return;
        }

        var storePath = ResolveStorePath();
        var entries = Run((_, ct) => secrets.GetAsync(storePath, Unreferenced, ct), storePath);
        WriteObject(entries, enumerateCollection: true);
    }

    #endregion
}
