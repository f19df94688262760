using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Commands.Connections;

/// <summary>
/// Closes connections: the default one, those to a tenant, the ones piped in, or all. When the default
/// connection closes, none is the default until the next Connect-CasTenant.
/// </summary>
[Cmdlet(VerbsCommunications.Disconnect, "CasTenant", DefaultParameterSetName = TenantIdSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
public sealed class DisconnectCasTenantCommand : CasCmdlet
{
    private const string TenantIdSet = "TenantId";
    private const string ConnectionSet = "Connection";
    private const string AllSet = "All";

    #region Parameters

    /// <summary>Closes every connection to this tenant (id or verified domain). Without it: the default connection.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = TenantIdSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TenantIdCompleter))]
    public string? TenantId { get; set; }

    /// <summary>The connection to close, from Connect-CasTenant or Get-CasConnection.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ConnectionSet)]
    [ValidateNotNull]
    public CasConnection? Connection { get; set; }

    /// <summary>Closes every open connection. Nothing to close is not an error.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        var connections = CasEngine.Shared.Connections;
        IReadOnlyList<CasConnection> targets;
        try
        {
            targets = ParameterSetName switch
            {
                AllSet => connections.GetConnections(),
                ConnectionSet => [Connection!],
                _ when TenantId is null => [connections.Resolve()],
                _ => ToTenant(connections, TenantId),
            };
        }
        catch (CasException ex)
        {
            WriteCasError(ex, TenantId);
            return;
        }

        if (targets.Count == 0)
        {
            WriteVerbose("There is no open connection.");
        }

        foreach (var connection in targets)
        {
            if (!ShouldProcess(connection.ToString(), "Disconnect"))
            {
                continue;
            }

            if (connections.Disconnect(connection))
            {
                WriteVerbose($"Disconnected {connection}.");
            }
            else if (ParameterSetName == ConnectionSet)
            {
                WriteCasError(
                    new CasException(ErrorIds.NotConnected, CasErrorCategory.ConnectionError,
                        $"The connection to tenant {connection.TenantDomain ?? connection.TenantId} is already closed.",
                        "Get-CasConnection lists the open connections.", connection.TenantId),
                    connection);
            }
        }
    }

    #endregion

    /// <summary>Every connection to the tenant; none open fails with the engine's NotConnected.</summary>
    private static IReadOnlyList<CasConnection> ToTenant(ConnectionManager connections, string tenant)
    {
        var matches = connections.GetConnections().Where(c => ConnectionManager.Matches(c, tenant)).ToArray();
        return matches.Length > 0 ? matches : [connections.Resolve(tenant)];
    }
}
