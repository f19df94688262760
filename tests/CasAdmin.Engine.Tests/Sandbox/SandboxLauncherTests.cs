using System.Diagnostics;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Sandbox;

namespace CasAdmin.Engine.Tests.Sandbox;

/// <summary>Start-CasSandbox's engine work: the sandbox shipped in the module folder, as a child process.</summary>
public sealed class SandboxLauncherTests
{
    private static string ModuleFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CasAdmin.sln")))
        {
            dir = dir.Parent;
        }

        var props = File.ReadAllText(Path.Combine(dir!.FullName, "Directory.Build.props"));
        var version = System.Text.RegularExpressions.Regex.Match(props, "<CasAdminVersion>(.+?)</CasAdminVersion>").Groups[1].Value;
        return Path.Combine(dir.FullName, "out", "CasAdmin", version);
    }

    [Fact]
    public async Task StartConnectStop_TheShippedSandbox()
    {
        var dll = SandboxLauncher.Locate(ModuleFolder());
        Assert.NotNull(dll);

        var sandbox = await SandboxLauncher.StartAsync(dll!, "default", 1.0, 0, TimeSpan.FromSeconds(60), CancellationToken.None);
        try
        {
            Assert.Equal(2, sandbox.Tenants.Count);
            Assert.Equal(Uri.UriSchemeHttps, sandbox.Url.Scheme);
            Assert.Contains(sandbox.ProcessId, SandboxLauncher.Running);
            var tenant = sandbox.Tenants[0];
            var connection = await new ConnectionManager().ConnectAsync(new ConnectionRequest
            {
                Mode = SignInMode.ClientSecret, Tenant = tenant.TenantId, ClientId = tenant.AdminAppId, ClientSecret = tenant.AdminAppSecret,
                Environment = CasCloud.Sandbox, SandboxUrl = sandbox.Url, SandboxThumbprint = sandbox.Thumbprint,
            }, NullOperationObserver.Instance, CancellationToken.None);
            Assert.Equal(tenant.Domain, connection.TenantDomain);
            Assert.Equal(sandbox.Url, connection.SandboxUrl);
        }
        finally
        {
            Assert.True(SandboxLauncher.Stop(sandbox.ProcessId));
        }

        Assert.DoesNotContain(sandbox.ProcessId, SandboxLauncher.Running);
        Assert.False(SandboxLauncher.Stop(sandbox.ProcessId));
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(sandbox.ProcessId).WaitForExit(5000));
    }

    [Fact]
    public async Task Start_MissingSandbox_FailsWithSandboxNotFound()
    {
        var error = await Assert.ThrowsAsync<CasException>(() => SandboxLauncher.StartAsync("/nonexistent/CasAdmin.Sandbox.dll", "default", 1, 0, TimeSpan.FromSeconds(5), CancellationToken.None));

        Assert.Equal(ErrorIds.SandboxNotFound, error.ErrorId);
    }

    [Fact]
    public void Parse_UnexpectedFirstLine_FailsClearly()
    {
        var error = Assert.Throws<CasException>(() => SandboxLauncher.Parse(1, "{\"hello\": 1}", "default", 1));

        Assert.Equal(ErrorIds.SandboxFailedToStart, error.ErrorId);
    }

    [Fact]
    public async Task Start_UnknownScenario_IsInvalidArgumentNamingIt_AndStartsNoProcess()
    {
        var dll = SandboxLauncher.Locate(ModuleFolder());
        Assert.NotNull(dll);
        var running = SandboxLauncher.Running.Count;

        var error = await Assert.ThrowsAsync<CasException>(() => SandboxLauncher.StartAsync(dll!, "nosuch", 1, 0, TimeSpan.FromSeconds(60), CancellationToken.None));

        Assert.Equal(ErrorIds.InvalidArgument, error.ErrorId);
        Assert.Equal("nosuch", error.Target);
        Assert.Contains("'nosuch'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(".NET", error.RecommendedAction, StringComparison.Ordinal);
        Assert.Equal(running, SandboxLauncher.Running.Count);
    }

    [Fact]
    public async Task Start_PortInUse_IsSandboxPortInUseNamingThePort()
    {
        var dll = SandboxLauncher.Locate(ModuleFolder());
        Assert.NotNull(dll);
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var error = await Assert.ThrowsAsync<CasException>(() => SandboxLauncher.StartAsync(dll!, "default", 1, port, TimeSpan.FromSeconds(60), CancellationToken.None));

        Assert.Equal(ErrorIds.SandboxPortInUse, error.ErrorId);
        Assert.Equal(CasErrorCategory.ResourceUnavailable, error.Category);
        Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Target);
        Assert.Contains("-Port", error.RecommendedAction, StringComparison.Ordinal);
    }
}
