using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace CasAdmin.Loader;

/// <summary>
/// The private load context of the engine and every third-party assembly it uses (MSAL, Microsoft.Graph,
/// Kiota, Polly, SQLite…), all shipped in the module's <c>dependencies/</c> folder. Other modules in the same
/// session (Az, Microsoft.Graph, PnP.PowerShell) keep their own versions in the default context.
/// </summary>
/// <remarks>
/// Uses the BCL only: it must load (and its tests must run) where System.Management.Automation is absent.
/// Modelled on msgraph-sdk-powershell's <c>GraphAssemblyLoadContext</c>.
/// </remarks>
internal sealed class EngineLoadContext : AssemblyLoadContext
{
    /// <summary>The one assembly the default context hands over to this context.</summary>
    public const string EngineAssemblyName = "CasAdmin.Engine";

    /// <summary>The module sub-folder this context loads from.</summary>
    public const string DependenciesFolderName = "dependencies";

    private static readonly ConcurrentDictionary<string, EngineLoadContext> Contexts = new(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    /// <summary>Assemblies that must have one identity in the process: PowerShell's own.</summary>
    private static readonly string[] SharedPrefixes = ["System.Management.Automation", "Microsoft.PowerShell."];

    private readonly string frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location) ?? string.Empty;
    private readonly ConcurrentDictionary<string, Version?> frameworkVersions = new(StringComparer.OrdinalIgnoreCase);

    private EngineLoadContext(string dependenciesDirectory)
        : base("CasAdmin.Engine", isCollectible: false)
    {
        DependenciesDirectory = dependenciesDirectory;
    }

    /// <summary>The folder of the engine and its dependencies: <c>&lt;module folder&gt;/dependencies</c>.</summary>
    public string DependenciesDirectory { get; }

    /// <summary>The context of the module this assembly was loaded from.</summary>
    public static EngineLoadContext ForThisModule() =>
        ForModuleFolder(Path.GetDirectoryName(typeof(EngineLoadContext).Assembly.Location)
            ?? throw new InvalidOperationException("The CasAdmin assembly has no location on disk."));

    /// <summary>The one context of a module folder (the folder holding CasAdmin.dll); created on first use.</summary>
    public static EngineLoadContext ForModuleFolder(string moduleFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(moduleFolder);
        var dependencies = Path.GetFullPath(Path.Combine(moduleFolder, DependenciesFolderName));
        return Contexts.GetOrAdd(dependencies, static d => new EngineLoadContext(d));
    }

    /// <summary>The assembly of the types scripts name; it sits beside CasAdmin.dll and loads into the default context.</summary>
    public const string ModelAssemblyName = "CasAdmin.Model";

    /// <summary>
    /// The default context's <c>Resolving</c> handler: resolves <c>CasAdmin.Engine</c> through this context and
    /// <c>CasAdmin.Model</c> from the module folder into the default context (the manifest's RequiredAssemblies
    /// normally loaded it already); leaves every other name to whoever else resolves it.
    /// </summary>
    public Assembly? ResolveEngine(AssemblyLoadContext requestingContext, AssemblyName name)
    {
        if (string.Equals(name.Name, EngineAssemblyName, StringComparison.OrdinalIgnoreCase))
        {
            return LoadFromAssemblyName(name);
        }

        return string.Equals(name.Name, ModelAssemblyName, StringComparison.OrdinalIgnoreCase) ? LoadModel() : null;
    }

    /// <summary>
    /// The one copy of CasAdmin.Model: the one already in the default context, else the module folder's, loaded
    /// there. The engine and the cmdlets must share it, or a CasServiceAccount of one would not be one of the other.
    /// </summary>
    private static Assembly? LoadModel()
    {
        var loaded = Default.Assemblies.FirstOrDefault(a => string.Equals(a.GetName().Name, ModelAssemblyName, StringComparison.OrdinalIgnoreCase));
        if (loaded is not null)
        {
            return loaded;
        }

        var path = Path.Combine(Path.GetDirectoryName(typeof(EngineLoadContext).Assembly.Location) ?? string.Empty, ModelAssemblyName + ".dll");
        return File.Exists(path) ? Default.LoadFromAssemblyPath(path) : null;
    }

    /// <summary>
    /// Resolves an assembly found in <c>dependencies/</c>; defers to the default context (null) for the BCL,
    /// for PowerShell's own assemblies, and for anything not shipped with the module.
    /// </summary>
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var name = assemblyName.Name;
        if (string.IsNullOrEmpty(name) || IsShared(assemblyName))
        {
            return null;
        }

        if (string.Equals(name, ModelAssemblyName, StringComparison.OrdinalIgnoreCase))
        {
            return LoadModel();
        }

        var path = FindAssembly(name);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    /// <summary>
    /// The file of a managed assembly: the platform-specific build under <c>runtimes/&lt;rid&gt;/lib/&lt;tfm&gt;/</c> when
    /// there is one (e.g. ProtectedData's DPAPI implementation on Windows), else <c>dependencies/&lt;name&gt;.dll</c>.
    /// </summary>
    public string? FindAssembly(string name)
    {
        var file = name + ".dll";
        var runtimes = Path.Combine(DependenciesDirectory, "runtimes");
        if (Directory.Exists(runtimes))
        {
            foreach (var rid in RuntimeIdentifiers())
            {
                var lib = Path.Combine(runtimes, rid, "lib");
                if (!Directory.Exists(lib))
                {
                    continue;
                }

                var specific = Directory.GetDirectories(lib)
                    .Select(d => (Directory: d, Rank: TargetFrameworkRank(d)))
                    .Where(d => d.Rank.Family > 0)
                    .OrderByDescending(d => d.Rank)
                    .Select(d => d.Directory)
                    .Select(tfm => Path.Combine(tfm, file))
                    .FirstOrDefault(File.Exists);
                if (specific is not null)
                {
                    return specific;
                }
            }
        }

        var path = Path.Combine(DependenciesDirectory, file);
        return File.Exists(path) ? path : null;
    }

    /// <summary>Finds native libraries (SQLite's e_sqlite3) under <c>dependencies/runtimes/&lt;rid&gt;/native/</c>.</summary>
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = FindNativeLibrary(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }

    /// <summary>The file a native library name resolves to, or null (then the runtime's own probing continues).</summary>
    public string? FindNativeLibrary(string unmanagedDllName)
    {
        if (string.IsNullOrEmpty(unmanagedDllName) || Path.IsPathRooted(unmanagedDllName))
        {
            return null;
        }

        var runtimes = Path.Combine(DependenciesDirectory, "runtimes");
        foreach (var rid in RuntimeIdentifiers())
        {
            var native = Path.Combine(runtimes, rid, "native");
            foreach (var file in NativeFileNames(unmanagedDllName))
            {
                var candidate = Path.Combine(native, file);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>The runtime identifiers to probe, most specific first: the runtime's own, the portable one, the OS family.</summary>
    public static IReadOnlyList<string> RuntimeIdentifiers()
    {
        var rids = new List<string>(4) { RuntimeInformation.RuntimeIdentifier };
        var portable = PortableRuntimeIdentifier();
        var family = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() || OperatingSystem.IsMacCatalyst() ? "osx" : OperatingSystem.IsLinux() ? "linux" : null;
        foreach (var rid in new[] { portable, family, OperatingSystem.IsWindows() ? null : "unix" })
        {
            if (rid is not null && !rids.Contains(rid, StringComparer.OrdinalIgnoreCase))
            {
                rids.Add(rid);
            }
        }

        return rids;
    }

    /// <summary>Orders lib/ folders: net8.0 before net6.0 before netstandard2.1 before netstandard2.0; 0 = not for this runtime (net462, net8.0-windows).</summary>
    private static (int Family, Version Version) TargetFrameworkRank(string directory)
    {
        var tfm = Path.GetFileName(directory);
        if (tfm.StartsWith("netstandard", StringComparison.OrdinalIgnoreCase) && Version.TryParse(tfm["netstandard".Length..], out var standard))
        {
            return (1, standard);
        }

        if (tfm.StartsWith("netcoreapp", StringComparison.OrdinalIgnoreCase) && Version.TryParse(tfm["netcoreapp".Length..], out var core))
        {
            return (2, core);
        }

        // net5.0 and later; a platform suffix (net8.0-windows) is not ours to pick.
        if (tfm.StartsWith("net", StringComparison.OrdinalIgnoreCase) && !tfm.Contains('-') && Version.TryParse(tfm[3..], out var net) && net.Major >= 5
            && net.Major <= Environment.Version.Major)
        {
            return (2, net);
        }

        return (0, new Version(0, 0));
    }

    /// <summary>win-x64, linux-arm64, linux-musl-x64, osx-arm64…; null on a platform .NET has no portable RID for.</summary>
    public static string? PortableRuntimeIdentifier()
    {
        string os;
        if (OperatingSystem.IsWindows())
        {
            os = "win";
        }
        else if (OperatingSystem.IsMacOS() || OperatingSystem.IsMacCatalyst())
        {
            os = "osx";
        }
        else if (OperatingSystem.IsLinux())
        {
            os = IsMusl() ? "linux-musl" : "linux";
        }
        else if (OperatingSystem.IsFreeBSD())
        {
            os = "freebsd";
        }
        else
        {
            return null;
        }

        var arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.X86 => "x86",
            Architecture.Arm64 => "arm64",
            Architecture.Arm => "arm",
            Architecture.S390x => "s390x",
            Architecture.Ppc64le => "ppc64le",
            Architecture.LoongArch64 => "loongarch64",
            _ => null,
        };
        return arch is null ? null : os + "-" + arch;
    }

    /// <summary>The file names a library name can have on this platform: as given, then with the platform's prefix and suffix.</summary>
    public static IReadOnlyList<string> NativeFileNames(string name)
    {
        var names = new List<string>(4) { name };
        void Add(string candidate)
        {
            if (!names.Contains(candidate, StringComparer.Ordinal))
            {
                names.Add(candidate);
            }
        }

        if (OperatingSystem.IsWindows())
        {
            Add(name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? name : name + ".dll");
        }
        else
        {
            var suffix = OperatingSystem.IsMacOS() || OperatingSystem.IsMacCatalyst() ? ".dylib" : ".so";
            var withSuffix = name.EndsWith(suffix, StringComparison.Ordinal) ? name : name + suffix;
            Add(name.StartsWith("lib", StringComparison.Ordinal) ? withSuffix : "lib" + withSuffix);
            Add(withSuffix);
        }

        return names;
    }

    /// <summary>
    /// True for what this context never loads itself: PowerShell's assemblies (one identity per process) and the
    /// BCL, meaning an assembly of the shared framework at the requested version or higher. (A package that ships
    /// a newer System.* than the framework's lands in dependencies/ and is loaded here.)
    /// </summary>
    private bool IsShared(AssemblyName assemblyName)
    {
        var name = assemblyName.Name!;
        if (SharedPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase))
            || string.Equals(name, "netstandard", StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, "mscorlib", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var framework = frameworkVersions.GetOrAdd(name, n =>
        {
            var path = Path.Combine(frameworkDirectory, n + ".dll");
            try
            {
                return File.Exists(path) ? AssemblyName.GetAssemblyName(path).Version ?? new Version(0, 0) : null;
            }
            catch (Exception ex) when (ex is IOException or BadImageFormatException or UnauthorizedAccessException)
            {
                return null;
            }
        });
        return framework is not null && (assemblyName.Version is null || framework >= assemblyName.Version);
    }

    private static bool IsMusl()
    {
        // RuntimeInformation.RuntimeIdentifier is already linux-musl-* on portable musl builds; distro builds say e.g. alpine.3.20-x64.
        var rid = RuntimeInformation.RuntimeIdentifier;
        return rid.Contains("musl", StringComparison.OrdinalIgnoreCase) || rid.StartsWith("alpine", StringComparison.OrdinalIgnoreCase);
    }
}
