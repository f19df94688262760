using System.Globalization;
using System.Reflection;
using System.Xml.Linq;
using CasAdmin.Module.Tests.Infrastructure;

namespace CasAdmin.Module.Tests;

/// <summary>
/// The deprovisioning and discovery cmdlets: the parameter sets, impacts and pipeline bindings that make
/// <c>Find-CasServiceAccount | Register-CasServiceAccount | Remove-CasServiceAccount</c> and
/// <c>Get-CasRemovalJob | Get-CasCleanupItem</c> work, and the views of their objects.
/// </summary>
public sealed class DeprovisioningContractTests(ModuleMetadata module) : IClassFixture<ModuleMetadata>
{
    private const string RemovalJob = "CasAdmin.Engine.Deprovisioning.CasRemovalJob";
    private const string RemovalStep = "CasAdmin.Engine.Deprovisioning.CasRemovalStep";
    private const string CleanupItem = "CasAdmin.Engine.Deprovisioning.CasCleanupItem";
    private const string Candidate = "CasAdmin.Engine.Accounts.CasServiceAccountCandidate";
    private const string ServiceAccount = "CasAdmin.Engine.Accounts.CasServiceAccount";
    private const string Switch = "System.Management.Automation.SwitchParameter";

    [Theory]
    [InlineData("Remove-CasServiceAccount", RemovalJob)]
    [InlineData("Get-CasRemovalJob", RemovalJob)]
    [InlineData("Get-CasCleanupItem", CleanupItem)]
    [InlineData("Find-CasServiceAccount", Candidate)]
    [InlineData("Register-CasServiceAccount", ServiceAccount)]
    public void Cmdlet_DeclaresItsOutputType(string name, string outputType) =>
        Assert.Equal([outputType], Cmdlet(name).OutputTypes);

    [Theory]
    [InlineData("Remove-CasServiceAccount", 3)]
    [InlineData("Register-CasServiceAccount", 2)]
    public void StateChangingCmdlets_HaveTheirConfirmImpact(string name, int impact)
    {
        var cmdlet = Cmdlet(name);
        Assert.True(cmdlet.SupportsShouldProcess);
        Assert.Equal(impact, cmdlet.ConfirmImpact);
    }

    [Theory]
    [InlineData("Get-CasRemovalJob")]
    [InlineData("Get-CasCleanupItem")]
    [InlineData("Find-CasServiceAccount")]
    public void Readers_HaveNoShouldProcess(string name) => Assert.False(Cmdlet(name).SupportsShouldProcess);

    [Fact]
    public void RemoveCasServiceAccount_HasTheAccountIdAndServiceSets_AccountIdByDefault()
    {
        var remove = Cmdlet("Remove-CasServiceAccount");
        Assert.Equal("AccountId", remove.DefaultParameterSetName);
        Assert.Equal(["AccountId", "Service"], remove.ParameterSets.Order(StringComparer.Ordinal));

        var accountId = remove.InSet("AccountId").Single(p => p.Parameter.Name == "AccountId");
        Assert.Equal("System.Guid", accountId.Parameter.Property.PropertyType.FullName);
        Assert.True(accountId.Declaration.Mandatory && accountId.Declaration.ValueFromPipelineByPropertyName && accountId.Declaration.Position == 0);
        Assert.DoesNotContain(remove.InSet("Service"), p => p.Parameter.Name == "AccountId");

        var service = remove.InSet("Service").Single(p => p.Parameter.Name == "Service");
        Assert.Equal("CasAdmin.Engine.Accounts.CasService", service.Parameter.Property.PropertyType.FullName);
        Assert.True(service.Declaration.Mandatory);
        Assert.False(service.Declaration.ValueFromPipelineByPropertyName, "-Service must not bind from a piped account: it would make the sets ambiguous.");

        foreach (var set in remove.ParameterSets)
        {
            var tenant = remove.InSet(set).Single(p => p.Parameter.Name == "TenantId");
            Assert.True(tenant.Declaration.ValueFromPipelineByPropertyName && !tenant.Declaration.Mandatory, $"-TenantId in set {set}");
        }

        Assert.DoesNotContain(remove.Parameters, p => p.Declarations.Any(d => d.ValueFromPipeline));
    }

    [Fact]
    public void RemoveCasServiceAccount_HasTheRemovalOptions()
    {
        var remove = Cmdlet("Remove-CasServiceAccount");
        foreach (var name in new[] { "Force", "RemoveApp", "Purge", "RemoveDelegateAccount" })
        {
            Assert.Equal(Switch, remove.Parameters.Single(p => p.Name == name).Property.PropertyType.FullName);
        }

        Assert.Equal("CasAdmin.Engine.Connections.CasConnection", remove.Parameters.Single(p => p.Name == "AdminConnection").Property.PropertyType.FullName);
        Assert.Equal("CasAdmin.Engine.Connections.CasConnection", remove.Parameters.Single(p => p.Name == "Connection").Property.PropertyType.FullName);
        var throttle = remove.Parameters.Single(p => p.Name == "ThrottleLimit");
        Assert.Equal("System.Int32", throttle.Property.PropertyType.FullName);
        var range = throttle.Property.GetCustomAttributesData().Single(a => a.AttributeType.Name == "ValidateRangeAttribute");
        Assert.Equal([1, 64], range.ConstructorArguments.Select(a => Convert.ToInt32(a.Value, CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void RemoveCasServiceAccount_BatchesInEndProcessing_AfterConfirmingInProcessRecord()
    {
        // Confirm on the pipeline thread, record by record (ShouldProcess may prompt only there), then one engine run for all.
        var type = Cmdlet("Remove-CasServiceAccount").Type;
        const BindingFlags Declared = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        Assert.NotNull(type.GetMethod("ProcessRecord", Declared));
        Assert.NotNull(type.GetMethod("EndProcessing", Declared));
    }

    [Theory]
    [InlineData(ServiceAccount)]
    [InlineData(RemovalJob)]
    public void ObjectsThatPipeIntoRemove_CarryAccountIdAndTenantId(string typeName)
    {
        var type = module.PublicType(typeName);
        Assert.Equal("System.Guid", type.GetProperty("AccountId")?.PropertyType.FullName);
        Assert.Equal("System.String", type.GetProperty("TenantId")?.PropertyType.FullName);
    }

    [Fact]
    public void RegisterCasServiceAccount_BindsEveryCandidateProperty_ByPropertyName()
    {
        var register = Cmdlet("Register-CasServiceAccount");
        var candidate = module.PublicType(Candidate);
        foreach (var name in new[] { "Service", "Kind", "AppId", "DelegateAccount", "DisplayName", "IsLegacy", "TenantId" })
        {
            var parameter = register.Parameters.Single(p => p.Name == name);
            Assert.All(parameter.Declarations, d => Assert.True(d.ValueFromPipelineByPropertyName, $"-{name} must bind from a candidate."));
            var property = candidate.GetProperty(name);
            Assert.True(property is not null, $"CasServiceAccountCandidate has no {name} property for -{name}.");
            var target = parameter.Property.PropertyType.FullName;
            var source = Underlying(property.PropertyType);
            Assert.True(target == source || (target == Switch && source == "System.Boolean"), $"-{name} is {target}; the candidate's {name} is {source}.");
        }

        Assert.Equal(["Service"], register.Parameters.Where(p => p.Declarations.Any(d => d.Mandatory)).Select(p => p.Name));
        Assert.Contains(register.Parameters, p => p.Name == "LicensingModel");
    }

    [Fact]
    public void GetCasRemovalJob_FiltersByJobAccountTenantAndStatus_FromTheRegistry()
    {
        var get = Cmdlet("Get-CasRemovalJob");
        foreach (var name in new[] { "JobId", "AccountId", "TenantId" })
        {
            Assert.All(get.Parameters.Single(p => p.Name == name).Declarations, d => Assert.True(d.ValueFromPipelineByPropertyName && !d.Mandatory, name));
        }

        Assert.Equal("CasAdmin.Engine.Deprovisioning.RemovalJobStatus", Underlying(get.Parameters.Single(p => p.Name == "Status").Property.PropertyType));
        Assert.Contains(get.Parameters, p => p.Name == "StorePath");
        Assert.Contains(get.Parameters, p => p.Name == "Connection");
    }

    [Fact]
    public void GetCasCleanupItem_BindsARemovalJob_ByPropertyName()
    {
        var get = Cmdlet("Get-CasCleanupItem");
        var job = module.PublicType(RemovalJob);
        foreach (var name in new[] { "JobId", "TenantId", "Service" })
        {
            var parameter = get.Parameters.Single(p => p.Name == name);
            Assert.All(parameter.Declarations, d => Assert.True(d.ValueFromPipelineByPropertyName && !d.Mandatory, name));
            var target = Underlying(parameter.Property.PropertyType);
            Assert.Equal(target, job.GetProperty(name)?.PropertyType.FullName);
        }

        Assert.Contains(get.Parameters, p => p.Name == "StorePath");
        Assert.Contains(get.Parameters, p => p.Name == "Connection");
    }

    [Fact]
    public void FindCasServiceAccount_IsConnected_AndTakesADelegatePrefix()
    {
        var find = Cmdlet("Find-CasServiceAccount");
        Assert.Contains(find.Parameters, p => p.Name == "Connection");
        Assert.Equal("System.String", find.Parameters.Single(p => p.Name == "DelegatePrefix").Property.PropertyType.FullName);
    }

    [Theory]
    [InlineData(RemovalJob, "Service,Tenant,Status,CurrentStep,Steps,TimeLeft,FinishedOn")]
    [InlineData(RemovalStep, "Ordinal,Name,Status,Duration,Detail")]
    [InlineData(CleanupItem, "Service,Kind,Name,Action")]
    [InlineData(Candidate, "TenantDomain,Service,Kind,AppId/DelegateAccount,Registered,Evidence")]
    public void TableViews_ShowTheAgreedColumns_InOrder(string typeName, string columns) =>
        Assert.Equal(columns.Split(','), View(typeName, "TableControl").Descendants("TableColumnHeader").Select(h => h.Element("Label")!.Value));

    [Fact]
    public void RemovalJob_ListView_ShowsEveryStep_AndTheRemainingChanges()
    {
        var list = View(RemovalJob, "ListControl");
        var items = list.Descendants("ListItem").ToArray();
        var steps = items.Single(i => i.Element("Label")?.Value == "Steps").Element("ScriptBlock")!.Value;
        Assert.Contains("$_.Steps", steps, StringComparison.Ordinal);
        Assert.Contains("NewLine", steps, StringComparison.Ordinal);
        Assert.Contains(items, i => i.Element("Label")?.Value == "RemainingChanges");
        foreach (var property in new[] { "JobId", "AccountId", "AppId", "Status", "Error", "RecommendedAction" })
        {
            Assert.Contains(property, list.Descendants("PropertyName").Select(p => p.Value.Trim()));
        }
    }

    [Theory]
    [InlineData(CleanupItem, "Location,Reason,Action")]
    [InlineData(Candidate, "DisplayName,IsLegacy,Evidence")]
    public void ListViews_ShowWhatTheTableHides(string typeName, string properties) =>
        Assert.Empty(properties.Split(',').Except(View(typeName, "ListControl").Descendants("PropertyName").Select(p => p.Value.Trim())));

    [Fact]
    public void RemovalFailed_TheModulesOwnErrorId_IsDocumented()
    {
        var records = module.CmdletAssembly.GetType("CasAdmin.Base.ErrorRecords", throwOnError: true)!;
        var id = (string)records.GetField("RemovalFailed", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)!.GetRawConstantValue()!;
        var about = File.ReadAllText(Path.Combine(ModuleLayout.RepoRoot, "docs", "en-US", "about_CasAdmin.md"));
        Assert.Contains("- " + id + ":", about[about.IndexOf("## TROUBLESHOOTING NOTE", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    private ModuleMetadata.CmdletModel Cmdlet(string name) => module.Cmdlets.Single(c => c.Name == name);

    /// <summary>T of a Nullable&lt;T&gt; (by name: these are MetadataLoadContext types), else the type itself.</summary>
    private static string? Underlying(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition().FullName == "System.Nullable`1" ? type.GetGenericArguments()[0].FullName : type.FullName;

    private static XElement View(string typeName, string control) =>
        XDocument.Load(ModuleLayout.ModuleFile("CasAdmin.Format.ps1xml")).Descendants("View")
            .Single(v => v.Element(control) is not null && v.Descendants("TypeName").Any(t => t.Value == typeName));
}
