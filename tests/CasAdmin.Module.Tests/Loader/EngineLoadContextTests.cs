using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using CasAdmin.Module.Tests.Infrastructure;

namespace CasAdmin.Module.Tests.Loader;

/// <summary>The private load context of the built module: what it loads itself, what it leaves to the default context.</summary>
[Collection(ModuleRuntimeCollection.Name)]
public sealed class EngineLoadContextTests(ModuleRuntimeFixture runtime)
{
    [Fact]
    public void TheContext_IsOnePerModuleFolder()
    {
        var again = runtime.Static("ForModuleFolder", ModuleLayout.ModuleFolder + Path.DirectorySeparatorChar);
        var ofThisModule = runtime.Static("ForThisModule");

        Assert.Same(runtime.EngineContext, again);
        Assert.Same(runtime.EngineContext, ofThisModule);
        Assert.NotSame(AssemblyLoadContext.Default, runtime.EngineContext);
    }

    [Fact]
    public void TheEngine_LoadsFromDependencies_IntoThePrivateContext()
    {
        Assert.Same(runtime.EngineContext, AssemblyLoadContext.GetLoadContext(runtime.EngineAssembly));
        Assert.Equal(Path.Combine(ModuleLayout.DependenciesFolder, "CasAdmin.Engine.dll"), runtime.EngineAssembly.Location);
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == "CasAdmin.Engine");
    }

    [Theory]
    [InlineData("System.Runtime")]
    [InlineData("System.Net.Http")]
    [InlineData("System.Text.Json")]
    [InlineData("netstandard")]
    public void BclAssemblies_AreLeftToTheDefaultContext(string name)
    {
        var assembly = runtime.EngineContext.LoadFromAssemblyName(new AssemblyName(name));

        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(assembly));
    }

    [Fact]
    public void TheModel_IsTheDefaultContextsCopy_NeverAPrivateOne()
    {
        var model = runtime.EngineContext.LoadFromAssemblyName(new AssemblyName("CasAdmin.Model"));

        Assert.Same(runtime.ModelAssembly, model);
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(model));
        Assert.DoesNotContain(runtime.EngineContext.Assemblies, a => a.GetName().Name == "CasAdmin.Model");
    }

    [Fact]
    public void PowerShell_IsNeverLoadedPrivately()
    {
        // System.Management.Automation is not in dependencies/ and there is no PowerShell here: the context must
        // defer (and so fail to find it) rather than look for a copy of its own.
        var load = typeof(AssemblyLoadContext).GetMethod("Load", BindingFlags.NonPublic | BindingFlags.Instance)!;

        Assert.Null(load.Invoke(runtime.EngineContext, [new AssemblyName("System.Management.Automation")]));
        Assert.Null(load.Invoke(runtime.EngineContext, [new AssemblyName("Microsoft.PowerShell.Commands.Utility")]));
        Assert.Null(load.Invoke(runtime.EngineContext, [new AssemblyName("Not.Shipped.With.CasAdmin")]));
    }

    [Fact]
    public void ThirdPartyAssemblies_AreLoadedPrivately_FromDependencies()
    {
        foreach (var name in new[] { "Polly.Core", "Microsoft.Kiota.Abstractions", "Microsoft.IdentityModel.JsonWebTokens" })
        {
            var assembly = runtime.EngineContext.LoadFromAssemblyName(new AssemblyName(name));
            Assert.Same(runtime.EngineContext, AssemblyLoadContext.GetLoadContext(assembly));
            Assert.StartsWith(ModuleLayout.DependenciesFolder, assembly.Location, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ResolveEngine_ResolvesOnlyTheEngineName()
    {
        var engine = runtime.Instance("ResolveEngine", AssemblyLoadContext.Default, new AssemblyName("CasAdmin.Engine"));
        var msal = runtime.Instance("ResolveEngine", AssemblyLoadContext.Default, new AssemblyName("Microsoft.Identity.Client"));
        var polly = runtime.Instance("ResolveEngine", AssemblyLoadContext.Default, new AssemblyName("Polly.Core"));

        Assert.Same(runtime.EngineAssembly, engine);
        Assert.Null(msal);
        Assert.Null(polly);
    }

    [Fact]
    public void CmdletTypesThatUseTheEngine_ResolveItThroughTheDefaultContextsResolvingHandler()
    {
        // What ModuleInitializer.OnImport installs in a PowerShell session (OnImport itself needs PowerShell).
        var resolve = runtime.LoadContextType.GetMethod("ResolveEngine")!;
        var handler = (Func<AssemblyLoadContext, AssemblyName, Assembly?>)Delegate.CreateDelegate(
            typeof(Func<AssemblyLoadContext, AssemblyName, Assembly?>), runtime.EngineContext, resolve);
        AssemblyLoadContext.Default.Resolving += handler;
        try
        {
            // PumpObserver (in CasAdmin.dll, default context) implements the engine's IOperationObserver.
            var observer = runtime.CmdletAssembly.GetType("CasAdmin.Base.PumpObserver", throwOnError: true)!;
            var contract = Assert.Single(observer.GetInterfaces());

            Assert.Equal("CasAdmin.Engine.Operations.IOperationObserver", contract.FullName);
            Assert.Same(runtime.EngineAssembly, contract.Assembly);
            Assert.Same(runtime.EngineContext, AssemblyLoadContext.GetLoadContext(contract.Assembly));
        }
        finally
        {
            AssemblyLoadContext.Default.Resolving -= handler;
        }
    }

    [Fact]
    public void NativeLibraries_AreFoundUnderRuntimesRidNative()
    {
        var found = (string?)runtime.Instance("FindNativeLibrary", "e_sqlite3");

        Assert.NotNull(found);
        Assert.StartsWith(Path.Combine(ModuleLayout.DependenciesFolder, "runtimes"), found, StringComparison.Ordinal);
        Assert.Equal("native", Path.GetFileName(Path.GetDirectoryName(found)));
        Assert.True(File.Exists(found));
        Assert.Null(runtime.Instance("FindNativeLibrary", "no_such_native_library"));
    }

    [Fact]
    public void LoadUnmanagedDll_LoadsSqlitesNativeLibrary()
    {
        var load = runtime.LoadContextType.GetMethod("LoadUnmanagedDll", BindingFlags.NonPublic | BindingFlags.Instance)!;

        var handle = (IntPtr)load.Invoke(runtime.EngineContext, ["e_sqlite3"])!;
        var unknown = (IntPtr)load.Invoke(runtime.EngineContext, ["no_such_native_library"])!;

        Assert.NotEqual(IntPtr.Zero, handle);
        Assert.NotEqual(IntPtr.Zero, NativeLibrary.GetExport(handle, "sqlite3_libversion"));
        Assert.Equal(IntPtr.Zero, unknown);
    }

    [Fact]
    public void RuntimeIdentifiers_StartWithTheRuntimes_AndIncludeThePortableOne()
    {
        var rids = (IReadOnlyList<string>)runtime.Static("RuntimeIdentifiers")!;
        var portable = (string?)runtime.Static("PortableRuntimeIdentifier");

        Assert.Equal(RuntimeInformation.RuntimeIdentifier, rids[0]);
        Assert.NotNull(portable);
        Assert.Contains(portable, rids);
        Assert.EndsWith("-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(), portable, StringComparison.Ordinal);
    }

    [Fact]
    public void NativeFileNames_CoverThePlatformsNamingForms()
    {
        var names = (IReadOnlyList<string>)runtime.Static("NativeFileNames", "e_sqlite3")!;

        Assert.Equal("e_sqlite3", names[0]);
        if (OperatingSystem.IsWindows())
        {
            Assert.Contains("e_sqlite3.dll", names);
        }
        else if (OperatingSystem.IsMacOS())
        {
            Assert.Contains("libe_sqlite3.dylib", names);
        }
        else
        {
            Assert.Contains("libe_sqlite3.so", names);
        }
    }
}
