using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace CasAdmin.Sandbox.Tests;

/// <summary>
/// Delegated directory writes need the scope AND an active directory role in wids (PIM-eligible does not count);
/// app-only writes need only the application permission.
/// </summary>
public sealed class RoleCheckTests(SandboxFixture fixture) : SandboxTest(fixture)
{
    private async Task<GraphServiceClient> AsUserAsync(string user) =>
        F.Graph((await F.DeviceCodeTokenAsync(F.Contoso, user, "User.ReadWrite.All", "Group.ReadWrite.All", "RoleManagement.ReadWrite.Directory")).AccessToken);

    private static async Task AssertDeniedAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<ODataError>(call);
        Assert.Equal(403, e.ResponseStatusCode);
        Assert.Equal("Authorization_RequestDenied", e.Error!.Code);
    }

    private string Delegate => F.Contoso.Footprints.Single(f => f.Service == "ExchangeOnline").DelegateUserId!;

    [Fact]
    public async Task DisableUser_PlainUser403_EligibleAdmin403_ActiveGlobalAdminSucceeds()
    {
        // A fresh model per call: the SDK's backing store sends only values changed since the last serialization.
        static User Patch() => new() { AccountEnabled = false };
        await AssertDeniedAsync(async () => await (await AsUserAsync(F.Contoso.PlainUser)).Users[Delegate].PatchAsync(Patch()));
        await AssertDeniedAsync(async () => await (await AsUserAsync(F.Contoso.EligibleAdminUser)).Users[Delegate].PatchAsync(Patch()));
        var state = await F.Host.Control.GetTenantStateAsync(F.Contoso.TenantId);
        Assert.True(state.Users.Single(u => u.Id == Delegate).AccountEnabled); // the denied calls changed nothing

        var admin = await AsUserAsync(F.Contoso.AdminUser);
        await admin.Users[Delegate].PatchAsync(Patch());
        Assert.False((await admin.Users[Delegate].GetAsync(r => r.QueryParameters.Select = ["accountEnabled"]))!.AccountEnabled);
    }

    [Fact]
    public async Task DeleteUser_NeedsUserAdministrator_NotGroupsAdministrator()
    {
        await AssertDeniedAsync(async () => await (await AsUserAsync(F.Contoso.Users["groupsAdmin"])).Users[Delegate].DeleteAsync());
        await (await AsUserAsync(F.Contoso.Users["userAdmin"])).Users[Delegate].DeleteAsync();
        Assert.Contains((await F.Host.Control.GetTenantStateAsync(F.Contoso.TenantId)).DeletedItems, d => d.Id == Delegate);
    }

    [Fact]
    public async Task DeleteGroup_NeedsAGroupsRole_NotCloudApplicationAdministrator()
    {
        var group = F.Contoso.Footprints.Single(f => f.Service == "ExchangeOnlineInline").Groups[1].Id;
        await AssertDeniedAsync(async () => await (await AsUserAsync(F.Contoso.Users["appAdmin"])).Groups[group].DeleteAsync());
        await AssertDeniedAsync(async () => await (await AsUserAsync(F.Contoso.PlainUser)).Groups[group].DeleteAsync());
        await (await AsUserAsync(F.Contoso.Users["groupsAdmin"])).Groups[group].DeleteAsync();
        Assert.DoesNotContain((await F.Host.Control.GetTenantStateAsync(F.Contoso.TenantId)).Groups, g => g.Id == group);
    }

    [Fact]
    public async Task DeleteRoleAssignment_NeedsPrivilegedRoleAdministrator()
    {
        var id = F.Contoso.Footprints.Single(f => f.Service == "ExchangeOnlineInline").DirectoryRoleAssignmentIds.Single();
        await AssertDeniedAsync(async () => await (await AsUserAsync(F.Contoso.Users["userAdmin"])).RoleManagement.Directory.RoleAssignments[id].DeleteAsync());
        await AssertDeniedAsync(async () => await (await AsUserAsync(F.Contoso.EligibleAdminUser)).RoleManagement.Directory.RoleAssignments[id].DeleteAsync());
        await (await AsUserAsync(F.Contoso.Users["roleAdmin"])).RoleManagement.Directory.RoleAssignments[id].DeleteAsync();
        Assert.DoesNotContain((await F.Host.Control.GetTenantStateAsync(F.Contoso.TenantId)).RoleAssignments, r => r.Id == id);
    }

    [Fact]
    public async Task ReadsNeedNoRole_ForAPlainUser()
    {
        var plain = await AsUserAsync(F.Contoso.PlainUser);
        var groups = await plain.Groups.GetAsync(r => r.QueryParameters.Filter = "displayName eq 'TMCAS Inline Incoming O365 Virtual Group'");
        Assert.Single(groups!.Value!);
    }

    [Fact]
    public async Task AppOnly_WithPermission_Succeeds_WithoutIs403()
    {
        var reader = F.Graph(await F.AppTokenAsync(F.Contoso, "reader"));
        await AssertDeniedAsync(() => reader.Users[Delegate].PatchAsync(new User { AccountEnabled = false }));
        var group = F.Contoso.Footprints.Single(f => f.Service == "ExchangeOnlineInline").Groups[0].Id;
        await AssertDeniedAsync(() => reader.Groups[group].DeleteAsync());
        var id = F.Contoso.Footprints.Single(f => f.Service == "ExchangeOnlineInline").DirectoryRoleAssignmentIds.Single();
        await AssertDeniedAsync(() => reader.RoleManagement.Directory.RoleAssignments[id].DeleteAsync());
        Assert.NotEmpty((await reader.RoleManagement.Directory.RoleAssignments.GetAsync())!.Value!); // reading is allowed

        // The admin app has no directory role at all: its application permissions are enough.
        var admin = F.Graph(await F.AppTokenAsync(F.Contoso));
        await admin.Users[Delegate].PatchAsync(new User { AccountEnabled = false });
        await admin.Groups[group].DeleteAsync();
        await admin.RoleManagement.Directory.RoleAssignments[id].DeleteAsync();
        var state = await F.Host.Control.GetTenantStateAsync(F.Contoso.TenantId);
        Assert.False(state.Users.Single(u => u.Id == Delegate).AccountEnabled);
        Assert.DoesNotContain(state.Groups, g => g.Id == group);
    }
}
