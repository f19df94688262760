using System.Xml.Linq;
using CasAdmin.Module.Tests.Infrastructure;

namespace CasAdmin.Module.Tests;

/// <summary>The Teams Chat provisioning and account cmdlets: what scripts and pipelines rely on.</summary>
public sealed class TeamsChatContractTests(ModuleMetadata module) : IClassFixture<ModuleMetadata>
{
    private const string SecureString = "System.Security.SecureString";
    private const string ServiceAccount = "CasAdmin.Engine.Accounts.CasServiceAccount";
    private const string TeamsChatApp = "CasAdmin.Engine.Provisioning.CasTeamsChatApp";

    /// <summary>Cmdlets that work on one recorded account, identified by -AccountId from the pipeline.</summary>
    public static TheoryData<string> AccountCmdlets =>
        ["Set-CasLicensingModel", "Update-CasServiceAccountSecret", "Set-CasServiceAccountApp", "New-CasAccessToken", "Test-CasServiceAccount",
         "Update-CasTeamsChatInventory", "Update-CasTeamsChatSubscription"];

    [Theory]
    [InlineData("New-CasTeamsChatApp", 3)]
    [InlineData("New-CasTeamsChatAccount", 2)]
    [InlineData("Set-CasLicensingModel", 2)]
    [InlineData("Update-CasServiceAccountSecret", 3)]
    [InlineData("Set-CasServiceAccountApp", 3)]
    [InlineData("New-CasAccessToken", 1)]
    [InlineData("Update-CasTeamsChatInventory", 1)]
    [InlineData("Update-CasTeamsChatSubscription", 1)]
    public void StateChangingTeamsChatCmdlets_SupportShouldProcess_WithTheirConfirmImpact(string name, int impact)
    {
        var cmdlet = Cmdlet(name);
        Assert.True(cmdlet.SupportsShouldProcess, $"{name} changes the tenant or the registry but has no -WhatIf/-Confirm.");
        Assert.Equal(impact, cmdlet.ConfirmImpact);
    }

    [Theory]
    [InlineData("Get-CasServiceAccount")]
    [InlineData("Test-CasServiceAccount")]
    [InlineData("Get-CasNotification")]
    public void ReadOnlyAccountCmdlets_HaveNoShouldProcess(string name) => Assert.False(Cmdlet(name).SupportsShouldProcess);

    [Theory]
    [InlineData("New-CasTeamsChatApp", TeamsChatApp)]
    [InlineData("New-CasTeamsChatAccount", ServiceAccount)]
    [InlineData("Set-CasLicensingModel", ServiceAccount)]
    [InlineData("Update-CasServiceAccountSecret", ServiceAccount)]
    [InlineData("Set-CasServiceAccountApp", ServiceAccount)]
    [InlineData("New-CasAccessToken", "CasAdmin.Engine.Provisioning.CasAccessTokenInfo")]
    [InlineData("Get-CasServiceAccount", ServiceAccount)]
    [InlineData("Test-CasServiceAccount", "CasAdmin.Engine.Accounts.CasHealthFinding")]
    [InlineData("Get-CasNotification", "CasAdmin.Engine.Accounts.CasNotification")]
    [InlineData("Update-CasTeamsChatInventory", "CasAdmin.Engine.Provisioning.TeamsChatInventoryResult")]
    [InlineData("Update-CasTeamsChatSubscription", "CasAdmin.Engine.Provisioning.CasTeamsChatSubscription")]
    public void Cmdlet_DeclaresItsOutputType(string name, string outputType) =>
        Assert.Equal([outputType], Cmdlet(name).OutputTypes);

    [Theory]
    [MemberData(nameof(AccountCmdlets))]
    public void AccountCmdlets_BindAccountIdAndTenantId_ByPropertyName_InEverySet(string name)
    {
        var cmdlet = Cmdlet(name);
        foreach (var set in cmdlet.ParameterSets)
        {
            var accountId = cmdlet.InSet(set).Single(p => p.Parameter.Name == "AccountId");
            Assert.Equal("System.Guid", accountId.Parameter.Property.PropertyType.FullName);
            Assert.True(accountId.Declaration.Mandatory && accountId.Declaration.ValueFromPipelineByPropertyName && accountId.Declaration.Position == 0,
                $"{name} set '{set}': -AccountId must be mandatory, at position 0, and bound by property name.");
            Assert.False(accountId.Declaration.ValueFromPipeline, $"{name}: -AccountId binds by property name only (one pattern for every account cmdlet).");
            var tenant = cmdlet.InSet(set).Single(p => p.Parameter.Name == "TenantId");
            Assert.True(tenant.Declaration.ValueFromPipelineByPropertyName && !tenant.Declaration.Mandatory, $"{name} set '{set}': -TenantId must be optional and bound by property name.");
        }

        Assert.DoesNotContain(cmdlet.Parameters, p => p.Declarations.Any(d => d.ValueFromPipeline));
    }

    [Theory]
    [InlineData(ServiceAccount)]
    [InlineData("CasAdmin.Engine.Accounts.CasHealthFinding")]
    [InlineData("CasAdmin.Engine.Provisioning.CasAccessTokenInfo")]
    [InlineData("CasAdmin.Engine.Provisioning.TeamsChatInventoryResult")]
    public void AccountOutputs_CarryAccountIdAndTenantId_SoTheyPipeIntoAccountCmdlets(string typeName)
    {
        var type = module.PublicType(typeName);
        Assert.Equal("System.Guid", type.GetProperty("AccountId")?.PropertyType.FullName);
        Assert.Equal("System.String", type.GetProperty("TenantId")?.PropertyType.FullName);
    }

    [Theory]
    [InlineData("Get-CasServiceAccount")]
    [InlineData("Get-CasNotification")]
    public void RegistryReaders_BindAccountIdByPropertyName_AndTakeStorePath_AndConnection(string name)
    {
        var cmdlet = Cmdlet(name);
        var accountId = cmdlet.Parameters.Single(p => p.Name == "AccountId");
        Assert.All(accountId.Declarations, d => Assert.True(d.ValueFromPipelineByPropertyName));
        Assert.Contains(cmdlet.Parameters, p => p.Name == "StorePath" && p.Property.PropertyType.FullName == "System.String");

        // -Connection names the tenant to list and the registry to read; no sign-in is used.
        Assert.Contains(cmdlet.Parameters, p => p.Name == "Connection" && p.Declarations.All(d => !d.Mandatory && !d.ValueFromPipeline));
    }

    [Theory]
    [InlineData("New-CasTeamsChatAccount")]
    [InlineData("Set-CasServiceAccountApp")]
    public void NewCasTeamsChatApp_Output_BindsAppIdAndSecret_ByPropertyName(string name)
    {
        var app = module.PublicType(TeamsChatApp);
        var cmdlet = Cmdlet(name);
        foreach (var (parameterName, typeName) in new[] { ("AppId", "System.String"), ("ClientSecret", SecureString) })
        {
            var parameter = cmdlet.Parameters.Single(p => p.Name == parameterName);
            Assert.Equal(typeName, parameter.Property.PropertyType.FullName);
            Assert.All(parameter.Declarations, d => Assert.True(d.Mandatory && d.ValueFromPipelineByPropertyName, $"{name} -{parameterName}"));
            var names = Aliases(parameter).Append(parameterName);
            var bound = names.Select(n => app.GetProperty(n)).FirstOrDefault(p => p is not null);
            Assert.True(bound is not null, $"No property of CasTeamsChatApp binds {name} -{parameterName} (name or alias).");
            Assert.Equal(typeName, bound.PropertyType.FullName);
        }
    }

    [Fact]
    public void NewCasTeamsChatAccount_HasTheProvisioningParameters()
    {
        var cmdlet = Cmdlet("New-CasTeamsChatAccount");
        var mandatory = cmdlet.Parameters.Where(p => p.Declarations.Any(d => d.Mandatory)).Select(p => p.Name).Order(StringComparer.Ordinal);
        Assert.Equal(["AppId", "ClientSecret", "LicensingModel"], mandatory);
        Assert.Equal("CasAdmin.Engine.Accounts.LicensingModel", cmdlet.Parameters.Single(p => p.Name == "LicensingModel").Property.PropertyType.FullName);
        var range = cmdlet.Parameters.Single(p => p.Name == "ThrottleLimit").Property.GetCustomAttributesData().Single(a => a.AttributeType.Name == "ValidateRangeAttribute");
        Assert.Equal([1, 64], range.ConstructorArguments.Select(a => Convert.ToInt32(a.Value, System.Globalization.CultureInfo.InvariantCulture)));
        foreach (var name in new[] { "GrantAdminConsent", "SkipInventory", "DoNotStoreSecret" })
        {
            Assert.Equal("System.Management.Automation.SwitchParameter", cmdlet.Parameters.Single(p => p.Name == name).Property.PropertyType.FullName);
        }
    }

    [Fact]
    public void UpdateCasServiceAccountSecret_HasValueAndRotateSets_ValueByDefault()
    {
        var update = Cmdlet("Update-CasServiceAccountSecret");
        Assert.Equal("Value", update.DefaultParameterSetName);
        Assert.Equal(["Rotate", "Value"], update.ParameterSets.Order(StringComparer.Ordinal));
        string Mandatory(string set) => string.Join(",", update.InSet(set).Where(p => p.Declaration.Mandatory).Select(p => p.Parameter.Name).Order(StringComparer.Ordinal));
        Assert.Equal("AccountId,ClientSecret", Mandatory("Value"));
        Assert.Equal("AccountId,Rotate", Mandatory("Rotate"));
        Assert.Contains(update.InSet("Rotate"), p => p.Parameter.Name == "Force");
        Assert.DoesNotContain(update.InSet("Value"), p => p.Parameter.Name is "Force" or "SecretLifetime");
    }

    [Theory]
    [InlineData("New-CasTeamsChatApp")]
    [InlineData("Update-CasServiceAccountSecret")]
    public void SecretLifetime_IsATimeSpan_ThatAlsoTakesDays(string name)
    {
        var lifetime = Cmdlet(name).Parameters.Single(p => p.Name == "SecretLifetime");
        Assert.Equal("System.TimeSpan", lifetime.Property.PropertyType.FullName);
        var transformation = module.AutomationType("System.Management.Automation.ArgumentTransformationAttribute");
        Assert.Contains(lifetime.Property.GetCustomAttributesData(), a => transformation.IsAssignableFrom(a.AttributeType));
    }

    [Fact]
    public void UpdateCasTeamsChatInventory_TakesAnOptionalSecret_AndAThrottleLimitOf1To64()
    {
        var update = Cmdlet("Update-CasTeamsChatInventory");
        var secret = update.Parameters.Single(p => p.Name == "ClientSecret");
        Assert.Equal(SecureString, secret.Property.PropertyType.FullName);
        Assert.All(secret.Declarations, d => Assert.False(d.Mandatory));
        var range = update.Parameters.Single(p => p.Name == "ThrottleLimit").Property.GetCustomAttributesData().Single(a => a.AttributeType.Name == "ValidateRangeAttribute");
        Assert.Equal([1, 64], range.ConstructorArguments.Select(a => Convert.ToInt32(a.Value, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void UpdateCasTeamsChatSubscription_TakesAnOptionalSecret_AndRenewWithinAsATimeSpanOrDays()
    {
        var update = Cmdlet("Update-CasTeamsChatSubscription");
        var secret = update.Parameters.Single(p => p.Name == "ClientSecret");
        Assert.Equal(SecureString, secret.Property.PropertyType.FullName);
        Assert.All(secret.Declarations, d => Assert.False(d.Mandatory));
        var within = update.Parameters.Single(p => p.Name == "RenewWithin");
        Assert.StartsWith("System.Nullable`1[[System.TimeSpan,", within.Property.PropertyType.FullName, StringComparison.Ordinal);
        Assert.All(within.Declarations, d => Assert.False(d.Mandatory));
        Assert.Contains(within.Property.GetCustomAttributesData(), a => a.AttributeType.Name == "TimeSpanOrDaysAttribute");
    }

    [Fact]
    public void NewAccessToken_ReturnsTheToken_OnlyOnRequest()
    {
        var token = Cmdlet("New-CasAccessToken");
        Assert.Equal("System.Management.Automation.SwitchParameter", token.Parameters.Single(p => p.Name == "IncludeToken").Property.PropertyType.FullName);
        Assert.All(token.Parameters.Where(p => p.Name == "ClientSecret").SelectMany(p => p.Declarations), d => Assert.False(d.Mandatory));
    }

    [Fact]
    public void SecretsAndTokens_AreNeverColumnsOrListItems_OfAnyView()
    {
        var views = XDocument.Load(ModuleLayout.ModuleFile("CasAdmin.Format.ps1xml")).Descendants("View").ToArray();
        var checkedTypes = 0;
        foreach (var view in views)
        {
            var typeName = view.Descendants("TypeName").First().Value.Trim();
            var type = module.FindType(typeName);
            Assert.NotNull(type);
            var secrets = type.GetProperties().Where(p => p.PropertyType.FullName == SecureString).Select(p => p.Name).ToArray();
            if (secrets.Length == 0)
            {
                continue;
            }

            checkedTypes++;
            var shown = view.Descendants("PropertyName").Select(p => p.Value.Trim());
            Assert.Empty(shown.Intersect(secrets, StringComparer.OrdinalIgnoreCase));
            foreach (var script in view.Descendants("ScriptBlock").Select(s => s.Value))
            {
                Assert.DoesNotMatch($@"(?i)\.({string.Join("|", secrets)})\b", script);
            }
        }

        // CasTeamsChatApp.Secret and CasAccessTokenInfo.Token, each with a table and a list view.
        Assert.True(checkedTypes >= 4, $"Only {checkedTypes} views format a type with a SecureString property.");
    }

    [Theory]
    [InlineData(TeamsChatApp, "DisplayName,AppId,SignInAudience,SecretExpiresOn,ConsentGranted,Created")]
    [InlineData(ServiceAccount, "Service,Tenant,Status,LicensingModel,AppId,SecretExpiresOn,TokenState")]
    [InlineData("CasAdmin.Engine.Accounts.CasHealthFinding", "Service,TenantId,Check,Status,Message")]
    [InlineData("CasAdmin.Engine.Accounts.CasNotification", "CreatedOn,Service,TenantId,Level,Message")]
    [InlineData("CasAdmin.Engine.Provisioning.TeamsChatInventoryResult", "TenantId,AccountId,Users,Chats,Resumed,CompletedOn")]
    public void TableViews_ShowTheAgreedColumns_InOrder(string typeName, string columns)
    {
        var table = XDocument.Load(ModuleLayout.ModuleFile("CasAdmin.Format.ps1xml")).Descendants("View")
            .Single(v => v.Element("TableControl") is not null && v.Descendants("TypeName").Any(t => t.Value == typeName));
        Assert.Equal(columns.Split(','), table.Descendants("TableColumnHeader").Select(h => h.Element("Label")!.Value));
    }

    [Fact]
    public void CasTeamsChatApp_ListView_ShowsTheAdminConsentUrl()
    {
        var list = XDocument.Load(ModuleLayout.ModuleFile("CasAdmin.Format.ps1xml")).Descendants("View")
            .Single(v => v.Element("ListControl") is not null && v.Descendants("TypeName").Any(t => t.Value == TeamsChatApp));
        Assert.Contains("AdminConsentUrl", list.Descendants("PropertyName").Select(p => p.Value.Trim()));
    }

    private ModuleMetadata.CmdletModel Cmdlet(string name) => module.Cmdlets.Single(c => c.Name == name);

    private static IEnumerable<string> Aliases(ModuleMetadata.ParameterModel parameter) =>
        parameter.Property.GetCustomAttributesData()
            .Where(a => a.AttributeType.FullName == "System.Management.Automation.AliasAttribute")
            .SelectMany(a => a.ConstructorArguments)
            .SelectMany(arg => arg.Value is System.Collections.ObjectModel.ReadOnlyCollection<System.Reflection.CustomAttributeTypedArgument> items ? items.Select(i => (string)i.Value!) : [(string)arg.Value!]);
}
