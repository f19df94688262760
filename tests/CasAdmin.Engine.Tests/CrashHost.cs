using System.Diagnostics;
using System.Reflection;

namespace CasAdmin.Engine.Tests;

/// <summary>tests/CasAdmin.CrashHost, built with this project: one removal in a child process, for tests to kill.</summary>
internal static class CrashHost
{
    /// <summary>Where the child reads the admin app's secret; secrets never go on a command line.</summary>
    public const string SecretVariable = "CASADMIN_CRASHHOST_SECRET";

    /// <summary>The built CasAdmin.CrashHost.dll (the test project's build records its path).</summary>
    public static string Dll { get; } = typeof(CrashHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CrashHostPath").Value!;

    /// <summary><c>dotnet CasAdmin.CrashHost.dll args…</c> with every stream redirected.</summary>
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        // The dotnet running these tests (the CLI sets DOTNET_HOST_PATH), else the one on the PATH.
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, CreateNoWindow = true,
        };
        info.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    /// <summary>The lease owner of a runner process on this machine that was then killed (SIGKILL): nothing of it wound down.</summary>
    public static async Task<string> KilledRunnerOwnerAsync()
    {
        using var process = Process.Start(StartInfo("--print-owner"))!;
        var owner = await process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("The crash host printed no owner: " + await process.StandardError.ReadToEndAsync());
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        return owner;
    }

    /// <summary>A process id on this machine whose process has certainly ended (the crash host refusing no arguments).</summary>
    public static async Task<int> EndedProcessIdAsync()
    {
        using var process = Process.Start(StartInfo())!;
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        return process.Id;
    }
}
