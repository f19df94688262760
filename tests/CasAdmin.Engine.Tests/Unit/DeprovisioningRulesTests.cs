using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Domain;

namespace CasAdmin.Engine.Tests.Unit;

public sealed class DeprovisioningRulesTests
{
    private static CasServiceAccount Account(CasService service, ServiceAccountKind kind = ServiceAccountKind.AuthorizedAccount, string? appId = "11111111-1111-1111-1111-111111111111") => new()
    {
        AccountId = Guid.NewGuid(), TenantId = "t", Service = service, Kind = kind, AppId = appId,
        DelegateAccount = kind == ServiceAccountKind.DelegateAccount ? "tmcas-sharepoint@contoso.onmicrosoft.com" : null,
    };

    [Theory]
    [InlineData("Trend Micro Cloud App Security", CasService.ExchangeOnlineInline)]
    [InlineData("Trend Micro Cloud App Security for Exchange Online", CasService.ExchangeOnline)]
    [InlineData("Trend Micro Cloud App Security for SharePoint Online", CasService.SharePointOnline)]
    [InlineData("Trend Micro Cloud App Security for SharePoint Online (3)", CasService.SharePointOnline)]
    [InlineData("Trend Micro Cloud App Security for OneDrive", CasService.OneDrive)]
    [InlineData("Trend Micro Cloud App Security for Microsoft Teams", CasService.Teams)]
    [InlineData("Trend Micro Cloud App Security for Teams Chat", CasService.TeamsChat)]
    public void ServiceFromName_ReadsTheServiceFromTheVendorPrincipalsName(string name, CasService expected) =>
        Assert.Equal(expected, Footprints.ServiceFromName(name));

    [Theory]
    [InlineData("Contoso HR app")]
    [InlineData("Trend Micro Cloud App Security for Something Else")]
    [InlineData(null)]
    public void ServiceFromName_OtherPrincipals_AreNotGuessed(string? name) => Assert.Null(Footprints.ServiceFromName(name));

    [Fact]
    public void Plan_TeamsChat_RemovesSubscriptionsPermissionsPrincipalThenApp_AfterVerifying()
    {
        var steps = RemovalPlan.For(Account(CasService.TeamsChat));

        Assert.Equal(
            [StepKind.RecordAppId, StepKind.VerifyAdministrator, StepKind.VerifyAccount, StepKind.DeleteSubscriptions, StepKind.RemovePermissions,
             StepKind.RemoveAppPrincipal, StepKind.DeleteApp, StepKind.RemoveLocalData, StepKind.ListRemainingChanges],
            steps);
    }

    [Fact]
    public void Plan_SharePointDelegate_RemovesTheAppPrincipalAfterTheAccount()
    {
        var steps = RemovalPlan.For(Account(CasService.SharePointOnline, ServiceAccountKind.DelegateAccount));

        Assert.True(steps.ToList().IndexOf(StepKind.RemoveDelegateAccount) < steps.ToList().IndexOf(StepKind.RemoveAppPrincipal));
        Assert.Equal(StepKind.RecordAppId, steps[0]);
    }

    [Fact]
    public void Plan_Inline_RemovesItsGroupsAndDirectoryRoles()
    {
        var steps = RemovalPlan.For(Account(CasService.ExchangeOnlineInline));

        Assert.Contains(StepKind.RemoveInlineGroups, steps);
        Assert.Contains(StepKind.RemoveDirectoryRoles, steps);
    }

    [Fact]
    public void AppOnlyPermissions_NameGroupAndRoleWritesOnlyWhereNeeded()
    {
        var options = new RemovalOptions();
        Assert.DoesNotContain("Group.ReadWrite.All", RemovalPlan.AppOnlyPermissions(Account(CasService.TeamsChat), options));
        Assert.Contains("Group.ReadWrite.All", RemovalPlan.AppOnlyPermissions(Account(CasService.ExchangeOnlineInline), options));
        Assert.Contains("User.ReadWrite.All", RemovalPlan.AppOnlyPermissions(Account(CasService.OneDrive, ServiceAccountKind.DelegateAccount), options with { RemoveDelegateAccount = true }));
    }

    [Fact]
    public void Footprints_Inline_ListsRulesConnectorsAndAllowEntriesWithExchangeCommands()
    {
        var job = new CasRemovalJob { JobId = Guid.NewGuid(), TenantId = "t", Service = CasService.ExchangeOnlineInline };

        var items = Footprints.Static(job).ToArray();

        Assert.Equal(6, items.Count(i => i.Kind == "TransportRule"));
        Assert.All(items.Where(i => i.Kind == "TransportRule"), i => Assert.StartsWith("Remove-TransportRule -Identity 'TMCAS Inline", i.Action, StringComparison.Ordinal));
        Assert.Contains(items, i => i.Kind == "InboundConnector" && i.Action.StartsWith("Remove-InboundConnector", StringComparison.Ordinal));
        Assert.Contains(items, i => i.Kind == "SpoofedSenderEntry");
        Assert.Contains(items, i => i.Kind == "IpAllowEntry" && i.Action.Contains("Set-HostedConnectionFilterPolicy", StringComparison.Ordinal));
    }

    [Fact]
    public void Footprints_SharePoint_LinksTheAddInPrincipalPageWithTheAppIdentifier()
    {
        var job = new CasRemovalJob { JobId = Guid.NewGuid(), TenantId = "tid", TenantDomain = "contoso.onmicrosoft.com", Service = CasService.SharePointOnline, AppId = "app-1" };

        var item = Assert.Single(Footprints.Static(job), i => i.Kind == "AddInPrincipal");

        Assert.Equal("https://contoso-admin.sharepoint.com/_layouts/15/TA_AllAppPrincipals.aspx", item.Location);
        Assert.Contains("i:0i.t|ms.sp.ext|app-1@tid", item.Action, StringComparison.Ordinal);
    }

    [Fact]
    public void ExchangeConfirmation_NamesTheThreeAutomationApis()
    {
        var (query, _) = DeprovisioningRules.ExchangeConfirmation(Account(CasService.ExchangeOnline));

        Assert.Contains("Threat Investigation", query, StringComparison.Ordinal);
        Assert.Contains("Threat Mitigation", query, StringComparison.Ordinal);
        Assert.Contains("Threat Remediation", query, StringComparison.Ordinal);
        Assert.True(DeprovisioningRules.NeedsConfirmation(Account(CasService.ExchangeOnline)));
        Assert.False(DeprovisioningRules.NeedsConfirmation(Account(CasService.OneDrive)));
    }

    [Fact]
    public void StepClock_EstimatesFromMeasuredDurations_OnlyWhileRunning()
    {
        var name = "test step " + Guid.NewGuid();
        StepClock.Record(name, TimeSpan.FromSeconds(2));
        StepClock.Record(name, TimeSpan.FromSeconds(4));
        var steps = new[] { new CasRemovalStep { Name = name, Status = RemovalStepStatus.Pending }, new CasRemovalStep { Name = name, Status = RemovalStepStatus.Succeeded } };

        Assert.Equal(3, StepClock.Estimate(RemovalJobStatus.Running, steps));
        Assert.Null(StepClock.Estimate(RemovalJobStatus.Succeeded, steps));
    }
}
