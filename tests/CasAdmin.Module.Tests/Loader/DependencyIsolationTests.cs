using System.Data.Common;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using System.Security;
using CasAdmin.Module.Tests.Infrastructure;
using CasAdmin.Sandbox;

namespace CasAdmin.Module.Tests.Loader;

/// <summary>
/// The isolation guard: with another module's MSAL (4.61.3) already in the default context, the engine loaded
/// through CasAdmin's private context signs in with its own MSAL (4.92) and opens SQLite with its own natives.
/// The engine is driven by reflection only: this project must not reference it (that would put its MSAL into
/// the default context and make the guard meaningless).
/// </summary>
[Collection(ModuleRuntimeCollection.Name)]
public sealed class DependencyIsolationTests(ModuleRuntimeFixture runtime)
{
    [Fact]
    public void TheTestProcess_StartsWithoutCasAdminsAssemblies()
    {
        // If a project reference ever copied them here, the default context could load them and the guard would lie.
        foreach (var file in new[] { "CasAdmin.dll", "CasAdmin.Engine.dll", "Microsoft.Identity.Client.dll", "Microsoft.Data.Sqlite.dll" })
        {
            Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, file)), $"{file} was copied into the test output.");
        }
    }

    [Fact]
    public async Task ConnectThroughThePrivateContext_UsesItsOwnMsal_WhileTheDefaultContextKeepsTheOtherOne()
    {
        // A bound, not a timing assertion: a hung sign-in fails the test instead of the run.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var sandbox = await SandboxHost.StartAsync(new SandboxOptions(), timeout.Token);
        var tenant = sandbox.Tenants[0];
        var engine = runtime.EngineAssembly;

        var request = Create(engine, "CasAdmin.Engine.Connections.ConnectionRequest", new Dictionary<string, object?>
        {
            ["Mode"] = Enum.Parse(runtime.ModelAssembly.GetType("CasAdmin.Engine.Connections.SignInMode", throwOnError: true)!, "ClientSecret"),
            ["Environment"] = Enum.Parse(runtime.ModelAssembly.GetType("CasAdmin.Engine.Connections.CasCloud", throwOnError: true)!, "Sandbox"),
            ["SandboxUrl"] = sandbox.Url,
            ["SandboxThumbprint"] = sandbox.Thumbprint,
            ["Tenant"] = tenant.TenantId,
            ["ClientId"] = tenant.AdminAppId,
            ["ClientSecret"] = Secure(tenant.AdminAppSecret),
        });
        var shared = engine.GetType("CasAdmin.Engine.CasEngine", throwOnError: true)!.GetProperty("Shared")!.GetValue(null)!;
        var connections = shared.GetType().GetProperty("Connections")!.GetValue(shared)!;
        var observer = engine.GetType("CasAdmin.Engine.Operations.NullOperationObserver", throwOnError: true)!.GetField("Instance")!.GetValue(null)!;

        var connecting = (Task)connections.GetType().GetMethod("ConnectAsync")!.Invoke(connections, [request, observer, timeout.Token])!;
        await connecting;
        var connection = connecting.GetType().GetProperty("Result")!.GetValue(connecting)!;
        try
        {
            Assert.Equal(tenant.TenantId, (string)connection.GetType().GetProperty("TenantId")!.GetValue(connection)!);

            // The engine and the scripts share one CasConnection type: the model's, in the default context.
            Assert.Same(runtime.ModelAssembly, connection.GetType().Assembly);
            Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(connection.GetType().Assembly));

            var engineMsal = Assert.Single(runtime.EngineContext.Assemblies, a => a.GetName().Name == "Microsoft.Identity.Client");
            Assert.Equal((4, 92), (engineMsal.GetName().Version!.Major, engineMsal.GetName().Version!.Minor));
            Assert.StartsWith(ModuleLayout.DependenciesFolder, engineMsal.Location, StringComparison.Ordinal);

            var defaultMsal = Assert.Single(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == "Microsoft.Identity.Client");
            Assert.Same(runtime.OtherModulesMsal, defaultMsal);
            Assert.Equal(new Version(4, 61, 3, 0), defaultMsal.GetName().Version);
        }
        finally
        {
            connections.GetType().GetMethod("Disconnect")!.Invoke(connections, [connection]);
        }
    }

    [Fact]
    public void Sqlite_OpensInThePrivateContext_WithTheNativeLibraryFromDependencies()
    {
        var sqlite = runtime.EngineContext.LoadFromAssemblyName(new AssemblyName("Microsoft.Data.Sqlite"));
        var connectionType = sqlite.GetType("Microsoft.Data.Sqlite.SqliteConnection", throwOnError: true)!;

        // DbConnection is BCL, shared by both contexts: the SQLite types behind it stay private.
        using var database = (DbConnection)Activator.CreateInstance(connectionType, "Data Source=:memory:")!;
        database.Open();
        using var command = database.CreateCommand();
        command.CommandText = "select sqlite_version()";
        var version = (string)command.ExecuteScalar()!;

        Assert.StartsWith("3.", version, StringComparison.Ordinal);
        Assert.Same(runtime.EngineContext, AssemblyLoadContext.GetLoadContext(sqlite));
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name is "Microsoft.Data.Sqlite" or "SQLitePCLRaw.core");
        using var process = Process.GetCurrentProcess();
        var native = process.Modules.Cast<ProcessModule>()
            .Select(m => m.FileName)
            .Where(f => Path.GetFileName(f).Contains("e_sqlite3", StringComparison.OrdinalIgnoreCase))
            .ToArray();
        var loaded = Assert.Single(native);
        Assert.StartsWith(Path.Combine(ModuleLayout.DependenciesFolder, "runtimes"), loaded, StringComparison.Ordinal);
    }

    private static object Create(Assembly assembly, string typeName, IReadOnlyDictionary<string, object?> properties)
    {
        var type = assembly.GetType(typeName, throwOnError: true)!;
        var instance = Activator.CreateInstance(type)!;
        foreach (var (name, value) in properties)
        {
            var property = type.GetProperty(name) ?? throw new InvalidOperationException($"{typeName} has no property {name}: the engine's public API changed.");
            property.SetValue(instance, value);
        }

        return instance;
    }

    private static SecureString Secure(string value)
    {
        var secure = new SecureString();
        foreach (var c in value)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }
}
