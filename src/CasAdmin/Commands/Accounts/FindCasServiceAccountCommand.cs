using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;

namespace CasAdmin.Commands.Accounts;

/// <summary>
/// Finds the service accounts that already exist in a tenant — the vendor's app principals, CasAdmin's own Teams
/// Chat apps, the TMCAS Inline groups and the delegate users — and says which of them the registry knows. Pipe the
/// candidates into Register-CasServiceAccount to manage (and remove) accounts provisioned elsewhere. Changes nothing.
/// </summary>
[Cmdlet(VerbsCommon.Find, "CasServiceAccount")]
[OutputType(typeof(CasServiceAccountCandidate))]
public sealed class FindCasServiceAccountCommand : CasConnectedCmdlet
{
    #region Parameters

    /// <summary>How the names of delegate users begin (their user principal name). Default: tmcas.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DelegatePrefix { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        // -Connection: that tenant. Otherwise every connected tenant (an MSP's session), the default first.
        IReadOnlyList<CasConnection> connections = Connection is not null
            ? [Connection]
            : [.. CasEngine.Shared.Connections.GetConnections().OrderByDescending(c => c.IsDefault)];
        if (connections.Count == 0)
        {
            connections = [ResolveConnection()];
        }

        foreach (var connection in connections)
        {
            if (TryRun((observer, ct) => CasEngine.Shared.Accounts.FindAsync(connection, DelegatePrefix, observer, ct), connection, out var candidates))
            {
                WriteObject(candidates, enumerateCollection: true);
            }
        }
    }

    #endregion
}
