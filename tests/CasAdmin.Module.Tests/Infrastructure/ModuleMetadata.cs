using System.Collections.ObjectModel;
using System.Reflection;

namespace CasAdmin.Module.Tests.Infrastructure;

/// <summary>
/// The compiled module read as metadata (MetadataLoadContext): nothing is executed, so the reference-only
/// System.Management.Automation of PowerShellStandard.Library serves to resolve PowerShell's attribute types.
/// </summary>
public sealed class ModuleMetadata : IDisposable
{
    public const string AllParameterSets = "__AllParameterSets";

    private readonly MetadataLoadContext context;

    public ModuleMetadata()
    {
        // First one wins by simple name: PowerShell, the module, its dependencies, then the BCL.
        var files = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        void Add(string path) => files.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        Add(ModuleLayout.AutomationReferencePath);
        Add(ModuleLayout.CmdletAssemblyPath);
        Add(ModuleLayout.ModelAssemblyPath);
        foreach (var dll in Directory.GetFiles(ModuleLayout.DependenciesFolder, "*.dll"))
        {
            Add(dll);
        }

        foreach (var dll in Directory.GetFiles(ModuleLayout.RuntimeDirectory, "*.dll"))
        {
            Add(dll);
        }

        context = new MetadataLoadContext(new PathAssemblyResolver(files.Values));
        CmdletAssembly = context.LoadFromAssemblyPath(ModuleLayout.CmdletAssemblyPath);
        EngineAssembly = context.LoadFromAssemblyName("CasAdmin.Engine");
        ModelAssembly = context.LoadFromAssemblyName("CasAdmin.Model");
        Automation = context.LoadFromAssemblyName("System.Management.Automation");
        CmdletBase = Automation.GetType("System.Management.Automation.Cmdlet", throwOnError: true)!;
        Cmdlets = CmdletAssembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && CmdletBase.IsAssignableFrom(t))
            .Select(t => new CmdletModel(t))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToArray();
    }

    public Assembly CmdletAssembly { get; }

    public Assembly EngineAssembly { get; }

    /// <summary>CasAdmin.Model: the output types, enums and CasConnection, loaded in PowerShell's default context.</summary>
    public Assembly ModelAssembly { get; }

    /// <summary>A public type of the module by full name: the model's, the engine's or the cmdlets'; null when none has it.</summary>
    public Type? FindType(string fullName) =>
        ModelAssembly.GetType(fullName) ?? EngineAssembly.GetType(fullName) ?? CmdletAssembly.GetType(fullName);

    /// <summary>Like <see cref="FindType"/>, but a missing type fails the test.</summary>
    public Type PublicType(string fullName) => FindType(fullName) ?? throw new TypeLoadException($"No type {fullName} in CasAdmin.Model, CasAdmin.Engine or CasAdmin.");

    public Assembly Automation { get; }

    public Type CmdletBase { get; }

    /// <summary>Every concrete Cmdlet-derived class of CasAdmin.dll, with or without a CmdletAttribute.</summary>
    public IReadOnlyList<CmdletModel> Cmdlets { get; }

    public Type AutomationType(string fullName) => Automation.GetType(fullName, throwOnError: true)!;

    public void Dispose() => context.Dispose();

    /// <summary>What PowerShell reads from a cmdlet class, as plain values.</summary>
    public sealed class CmdletModel
    {
        public CmdletModel(Type type)
        {
            Type = type;
            var cmdlet = type.GetCustomAttributesData().SingleOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute");
            HasCmdletAttribute = cmdlet is not null;
            if (cmdlet is not null)
            {
                Verb = (string)cmdlet.ConstructorArguments[0].Value!;
                Noun = (string)cmdlet.ConstructorArguments[1].Value!;
                DefaultParameterSetName = Named<string>(cmdlet, "DefaultParameterSetName");
                SupportsShouldProcess = Named<bool?>(cmdlet, "SupportsShouldProcess") ?? false;
                var impact = cmdlet.NamedArguments.Where(a => a.MemberName == "ConfirmImpact").Select(a => (int?)Convert.ToInt32(a.TypedValue.Value, System.Globalization.CultureInfo.InvariantCulture)).SingleOrDefault();
                ConfirmImpact = impact;
            }

            OutputTypes = type.GetCustomAttributesData()
                .Where(a => a.AttributeType.FullName == "System.Management.Automation.OutputTypeAttribute")
                .SelectMany(a => a.ConstructorArguments)
                .SelectMany(arg => arg.Value is ReadOnlyCollection<CustomAttributeTypedArgument> items ? items.Select(i => i.Value) : [arg.Value])
                .Select(v => v switch { Type t => t.FullName!, string s => s, _ => v?.ToString() ?? string.Empty })
                .ToArray();

            Parameters = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Select(p => new ParameterModel(p))
                .Where(p => p.Declarations.Count > 0)
                .ToArray();

            var named = Parameters.SelectMany(p => p.Declarations).Select(d => d.SetName).Where(n => n != AllParameterSets).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
            ParameterSets = named.Length == 0 ? [AllParameterSets] : named;
        }

        public Type Type { get; }

        public bool HasCmdletAttribute { get; }

        public string Verb { get; } = string.Empty;

        public string Noun { get; } = string.Empty;

        public string Name => Verb + "-" + Noun;

        public string? DefaultParameterSetName { get; }

        public bool SupportsShouldProcess { get; }

        /// <summary>The ConfirmImpact the attribute sets explicitly (None=0, Low=1, Medium=2, High=3), null when it relies on the default.</summary>
        public int? ConfirmImpact { get; }

        public IReadOnlyList<string> OutputTypes { get; }

        public IReadOnlyList<ParameterModel> Parameters { get; }

        public IReadOnlyList<string> ParameterSets { get; }

        /// <summary>The parameters of a set: those declared in it and those declared for all sets.</summary>
        public IEnumerable<(ParameterModel Parameter, ParameterDeclaration Declaration)> InSet(string set) =>
            Parameters.SelectMany(p => p.Declarations
                .Where(d => string.Equals(d.SetName, set, StringComparison.OrdinalIgnoreCase) || d.SetName == AllParameterSets)
                .Select(d => (p, d)));

        public override string ToString() => Name;

        private static T? Named<T>(CustomAttributeData data, string name) =>
            data.NamedArguments.Where(a => a.MemberName == name).Select(a => (T?)a.TypedValue.Value).SingleOrDefault();
    }

    public sealed class ParameterModel
    {
        public ParameterModel(PropertyInfo property)
        {
            Property = property;
            Declarations = property.GetCustomAttributesData()
                .Where(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute")
                .Select(a => new ParameterDeclaration(
                    Named(a, "ParameterSetName") as string ?? AllParameterSets,
                    Named(a, "Mandatory") as bool? ?? false,
                    Named(a, "Position") as int? ?? int.MinValue,
                    Named(a, "ValueFromPipeline") as bool? ?? false,
                    Named(a, "ValueFromPipelineByPropertyName") as bool? ?? false))
                .ToArray();
        }

        public PropertyInfo Property { get; }

        public string Name => Property.Name;

        public IReadOnlyList<ParameterDeclaration> Declarations { get; }

        public override string ToString() => Name;

        private static object? Named(CustomAttributeData data, string name) =>
            data.NamedArguments.Where(a => a.MemberName == name).Select(a => a.TypedValue.Value).SingleOrDefault();
    }

    public sealed record ParameterDeclaration(string SetName, bool Mandatory, int Position, bool ValueFromPipeline, bool ValueFromPipelineByPropertyName)
    {
        public bool IsPositional => Position != int.MinValue;
    }
}
