using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace CasAdmin.Loader;

/// <summary>
/// Runs when PowerShell imports the module: hooks the default context's resolver so that the one name
/// <c>CasAdmin.Engine</c> loads from <c>dependencies/</c> into <see cref="EngineLoadContext"/>, and unhooks it
/// when the module is removed. Nothing else happens at import: no network, no token cache, no database.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly object Gate = new();
    private static Func<AssemblyLoadContext, AssemblyName, Assembly?>? handler;

    public void OnImport()
    {
        lock (Gate)
        {
            if (handler is not null)
            {
                return;
            }

            handler = EngineLoadContext.ForThisModule().ResolveEngine;
            AssemblyLoadContext.Default.Resolving += handler;
        }
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        lock (Gate)
        {
            if (handler is null)
            {
                return;
            }

            AssemblyLoadContext.Default.Resolving -= handler;
            handler = null;
        }
    }
}
