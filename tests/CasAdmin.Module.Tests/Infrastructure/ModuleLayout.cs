using System.Reflection;
using System.Runtime.InteropServices;
using System.Xml.Linq;

namespace CasAdmin.Module.Tests.Infrastructure;

/// <summary>Where the assembled module and the inputs of these tests are.</summary>
internal static class ModuleLayout
{
    private static readonly Lazy<string> Root = new(FindRepoRoot);
    private static readonly Lazy<string> ModuleVersion = new(ReadVersion);

    /// <summary>The folder holding CasAdmin.sln.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary><c>CasAdminVersion</c> from Directory.Build.props.</summary>
    public static string Version => ModuleVersion.Value;

    /// <summary><c>out/CasAdmin/&lt;version&gt;/</c>, assembled by the build.</summary>
    public static string ModuleFolder => Path.Combine(RepoRoot, "out", "CasAdmin", Version);

    public static string DependenciesFolder => Path.Combine(ModuleFolder, "dependencies");

    public static string CmdletAssemblyPath => ModuleFile("CasAdmin.dll");

    public static string ModelAssemblyPath => ModuleFile("CasAdmin.Model.dll");

    public static string EngineAssemblyPath => ModuleFile(Path.Combine("dependencies", "CasAdmin.Engine.dll"));

    /// <summary>System.Management.Automation from PowerShellStandard.Library (reference-only: for metadata, never for running).</summary>
    public static string AutomationReferencePath
    {
        get
        {
            var path = Path.Combine(Metadata("PowerShellStandardLibrary"), "lib", "netstandard2.0", "System.Management.Automation.dll");
            Assert.True(File.Exists(path), $"PowerShellStandard.Library's System.Management.Automation.dll is missing at {path}.");
            return path;
        }
    }

    public static string NuGetPackageRoot => Metadata("NuGetPackageRoot");

    /// <summary>The build configuration of this test run (Release or Debug), for build outputs outside the module folder.</summary>
    public static string Configuration => Metadata("Configuration");

    /// <summary>The runtime's own assemblies (the BCL), for MetadataLoadContext and for "is this the BCL" questions.</summary>
    public static string RuntimeDirectory => RuntimeEnvironment.GetRuntimeDirectory();

    /// <summary>A file of the assembled module; fails the test with the reason when the module has not been built.</summary>
    public static string ModuleFile(string relativePath)
    {
        var path = Path.Combine(ModuleFolder, relativePath);
        Assert.True(File.Exists(path), $"{relativePath} is missing from the module folder {ModuleFolder}. Build the solution first (the build assembles the module).");
        return path;
    }

    private static string Metadata(string key)
    {
        var value = typeof(ModuleLayout).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value;
        Assert.False(string.IsNullOrEmpty(value), $"The test assembly has no AssemblyMetadata '{key}' (see the test project file).");
        return value!;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CasAdmin.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No CasAdmin.sln above {AppContext.BaseDirectory}.");
    }

    private static string ReadVersion()
    {
        var props = XDocument.Load(Path.Combine(RepoRoot, "Directory.Build.props"));
        var version = props.Descendants().FirstOrDefault(e => e.Name.LocalName == "CasAdminVersion")?.Value.Trim();
        return string.IsNullOrEmpty(version) ? throw new InvalidOperationException("Directory.Build.props has no CasAdminVersion.") : version;
    }
}
