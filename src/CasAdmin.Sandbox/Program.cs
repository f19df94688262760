using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using CasAdmin.Sandbox;

// dotnet run --project src/CasAdmin.Sandbox -- [--port N] [--scenario NAME|FILE] [--scale S] [--listen ADDRESS] [--replication-lag-ms N] [--parent-pid PID]
// The first stdout line is one JSON object (url, thumbprint, tenants); nothing else is written to stdout.
var options = new SandboxOptions();
int? parentPid = null;
for (var i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--port": options.Port = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--scenario": options.Scenario = Value(); break;
        case "--scale": options.Scale = double.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--listen": options.ListenAddress = Value(); break;
        case "--replication-lag-ms": options.ReplicationLagMs = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--parent-pid": parentPid = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "-h" or "--help":
            Console.Error.WriteLine("CasAdmin.Sandbox [--port N] [--scenario default|generated:tenants=T,users=U,chats=C,seed=S,accounts=A|FILE] [--scale S] [--listen 127.0.0.1] [--replication-lag-ms 10000] [--parent-pid PID]");
            return 0;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. Use --help.");
            return 2;
    }
}

await using var host = await SandboxHost.StartAsync(options);
var stop = new TaskCompletionSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });

var banner = new
{
    url = host.Url.ToString(),
    thumbprint = host.Thumbprint,
    tenants = host.Tenants,
};
Console.Out.WriteLine(JsonSerializer.Serialize(banner, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
Console.Out.Flush();
Console.Error.WriteLine($"CasAdmin sandbox listening on {host.Url} (scenario '{options.Scenario}', scale {options.Scale.ToString(CultureInfo.InvariantCulture)}). Ctrl+C to stop.");
if (parentPid is int pid)
{
    // Started by Start-CasSandbox: end with the PowerShell session rather than outlive it.
    _ = WatchParentAsync(pid, stop);
}

await stop.Task;
return 0;

static async Task WatchParentAsync(int pid, TaskCompletionSource stop)
{
    try
    {
        using var parent = System.Diagnostics.Process.GetProcessById(pid);
        await parent.WaitForExitAsync();
    }
    catch (ArgumentException)
    {
        // Already gone.
    }

    stop.TrySetResult();
}
