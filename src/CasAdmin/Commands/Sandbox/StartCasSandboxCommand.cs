using System.Globalization;
using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Sandbox;
using CasAdmin.Engine.Store;

namespace CasAdmin.Commands.Sandbox;

/// <summary>
/// Starts the Microsoft 365 sandbox (the tenant emulator that ships in the module's sandbox folder) as a child
/// process of this session and returns where it listens and its tenants. With -Connect, also connects to every
/// sandbox tenant with its administrator app, the first tenant's connection last so that it is the default.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CasSandbox", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(CasSandbox), typeof(CasConnection))]
public sealed class StartCasSandboxCommand : CasCmdlet
{
    #region Parameters

    /// <summary>The scenario the sandbox seeds its tenants from. Default: default (two tenants).</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Scenario { get; set; } = "default";

    /// <summary>Multiplies the scenario's generated users, groups and chats (0.01 to 1000). Default: 1.</summary>
    [Parameter]
    [ValidateRange(0.01, 1000.0)]
    public double Scale { get; set; } = 1.0;

    /// <summary>The loopback port to listen on. Default: 0, any free port.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>The sandbox's CasAdmin.Sandbox.dll. Default: the module's sandbox folder, else the build output of a source checkout.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SandboxPath { get; set; }

    /// <summary>How long to wait for the sandbox to be ready, in seconds (1 to 600). Default: 60.</summary>
    [Parameter]
    [ValidateRange(1, 600)]
    public int TimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Upper bound, in seconds, of the delay with which the sandbox's Entra ID replicates each new app, service principal,
    /// client secret and admin consent (0 to 3600; 0 turns the delays off). Default: 10, as strict as a real tenant.
    /// </summary>
    [Parameter]
    [ValidateRange(0.0, 3600.0)]
    public double ReplicationLagSeconds { get; set; } = 10;

    /// <summary>Also connects to every sandbox tenant with its administrator app and writes the connections after the sandbox.</summary>
    [Parameter]
    public SwitchParameter Connect { get; set; }

    /// <summary>With -Connect: the registry file of those connections. Default: a new registry of this sandbox's own in the temporary folder.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorePath { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        var moduleFolder = Path.GetDirectoryName(typeof(StartCasSandboxCommand).Assembly.Location) ?? string.Empty;
        var dll = SandboxPath is not null ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(SandboxPath) : SandboxLauncher.Locate(moduleFolder);
        if (dll is null)
        {
            ThrowCasError(
                new CasException(ErrorIds.SandboxNotFound, CasErrorCategory.ObjectNotFound,
                    $"There is no sandbox in the module folder ({Path.Combine(moduleFolder, "sandbox")}) or in a source checkout's build output.",
                    "Build it (dotnet build CasAdmin.sln -c Release) or pass -SandboxPath.", moduleFolder),
                moduleFolder);
        }

        var port = Port == 0 ? "a free port" : "port " + Port.ToString(CultureInfo.InvariantCulture);
        if (!ShouldProcess($"Sandbox {dll}", string.Format(CultureInfo.InvariantCulture, "Start the Microsoft 365 sandbox with scenario '{0}' at scale {1} on {2}", Scenario, Scale, port)))
        {
            return;
        }

        // A scenario file is relative to the PowerShell location, not the process's working directory.
        // A name that is no file stays as typed, so that the error names it as the administrator wrote it.
        var scenario = Scenario;
        if (!Scenario.Equals("default", StringComparison.OrdinalIgnoreCase) && !Scenario.StartsWith("generated:", StringComparison.OrdinalIgnoreCase)
            && SessionState.Path.GetUnresolvedProviderPathFromPSPath(Scenario) is var file && File.Exists(file))
        {
            scenario = file;
        }

        // No explicit target: the engine names the scenario, the port or the sandbox file, whichever failed.
        var sandbox = Run((_, ct) => SandboxLauncher.StartAsync(dll, scenario, Scale, Port, TimeSpan.FromSeconds(TimeoutSeconds), ct, ReplicationLagSeconds));
        SandboxSessions.Add(sandbox);
        WriteObject(sandbox);
        if (Connect)
        {
            ConnectTenants(sandbox);
        }
    }

    #endregion

    /// <summary>One connection per tenant, in the sandbox's order: the first tenant's connection is the default when there was none.</summary>
    private void ConnectTenants(CasSandbox sandbox)
    {
        var storePath = StorePath is null ? SandboxSessions.DefaultStorePath(sandbox)
            : StoreLocator.IsConnectionString(StorePath) ? StorePath : SessionState.Path.GetUnresolvedProviderPathFromPSPath(StorePath);
        var connections = new CasConnection?[sandbox.Tenants.Count];
        for (var i = 0; i < sandbox.Tenants.Count; i++)
        {
            var tenant = sandbox.Tenants[i];
            var request = new ConnectionRequest
            {
                Mode = SignInMode.ClientSecret,
                Tenant = tenant.TenantId,
                ClientId = tenant.AdminAppId,
                ClientSecret = tenant.AdminAppSecret,
                Environment = CasCloud.Sandbox,
                SandboxUrl = sandbox.Url,
                SandboxThumbprint = sandbox.Thumbprint,
                StorePath = storePath,
            };
            if (TryRun((observer, ct) => CasEngine.Shared.Connections.ConnectAsync(request, observer, ct), tenant.Domain, out var connection))
            {
                SandboxSessions.AddConnection(sandbox.ProcessId, connection);
                connections[i] = connection;
            }
        }

        WriteObject(connections.OfType<CasConnection>(), enumerateCollection: true);
    }
}
