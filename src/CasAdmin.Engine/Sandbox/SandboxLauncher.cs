using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Engine.Sandbox;

/// <summary>
/// Starts the Microsoft 365 sandbox as a child process (<c>dotnet CasAdmin.Sandbox.dll</c>), waits until its
/// first output line says where it listens, and stops it again. The sandbox is a separate process so the
/// module never loads ASP.NET Core into the PowerShell session.
/// </summary>
public static class SandboxLauncher
{
    private static readonly ConcurrentDictionary<int, Process> Started = new();

    /// <summary>The sandboxes this session started and that still run.</summary>
    public static IReadOnlyList<int> Running => Started.Where(p => !p.Value.HasExited).Select(p => p.Key).ToArray();

    /// <summary>
    /// The sandbox next to the module (<c>sandbox/CasAdmin.Sandbox.dll</c>), or the one a source checkout built.
    /// </summary>
    public static string? Locate(string moduleFolder)
    {
        var shipped = Path.Combine(moduleFolder, "sandbox", "CasAdmin.Sandbox.dll");
        if (File.Exists(shipped))
        {
            return shipped;
        }

        // out/CasAdmin/<version>/ in a checkout: the sandbox's own build output.
        var repo = Path.GetFullPath(Path.Combine(moduleFolder, "..", "..", ".."));
        foreach (var configuration in new[] { "Release", "Debug" })
        {
            var built = Path.Combine(repo, "src", "CasAdmin.Sandbox", "bin", configuration, "net10.0", "CasAdmin.Sandbox.dll");
            if (File.Exists(built))
            {
                return built;
            }
        }

        return null;
    }

    /// <summary>Starts the sandbox; <paramref name="replicationLagSeconds"/> bounds its Entra ID replication delays (null: the sandbox's default, 10 s).</summary>
    public static async Task<CasSandbox> StartAsync(string sandboxDll, string scenario, double scale, int port, TimeSpan timeout, CancellationToken cancellationToken, double? replicationLagSeconds = null)
    {
        if (!File.Exists(sandboxDll))
        {
            throw new CasException(ErrorIds.SandboxNotFound, CasErrorCategory.ObjectNotFound,
                $"The sandbox '{sandboxDll}' does not exist.",
                "Build it (dotnet build CasAdmin.sln -c Release) or pass -SandboxPath.", sandboxDll);
        }

        ValidateScenario(scenario);
        ValidatePort(port);

        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var arg in new[]
        {
            sandboxDll, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--scenario", scenario,
            "--scale", scale.ToString(System.Globalization.CultureInfo.InvariantCulture),

            // The sandbox ends with the PowerShell session that started it.
            "--parent-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(arg);
        }

        if (replicationLagSeconds is { } lag)
        {
            info.ArgumentList.Add("--replication-lag-ms");
            info.ArgumentList.Add(((int)Math.Round(lag * 1000)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new CasException(ErrorIds.SandboxFailedToStart, CasErrorCategory.NotInstalled,
                "The sandbox could not be started: the 'dotnet' command was not found.",
                "Install the .NET 10 runtime (with ASP.NET Core), which the sandbox runs on.", sandboxDll, ex);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var first = await process.StandardOutput.ReadLineAsync(deadline.Token).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(first))
            {
                var error = await process.StandardError.ReadToEndAsync(CancellationToken.None).ConfigureAwait(false);
                throw new CasException(ErrorIds.SandboxFailedToStart, CasErrorCategory.ResourceUnavailable,
                    $"The sandbox (scenario '{scenario}', {(port == 0 ? "any free port" : "port " + port.ToString(System.Globalization.CultureInfo.InvariantCulture))}) exited before it was ready. Its first error line: {FirstLine(error)}",
                    "Run it by hand to see the whole error: dotnet \"" + sandboxDll + "\" --scenario " + scenario + " --port " + port.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".", sandboxDll);
            }

            var sandbox = Parse(process.Id, first, scenario, scale);
            Started[process.Id] = process;

            // Keep draining the pipes so a chatty sandbox never blocks on a full buffer.
            _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
            return sandbox;
        }
        catch (Exception ex) when (ex is not CasException)
        {
            Kill(process);
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new CasException(ErrorIds.SandboxFailedToStart, CasErrorCategory.ResourceUnavailable,
                $"The sandbox did not become ready within {timeout.TotalSeconds:0} s.", "Run it by hand (dotnet run --project src/CasAdmin.Sandbox) to see why.", sandboxDll, ex);
        }
        catch
        {
            Kill(process);
            throw;
        }
    }

    /// <summary>
    /// The scenarios the sandbox knows: "default", "generated:…" (its parameters are checked by the sandbox), or an
    /// existing JSON file. Checked here so that a typo gets its name back instead of the child's stack trace.
    /// </summary>
    internal static void ValidateScenario(string scenario)
    {
        if (string.IsNullOrWhiteSpace(scenario) || scenario.Equals("default", StringComparison.OrdinalIgnoreCase)
            || scenario.StartsWith("generated:", StringComparison.OrdinalIgnoreCase) || File.Exists(scenario))
        {
            return;
        }

        throw CasException.InvalidArgument(
            $"There is no sandbox scenario '{scenario}': it is neither 'default', nor 'generated:…', nor an existing scenario file.",
            "Pass -Scenario default, -Scenario 'generated:tenants=2,users=100,chats=500,seed=1,accounts=1', or the path of a scenario JSON file.",
            scenario);
    }

    /// <summary>A fixed port must be free on the loopback address the sandbox listens on.</summary>
    internal static void ValidatePort(int port)
    {
        if (port == 0)
        {
            return;
        }

        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        try
        {
            probe.Start();
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new CasException(ErrorIds.SandboxPortInUse, CasErrorCategory.ResourceUnavailable,
                $"The sandbox cannot listen on port {port}: {(ex.SocketErrorCode == System.Net.Sockets.SocketError.AccessDenied ? "this account may not use it" : "another process already uses it")}.",
                "Pass another -Port, or leave -Port out (any free port). Stop-CasSandbox stops a sandbox this session started.",
                port.ToString(System.Globalization.CultureInfo.InvariantCulture), ex);
        }
        finally
        {
            probe.Stop();
        }
    }

    /// <summary>Stops a sandbox this session started; false when it was not one of them or had already exited.</summary>
    public static bool Stop(int processId)
    {
        if (!Started.TryRemove(processId, out var process))
        {
            return false;
        }

        var wasRunning = !process.HasExited;
        Kill(process);
        process.Dispose();
        return wasRunning;
    }

    internal static CasSandbox Parse(int processId, string firstLine, string scenario, double scale)
    {
        try
        {
            using var doc = JsonDocument.Parse(firstLine);
            var root = doc.RootElement;
            var tenants = root.GetProperty("tenants").EnumerateArray().Select(t => new CasSandboxTenant(
                t.GetProperty("tenantId").GetString()!,
                t.GetProperty("domain").GetString()!,
                t.GetProperty("adminAppId").GetString()!,
                Store.SecureStrings.Protect(t.GetProperty("adminAppSecret").GetString()!),
                t.GetProperty("adminUser").GetString()!)).ToArray();
            return new CasSandbox(processId, new Uri(root.GetProperty("url").GetString()!), root.GetProperty("thumbprint").GetString()!, scenario, scale, tenants);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CasException(ErrorIds.SandboxFailedToStart, CasErrorCategory.InvalidData,
                "The sandbox's first output line is not the expected JSON.", "Use the sandbox built from the same CasAdmin version.", innerException: ex);
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
