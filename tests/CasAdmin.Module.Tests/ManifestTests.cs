using System.Xml.Linq;
using CasAdmin.Module.Tests.Infrastructure;

namespace CasAdmin.Module.Tests;

/// <summary>The assembled module folder: manifest, formats and help agree with the compiled cmdlets.</summary>
public sealed class ManifestTests(ModuleMetadata module) : IClassFixture<ModuleMetadata>
{
    private static string Manifest => File.ReadAllText(ModuleLayout.ModuleFile("CasAdmin.psd1"));

    [Fact]
    public void CmdletsToExport_EqualsTheCompiledCmdlets()
    {
        var exported = Psd1.Strings(Manifest, "CmdletsToExport");
        Assert.NotNull(exported);
        Assert.Equal(module.Cmdlets.Select(c => c.Name).Order(StringComparer.Ordinal), exported.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("CmdletsToExport")]
    [InlineData("FunctionsToExport")]
    [InlineData("VariablesToExport")]
    [InlineData("AliasesToExport")]
    public void Exports_AreExplicit_NeverWildcards(string key)
    {
        var values = Psd1.Strings(Manifest, key);
        Assert.True(values is not null, $"The manifest does not set {key} explicitly.");
        Assert.DoesNotContain(values, v => v.Contains('*') || v.Contains('?'));
    }

    [Fact]
    public void Manifest_LoadsCasAdminDll_AtTheBuildVersion_OnPowerShellCore()
    {
        Assert.Equal(["CasAdmin.dll"], Psd1.Strings(Manifest, "RootModule"));
        Assert.Equal([ModuleLayout.Version], Psd1.Strings(Manifest, "ModuleVersion"));
        Assert.Equal(["Core"], Psd1.Strings(Manifest, "CompatiblePSEditions"));
        Assert.Equal(["7.4"], Psd1.Strings(Manifest, "PowerShellVersion"));
    }

    [Fact]
    public void FormatsToProcess_Exist_AndNameOnlyPublicCasAdminTypes()
    {
        var formats = Psd1.Strings(Manifest, "FormatsToProcess");
        Assert.NotNull(formats);
        Assert.NotEmpty(formats);
        foreach (var format in formats)
        {
            var typeNames = XDocument.Load(ModuleLayout.ModuleFile(format)).Descendants("TypeName").Select(e => e.Value.Trim()).Distinct().ToArray();
            Assert.NotEmpty(typeNames);
            foreach (var name in typeNames)
            {
                var type = module.FindType(name);
                Assert.True(type is { IsPublic: true }, $"{format} formats {name}, which is not a public type of CasAdmin or CasAdmin.Engine.");
            }
        }
    }

    [Fact]
    public void EveryCasAdminOutputType_HasATableView()
    {
        var formats = Psd1.Strings(Manifest, "FormatsToProcess") ?? [];
        var tabled = formats
            .SelectMany(f => XDocument.Load(ModuleLayout.ModuleFile(f)).Descendants("View"))
            .Where(v => v.Element("TableControl") is not null)
            .SelectMany(v => v.Descendants("TypeName").Select(t => t.Value.Trim()))
            .ToHashSet(StringComparer.Ordinal);
        var outputs = module.Cmdlets.SelectMany(c => c.OutputTypes).Where(t => t.StartsWith("CasAdmin.", StringComparison.Ordinal)).Distinct().ToArray();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, t => Assert.True(tabled.Contains(t), $"{t} has no table view in the module's formats."));
    }

    [Fact]
    public void FormatFile_ColumnsAndListItems_AreProperties_OfTheFormattedType()
    {
        foreach (var view in XDocument.Load(ModuleLayout.ModuleFile("CasAdmin.Format.ps1xml")).Descendants("View"))
        {
            var typeName = view.Descendants("TypeName").First().Value.Trim();
            var type = module.FindType(typeName);
            Assert.NotNull(type);
            foreach (var property in view.Descendants("PropertyName").Select(p => p.Value.Trim()))
            {
                Assert.True(type.GetProperty(property) is not null, $"View {view.Element("Name")?.Value} of {typeName} shows {property}, which the type does not have.");
            }

            var headers = view.Descendants("TableColumnHeader").Count();
            var items = view.Descendants("TableColumnItem").Count();
            Assert.Equal(headers, items);
        }
    }

    [Fact]
    public void CasConnection_TableView_ShowsTheConnectionColumns_InOrder()
    {
        var table = XDocument.Load(ModuleLayout.ModuleFile("CasAdmin.Format.ps1xml")).Descendants("View")
            .Single(v => v.Element("TableControl") is not null && v.Descendants("TypeName").Any(t => t.Value == "CasAdmin.Engine.Connections.CasConnection"));
        Assert.Equal(
            ["TenantId", "TenantDomain", "SignInMode", "Account", "AppId", "Environment", "ExpiresOn", "IsDefault"],
            table.Descendants("TableColumnHeader").Select(h => h.Element("Label")!.Value));
    }

    [Fact]
    public void EveryCmdlet_HasAHelpPage_CoveringEveryParameter()
    {
        var missing = new List<string>();
        foreach (var cmdlet in module.Cmdlets)
        {
            var page = Path.Combine(ModuleLayout.RepoRoot, "docs", "en-US", cmdlet.Name + ".md");
            if (!File.Exists(page))
            {
                missing.Add($"docs/en-US/{cmdlet.Name}.md");
                continue;
            }

            var text = File.ReadAllText(page);
            missing.AddRange(cmdlet.Parameters.Where(p => !text.Contains("### -" + p.Name, StringComparison.Ordinal)).Select(p => $"{cmdlet.Name}.md: ### -{p.Name}"));
        }

        Assert.Empty(missing);
    }

    [Fact]
    public void ModuleFolder_HasNoIsolatedAssemblyNextToCasAdminDll()
    {
        // Anything beside CasAdmin.dll is loaded into the default context by PowerShell's probing: third-party
        // assemblies belong under dependencies/.
        var topLevel = Directory.GetFiles(ModuleLayout.ModuleFolder, "*.dll").Select(f => Path.GetFileName(f)).ToArray();
        Assert.Equal(["CasAdmin.Model.dll", "CasAdmin.dll"], topLevel.Order(StringComparer.Ordinal));
        Assert.True(File.Exists(Path.Combine(ModuleLayout.DependenciesFolder, "CasAdmin.Engine.dll")));
        Assert.True(File.Exists(Path.Combine(ModuleLayout.DependenciesFolder, "Microsoft.Identity.Client.dll")));
    }
}
