using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace CasAdmin.Sandbox.Tests;

/// <summary>The seeded service-account footprints of the default scenario, read back through the unmodified Graph SDK.</summary>
public sealed class FootprintTests(SandboxFixture fixture) : SandboxTest(fixture)
{
    private const string Vendor = "Trend Micro Cloud App Security";
    private const string ExchangeAdministrator = "29232cdf-9323-42fd-ade2-1d097af3e4de";

    public static TheoryData<string, string, string?> Services => new()
    {
        { "ExchangeOnline", Vendor + " for Exchange Online", "tmcas-exchange" },
        { "ExchangeOnlineInline", Vendor, null },
        { "SharePointOnline", Vendor + " for SharePoint Online", "tmcas-sharepoint" },
        { "OneDrive", Vendor + " for OneDrive", "tmcas-sharepoint" },
        { "Teams", Vendor + " for Microsoft Teams", null },
        { "TeamsChat", Vendor + " for Teams Chat", null },
    };

    [Theory]
    [MemberData(nameof(Services))]
    public async Task EveryTenant_HasTheServiceFootprint(string service, string displayName, string? delegateLocal)
    {
        foreach (var tenant in F.Host.Tenants)
        {
            var fp = Assert.Single(tenant.Footprints, f => f.Service == service);
            Assert.Equal(displayName, fp.DisplayName);
            var client = F.Graph(await F.AppTokenAsync(tenant));

            var sp = await client.ServicePrincipals[fp.ServicePrincipalId].GetAsync();
            Assert.Equal(displayName, sp!.DisplayName);
            Assert.Equal(fp.AppId, sp.AppId);
            Assert.Equal("Application", sp.ServicePrincipalType);
            Assert.NotEqual(tenant.TenantId, sp.AppOwnerOrganizationId?.ToString()); // a vendor (multi-tenant) app: no application object here
            var apps = await client.Applications.GetAsync(r => r.QueryParameters.Filter = $"appId eq '{fp.AppId}'");
            Assert.Empty(apps!.Value!);

            if (delegateLocal is null)
            {
                Assert.Null(fp.DelegateUser);
            }
            else
            {
                Assert.Equal($"{delegateLocal}@{tenant.Domain}", fp.DelegateUser);
                var user = await client.Users[fp.DelegateUser].GetAsync(r => r.QueryParameters.Select = ["id", "userPrincipalName", "accountEnabled", "displayName"]);
                Assert.True(user!.AccountEnabled);
                Assert.Equal(fp.DelegateUserId, user.Id);
            }

            // SharePoint Online, OneDrive and Teams also left a SharePoint add-in ("Legacy") principal with the same App Id.
            var byAppId = await client.ServicePrincipals.GetAsync(r => r.QueryParameters.Filter = $"appId eq '{fp.AppId}'");
            var legacy = byAppId!.Value!.Where(s => s.ServicePrincipalType == "Legacy").ToList();
            Assert.Equal(service is "SharePointOnline" or "OneDrive" or "Teams", legacy.Count == 1);
            Assert.Equal(fp.LegacyServicePrincipalId, legacy.SingleOrDefault()?.Id);
            Assert.Equal(fp.ServicePrincipalId, byAppId.Value![0].Id); // the app principal is listed first
            if (legacy.Count == 1)
            {
                Assert.Equal(Vendor, legacy[0].DisplayName);
            }

            var state = await F.Host.Control.GetTenantStateAsync(tenant.TenantId);
            var held = state.AppRoleAssignments.Where(a => a.PrincipalId == fp.ServicePrincipalId).Select(a => a.Id).Order().ToList();
            Assert.Equal(fp.AppRoleAssignmentIds.Order(), held);
            Assert.Equal(service != "ExchangeOnlineInline", held.Count > 0);
            Assert.Equal(fp.PermissionGrantIds.Order(), state.Oauth2PermissionGrants.Where(g => g.ClientId == fp.ServicePrincipalId).Select(g => g.Id).Order());
        }
    }

    [Fact]
    public async Task FootprintAppRoles_AreRealGraphAppRoles()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        var graph = Assert.Single((await client.ServicePrincipals.GetAsync(r => r.QueryParameters.Filter = "appId eq '00000003-0000-0000-c000-000000000000'"))!.Value!);
        var roles = graph.AppRoles!.ToDictionary(r => r.Id!.Value.ToString(), r => r.Value);
        Assert.Equal("Mail.ReadWrite", roles["e2a3a72e-5f79-4c64-b1b1-878b674786c9"]);
        Assert.Equal("Sites.FullControl.All", roles["a82116e5-55eb-4c41-a434-62fe8a61c773"]);
        Assert.Equal("ChannelMessage.Read.All", roles["7b2449af-6ccd-4f4d-9f78-e550c193f0d1"]);
        Assert.Equal("Chat.Read.All", roles["6b7d71aa-70aa-4810-a8d9-5d9fb2830017"]);

        var state = await F.Host.Control.GetTenantStateAsync(F.Contoso.TenantId);
        foreach (var fp in F.Contoso.Footprints)
        {
            var granted = state.AppRoleAssignments.Where(a => a.PrincipalId == fp.ServicePrincipalId).ToList();
            Assert.All(granted, a => Assert.Equal(graph.Id, a.ResourceId));
            Assert.Equal(fp.AppRoles.Order(), granted.Select(a => roles[a.AppRoleId]!).Order());
        }
    }

    [Fact]
    public async Task InlineMode_HasExchangeAdministratorRole_AndBothGroupsWithUserMembers()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Fabrikam));
        var inline = F.Fabrikam.Footprints.Single(f => f.Service == "ExchangeOnlineInline");

        var assignments = await client.RoleManagement.Directory.RoleAssignments.GetAsync(r => r.QueryParameters.Filter = $"principalId eq '{inline.ServicePrincipalId}'");
        var assignment = Assert.Single(assignments!.Value!);
        Assert.Equal(ExchangeAdministrator, assignment.RoleDefinitionId);
        Assert.Equal("/", assignment.DirectoryScopeId);
        Assert.Equal(inline.DirectoryRoleAssignmentIds.Single(), assignment.Id);

        Assert.Equal(["TMCAS Inline Incoming O365 Virtual Group", "TMCAS Inline Outgoing O365 Virtual Group"], inline.Groups.Select(g => g.DisplayName));
        foreach (var expected in inline.Groups)
        {
            var found = await client.Groups.GetAsync(r =>
            {
                r.QueryParameters.Filter = $"displayName eq '{expected.DisplayName}'";
                r.QueryParameters.Select = ["id", "displayName"];
            });
            var group = Assert.Single(found!.Value!);
            Assert.Equal(expected.Id, group.Id);
            var members = await client.Groups[group.Id].Members.GetAsync();
            Assert.InRange(members!.Value!.Count, 2, 3);
            Assert.All(members.Value!, m => Assert.IsType<User>(m)); // @odata.type tells the SDK what each member is
        }
    }

    [Fact]
    public async Task VendorPrincipals_AreListedByStartswith_AcrossPages_AndLegacyByType()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        var first = await client.ServicePrincipals.GetAsync(r =>
        {
            r.QueryParameters.Filter = $"startswith(displayName,'{Vendor}')";
            r.QueryParameters.Select = ["id", "appId", "displayName", "accountEnabled", "servicePrincipalType", "tags"];
            r.QueryParameters.Top = 4;
        });
        Assert.NotNull(first!.OdataNextLink);
        var all = new List<ServicePrincipal>();
        await PageIterator<ServicePrincipal, ServicePrincipalCollectionResponse>.CreatePageIterator(client, first, s =>
        {
            all.Add(s);
            return true;
        }).IterateAsync();

        Assert.Equal(6 + 3, all.Count); // six service principals + three Legacy add-in principals
        Assert.Equal(all.Count, all.Select(s => s.Id).Distinct().Count());
        Assert.Equal(F.Contoso.Footprints.Select(f => f.ServicePrincipalId).Order(), all.Where(s => s.ServicePrincipalType != "Legacy").Select(s => s.Id).Order());

        var legacy = await client.ServicePrincipals.GetAsync(r =>
        {
            r.QueryParameters.Filter = "servicePrincipalType eq 'Legacy'";
            r.QueryParameters.Top = 999;
        });
        Assert.Equal(F.Contoso.Footprints.Where(f => f.LegacyServicePrincipalId is not null).Select(f => f.AppId).Order(), legacy!.Value!.Select(s => s.AppId).Order());
    }

    [Fact]
    public async Task DelegateUsers_AreFoundByPrefix()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        var users = await client.Users.GetAsync(r =>
        {
            r.QueryParameters.Filter = "startswith(userPrincipalName,'tmcas')";
            r.QueryParameters.Select = ["id", "userPrincipalName", "displayName"];
            r.QueryParameters.Top = 999;
        });
        Assert.Equal([$"tmcas-exchange@{F.Contoso.Domain}", $"tmcas-sharepoint@{F.Contoso.Domain}"], users!.Value!.Select(u => u.UserPrincipalName).Order());
        Assert.Equal(F.Contoso.Footprints.Where(f => f.DelegateUserId is not null).Select(f => f.DelegateUserId).Distinct().Order(), users.Value!.Select(u => u.Id).Order());
    }
}
