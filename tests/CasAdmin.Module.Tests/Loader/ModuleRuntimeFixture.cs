using System.Reflection;
using System.Runtime.Loader;
using CasAdmin.Module.Tests.Infrastructure;

namespace CasAdmin.Module.Tests.Loader;

/// <summary>
/// The built module loaded the way a PowerShell session with another Graph module loads it: a different MSAL
/// (4.61.3) is already in the default context, then CasAdmin.dll, then the engine through CasAdmin's own
/// private load context. Shared by every test that executes module code (one collection, so the order holds).
/// </summary>
public sealed class ModuleRuntimeFixture
{
    public const string OtherModulesMsalVersion = "4.61.3";

    public ModuleRuntimeFixture()
    {
        var msalPath = Path.Combine(ModuleLayout.NuGetPackageRoot, "microsoft.identity.client", OtherModulesMsalVersion, "lib", "net6.0", "Microsoft.Identity.Client.dll");
        Assert.True(File.Exists(msalPath), $"MSAL {OtherModulesMsalVersion} is missing at {msalPath} (the test project downloads it with PackageDownload).");
        OtherModulesMsal = AssemblyLoadContext.Default.Assemblies.FirstOrDefault(a => a.GetName().Name == "Microsoft.Identity.Client")
            ?? AssemblyLoadContext.Default.LoadFromAssemblyPath(msalPath);

        // PowerShell's order: RequiredAssemblies (CasAdmin.Model) into the default context, then the root module.
        ModelAssembly = Assembly.LoadFrom(ModuleLayout.ModelAssemblyPath);
        CmdletAssembly = Assembly.LoadFrom(ModuleLayout.CmdletAssemblyPath);
        LoadContextType = CmdletAssembly.GetType("CasAdmin.Loader.EngineLoadContext", throwOnError: true)!;
        EngineContext = (AssemblyLoadContext)Static("ForModuleFolder", ModuleLayout.ModuleFolder)!;
        EngineAssembly = EngineContext.LoadFromAssemblyName(new AssemblyName("CasAdmin.Engine"));
    }

    /// <summary>MSAL 4.61.3 in the default context, as Az or Microsoft.Graph would have loaded it.</summary>
    public Assembly OtherModulesMsal { get; }

    /// <summary>CasAdmin.Model.dll from the module folder, in the default context (the manifest's RequiredAssemblies).</summary>
    public Assembly ModelAssembly { get; }

    /// <summary>CasAdmin.dll from the module folder (in the default context, as PowerShell loads it).</summary>
    public Assembly CmdletAssembly { get; }

    /// <summary>CasAdmin.Loader.EngineLoadContext (internal) of the built CasAdmin.dll.</summary>
    public Type LoadContextType { get; }

    public AssemblyLoadContext EngineContext { get; }

    public Assembly EngineAssembly { get; }

    public object? Static(string method, params object?[] arguments) =>
        LoadContextType.GetMethod(method, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!.Invoke(null, arguments);

    public object? Instance(string method, params object?[] arguments) =>
        LoadContextType.GetMethod(method, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)!.Invoke(EngineContext, arguments);
}

[CollectionDefinition(Name)]
public sealed class ModuleRuntimeCollection : ICollectionFixture<ModuleRuntimeFixture>
{
    public const string Name = "Module runtime";
}
