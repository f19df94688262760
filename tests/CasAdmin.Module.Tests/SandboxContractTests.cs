using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Xml.Linq;
using CasAdmin.Module.Tests.Infrastructure;

namespace CasAdmin.Module.Tests;

/// <summary>
/// Start-CasSandbox and Stop-CasSandbox, and the sandbox that ships in the module folder (sandbox/): framework-dependent
/// on .NET 10 with ASP.NET Core, complete, and kept apart from the cmdlets and the engine.
/// </summary>
public sealed class SandboxContractTests(ModuleMetadata module) : IClassFixture<ModuleMetadata>
{
    private const string Sandbox = "CasAdmin.Engine.Sandbox.CasSandbox";
    private const string SandboxTenant = "CasAdmin.Engine.Sandbox.CasSandboxTenant";
    private const string Switch = "System.Management.Automation.SwitchParameter";

    private static string SandboxFolder => Path.Combine(ModuleLayout.ModuleFolder, "sandbox");

    [Fact]
    public void StartCasSandbox_ReturnsTheSandbox_AndWithConnectItsConnections()
    {
        var start = Cmdlet("Start-CasSandbox");
        Assert.Equal([Sandbox, "CasAdmin.Engine.Connections.CasConnection"], start.OutputTypes);
        Assert.True(start.SupportsShouldProcess);
        Assert.Equal(1, start.ConfirmImpact);
        Assert.Equal(Switch, Type(start, "Connect"));
        Assert.Equal("System.String", Type(start, "Scenario"));
        Assert.Equal("System.Double", Type(start, "Scale"));
        Assert.Equal("System.Int32", Type(start, "Port"));
        Assert.Equal("System.Int32", Type(start, "TimeoutSeconds"));
        Assert.Equal("System.String", Type(start, "SandboxPath"));
        Assert.Equal("System.String", Type(start, "StorePath"));
        Assert.DoesNotContain(start.Parameters, p => p.Declarations.Any(d => d.Mandatory));
    }

    [Fact]
    public void StopCasSandbox_TakesTheSandboxOrItsConnectionsFromThePipeline_OrAll()
    {
        var stop = Cmdlet("Stop-CasSandbox");
        Assert.Equal("ProcessId", stop.DefaultParameterSetName);
        Assert.Equal(["All", "Connection", "ProcessId"], stop.ParameterSets.Order(StringComparer.Ordinal));
        var connection = stop.InSet("Connection").Single(p => p.Parameter.Name == "Connection");
        Assert.True(connection.Declaration.Mandatory && connection.Declaration.ValueFromPipeline);
        Assert.Equal("CasAdmin.Engine.Connections.CasConnection[]", connection.Parameter.Property.PropertyType.FullName);
        var processId = stop.InSet("ProcessId").Single(p => p.Parameter.Name == "ProcessId");
        Assert.True(processId.Declaration.Mandatory && processId.Declaration.ValueFromPipelineByPropertyName && processId.Declaration.Position == 0);
        Assert.Equal("System.Int32", module.PublicType(Sandbox).GetProperty("ProcessId")?.PropertyType.FullName);
        Assert.True(stop.InSet("All").Single(p => p.Parameter.Name == "All").Declaration.Mandatory);
        Assert.True(stop.SupportsShouldProcess);
        Assert.Equal(1, stop.ConfirmImpact);
        Assert.Empty(stop.OutputTypes);
    }

    [Theory]
    [InlineData(Sandbox, "ProcessId,Url,Scenario,Scale,Tenants")]
    [InlineData(SandboxTenant, "Domain,TenantId,AdminAppId,AdminUser")]
    public void TableViews_ShowTheAgreedColumns_InOrder(string typeName, string columns)
    {
        var table = XDocument.Load(ModuleLayout.ModuleFile("CasAdmin.Format.ps1xml")).Descendants("View")
            .Single(v => v.Element("TableControl") is not null && v.Descendants("TypeName").Any(t => t.Value == typeName));
        Assert.Equal(columns.Split(','), table.Descendants("TableColumnHeader").Select(h => h.Element("Label")!.Value));
    }

    [Fact]
    public void NoView_ShowsTheSandboxTenantsAdminAppSecret()
    {
        var views = XDocument.Load(ModuleLayout.ModuleFile("CasAdmin.Format.ps1xml")).Descendants("View").ToArray();
        Assert.Contains(views, v => v.Descendants("TypeName").Any(t => t.Value == Sandbox));
        foreach (var view in views)
        {
            Assert.DoesNotContain("AdminAppSecret", view.ToString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("CasAdmin.Sandbox.dll")]
    [InlineData("CasAdmin.Sandbox.deps.json")]
    [InlineData("CasAdmin.Sandbox.runtimeconfig.json")]
    public void ModuleFolder_ShipsTheSandbox(string file) => ModuleLayout.ModuleFile(Path.Combine("sandbox", file));

    [Fact]
    public void ShippedSandbox_RunsOnNet10_WithAspNetCore()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(ModuleLayout.ModuleFile(Path.Combine("sandbox", "CasAdmin.Sandbox.runtimeconfig.json"))));
        var options = config.RootElement.GetProperty("runtimeOptions");
        Assert.StartsWith("net10.", options.GetProperty("tfm").GetString(), StringComparison.Ordinal);
        var frameworks = options.TryGetProperty("frameworks", out var list)
            ? list.EnumerateArray().Select(f => f.GetProperty("name").GetString()).ToArray()
            : [options.GetProperty("framework").GetProperty("name").GetString()];
        Assert.Contains("Microsoft.AspNetCore.App", frameworks);
    }

    [Fact]
    public void ShippedSandbox_FindsEveryAssemblyItReferences_InItsFolderOrTheSharedFrameworks()
    {
        // The shared frameworks of the running .NET: Microsoft.NETCore.App/<v>/ and Microsoft.AspNetCore.App/<v>/.
        var netCore = new DirectoryInfo(ModuleLayout.RuntimeDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var aspNet = Path.Combine(netCore.Parent!.Parent!.FullName, "Microsoft.AspNetCore.App");
        Assert.True(Directory.Exists(aspNet), $"No Microsoft.AspNetCore.App shared framework next to {netCore.FullName}: the sandbox needs it.");
        var available = Directory.GetFiles(netCore.FullName, "*.dll")
            .Concat(Directory.GetDirectories(aspNet).SelectMany(d => Directory.GetFiles(d, "*.dll")))
            .Concat(Directory.GetFiles(SandboxFolder, "*.dll"))
            .Select(Path.GetFileNameWithoutExtension)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

        var missing = new List<string>();
        foreach (var dll in Directory.GetFiles(SandboxFolder, "*.dll"))
        {
            using var stream = File.OpenRead(dll);
            using var pe = new PEReader(stream);
            var metadata = pe.GetMetadataReader();
            foreach (var handle in metadata.AssemblyReferences)
            {
                var name = metadata.GetString(metadata.GetAssemblyReference(handle).Name);
                if (!available.Contains(name) && name is not ("netstandard" or "mscorlib"))
                {
                    missing.Add($"{Path.GetFileName(dll)} -> {name}");
                }
            }
        }

        Assert.Empty(missing);
    }

    [Fact]
    public void ShippedSandbox_StaysOutOfTheCmdletsAndTheEngine()
    {
        // Nothing of ASP.NET Core or the sandbox where PowerShell or the engine's load context would find it.
        Assert.False(File.Exists(Path.Combine(ModuleLayout.ModuleFolder, "CasAdmin.Sandbox.dll")));
        Assert.False(File.Exists(Path.Combine(ModuleLayout.DependenciesFolder, "CasAdmin.Sandbox.dll")));
        Assert.Empty(Directory.GetFiles(ModuleLayout.DependenciesFolder, "Microsoft.AspNetCore*.dll"));
        Assert.DoesNotContain(module.EngineAssembly.GetReferencedAssemblies(), r => r.Name!.StartsWith("CasAdmin.Sandbox", StringComparison.Ordinal)
            || r.Name!.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    [Fact]
    public void ModuleFileList_NamesTheSandboxFiles_Explicitly()
    {
        var props = XDocument.Load(Path.Combine(ModuleLayout.RepoRoot, "build", "ModuleFiles.props"));
        var listed = props.Descendants("CasAdminModuleFile").Select(e => e.Attribute("Include")!.Value)
            .Where(v => v.StartsWith("sandbox/", StringComparison.Ordinal)).ToArray();
        Assert.DoesNotContain(listed, v => v.Contains('*', StringComparison.Ordinal));
        var shipped = Directory.GetFiles(SandboxFolder).Select(f => "sandbox/" + Path.GetFileName(f)).Order(StringComparer.Ordinal);
        Assert.Equal(listed.Order(StringComparer.Ordinal), shipped);
    }

    private ModuleMetadata.CmdletModel Cmdlet(string name) => module.Cmdlets.Single(c => c.Name == name);

    private static string? Type(ModuleMetadata.CmdletModel cmdlet, string parameter) =>
        cmdlet.Parameters.Single(p => p.Name == parameter).Property.PropertyType.FullName;
}
