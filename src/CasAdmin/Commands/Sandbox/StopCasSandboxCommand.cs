using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Sandbox;

namespace CasAdmin.Commands.Sandbox;

/// <summary>
/// Stops sandboxes that Start-CasSandbox started in this session, and closes the connections to them first.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "CasSandbox", DefaultParameterSetName = ProcessIdSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
public sealed class StopCasSandboxCommand : CasCmdlet
{
    private const string ProcessIdSet = "ProcessId";
    private const string AllSet = "All";
    private readonly HashSet<int> stopped = [];

    #region Parameters

    /// <summary>The process id of the sandbox to stop. Start-CasSandbox's output binds to it from the pipeline, or as the argument.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ProcessIdSet)]
    [SandboxProcessId]
    public int[]? ProcessId { get; set; }

    /// <summary>
    /// Connections to a sandbox of this session: its sandbox stops (once). In the same parameter set as -ProcessId, because
    /// <c>Start-CasSandbox -Connect | Stop-CasSandbox</c> pipes the sandbox first and then its connections, and PowerShell
    /// keeps the parameter set the first piped object chose.
    /// </summary>
    [Parameter(ValueFromPipeline = true, ParameterSetName = ProcessIdSet)]
    public CasConnection[]? Connection { get; set; }

    /// <summary>Stops every sandbox this session started. Nothing to stop is not an error.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ProcessIdSet && ProcessId is null && Connection is null)
        {
            ThrowCasError(
                new CasException(ErrorIds.InvalidArgument, CasErrorCategory.InvalidArgument, "No sandbox was named.",
                    "Pass -ProcessId, pipe the output of Start-CasSandbox (the sandbox or its connections), or use -All.", null),
                null);
        }

        if (Connection is not null)
        {
            StopConnected(Connection);
        }

        var processIds = ParameterSetName == AllSet ? SandboxSessions.Known : ProcessId ?? [];
        if (ParameterSetName == ProcessIdSet && ProcessId is null)
        {
            return;
        }

        if (processIds.Count == 0)
        {
            WriteVerbose("No sandbox of this session is running.");
        }

        foreach (var processId in processIds)
        {
            Stop(processId);
        }
    }

    #endregion

    private void StopConnected(IEnumerable<CasConnection> connections)
    {
        foreach (var connection in connections)
        {
            if (SandboxSessions.ProcessOf(connection) is { } processId)
            {
                Stop(processId);
            }
            else if (connection.Environment == CasCloud.Sandbox)
            {
                // Its sandbox stopped already (earlier in this pipeline, as Start-CasSandbox -Connect | Stop-CasSandbox does).
                WriteVerbose($"The sandbox of {connection} is not running in this session any more.");
            }
            else
            {
                WriteCasError(
                    new CasException(ErrorIds.InvalidArgument, CasErrorCategory.InvalidArgument, $"{connection} is not a connection to a sandbox.",
                        "Pipe the sandbox or its connections from Start-CasSandbox; close other connections with Disconnect-CasTenant.", connection.TenantId),
                    connection);
            }
        }
    }

    private void Stop(int processId)
    {
        if (!stopped.Add(processId))
        {
            return;
        }

        var sandbox = SandboxSessions.Find(processId);
        var running = SandboxSessions.Running.Contains(processId);
        if (sandbox is null && !running)
        {
            WriteCasError(
                new CasException(ErrorIds.SandboxNotFound, CasErrorCategory.ObjectNotFound,
                    $"No sandbox with process id {processId} was started in this session.",
                    "Stop-CasSandbox stops the sandboxes that Start-CasSandbox started in this PowerShell process; Stop-CasSandbox -All stops all of them.",
                    processId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                processId);
            return;
        }

        if (!ShouldProcess($"Sandbox process {processId}{(sandbox is null ? string.Empty : $" at {sandbox.Url}")}", "Stop the sandbox and close the connections to it"))
        {
            return;
        }

        foreach (var connection in SandboxSessions.ConnectionsOf(processId))
        {
            if (CasEngine.Shared.Connections.Disconnect(connection))
            {
                WriteVerbose($"Disconnected {connection}.");
            }
        }

        if (!SandboxLauncher.Stop(processId))
        {
            WriteVerbose($"The sandbox process {processId} had already exited.");
        }

        SandboxSessions.Remove(processId);
    }
}
