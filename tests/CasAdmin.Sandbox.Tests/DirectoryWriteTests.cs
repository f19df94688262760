using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace CasAdmin.Sandbox.Tests;

/// <summary>Users, groups and directory role assignments written through the unmodified Graph SDK with the app-only admin app.</summary>
public sealed class DirectoryWriteTests(SandboxFixture fixture) : SandboxTest(fixture)
{
    private async Task<GraphServiceClient> AdminAsync(SandboxTenantInfo tenant) => F.Graph(await F.AppTokenAsync(tenant));

    [Fact]
    public async Task DeleteInlineGroup_IsGone_AndInDeletedItems()
    {
        var client = await AdminAsync(F.Contoso);
        var group = F.Contoso.Footprints.Single(f => f.Service == "ExchangeOnlineInline").Groups[0];

        await client.Groups[group.Id].DeleteAsync();

        var e = await Assert.ThrowsAsync<ODataError>(() => client.Groups[group.Id].GetAsync());
        Assert.Equal(404, e.ResponseStatusCode);
        Assert.Equal("Request_ResourceNotFound", e.Error!.Code);
        Assert.Empty((await client.Groups.GetAsync(r => r.QueryParameters.Filter = $"displayName eq '{group.DisplayName}'"))!.Value!);
        var deleted = await client.Directory.DeletedItems[group.Id].GetAsync();
        Assert.Equal(group.DisplayName, Assert.IsType<Group>(deleted).DisplayName);
        var state = await F.Host.Control.GetTenantStateAsync(F.Contoso.TenantId);
        Assert.Contains(state.DeletedItems, d => d.Id == group.Id && d.Type == "group");
        Assert.DoesNotContain(state.Groups, g => g.Id == group.Id);

        var again = await Assert.ThrowsAsync<ODataError>(() => client.Groups[group.Id].DeleteAsync());
        Assert.Equal(404, again.ResponseStatusCode);
    }

    [Fact]
    public async Task DeleteDelegateUser_IsGone_InDeletedItems_And404Twice()
    {
        var client = await AdminAsync(F.Fabrikam);
        var fp = F.Fabrikam.Footprints.Single(f => f.Service == "ExchangeOnline");
        var before = await F.Host.Control.GetTenantStateAsync(F.Fabrikam.TenantId);

        await client.Users[fp.DelegateUserId].DeleteAsync();

        var e = await Assert.ThrowsAsync<ODataError>(() => client.Users[fp.DelegateUser].GetAsync());
        Assert.Equal(404, e.ResponseStatusCode);
        var after = await F.Host.Control.GetTenantStateAsync(F.Fabrikam.TenantId);
        Assert.Equal(before.UserCount - 1, after.UserCount);
        Assert.Contains(after.DeletedItems, d => d.Id == fp.DelegateUserId && d.Type == "user");
        Assert.DoesNotContain(after.Users, u => u.Id == fp.DelegateUserId);
        var deleted = await client.Directory.DeletedItems[fp.DelegateUserId].GetAsync();
        Assert.Equal(fp.DelegateUser, Assert.IsType<User>(deleted).UserPrincipalName);

        var again = await Assert.ThrowsAsync<ODataError>(() => client.Users[fp.DelegateUserId].DeleteAsync());
        Assert.Equal(404, again.ResponseStatusCode);
    }

    [Fact]
    public async Task DeleteGeneratedUser_PagingSkipsIt()
    {
        var client = await AdminAsync(F.Contoso);
        var victim = await client.Users["user000005@" + F.Contoso.Domain].GetAsync();
        await client.Users[victim!.Id].DeleteAsync();

        var first = await client.Users.GetAsync(r =>
        {
            r.QueryParameters.Top = 7;
            r.QueryParameters.Select = ["id", "userPrincipalName"];
        });
        var ids = new List<string>();
        await PageIterator<User, UserCollectionResponse>.CreatePageIterator(client, first!, u =>
        {
            ids.Add(u.Id!);
            return true;
        }).IterateAsync();
        Assert.Equal(8 + 2 + 36 - 1, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.DoesNotContain(victim.Id, ids);
    }

    [Fact]
    public async Task CreateUser_PatchAccountEnabled_AndDuplicateCreateIsCounted()
    {
        var client = await AdminAsync(F.Contoso);
        var upn = $"tmcas-exchange-9@{F.Contoso.Domain}";
        User NewUser() => new()
        {
            AccountEnabled = true,
            DisplayName = "TMCAS Exchange Online Delegate 9",
            MailNickname = "tmcas-exchange-9",
            UserPrincipalName = upn,
            PasswordProfile = new PasswordProfile { Password = "Sbx!" + Guid.NewGuid().ToString("N"), ForceChangePasswordNextSignIn = false },
        };
        var created = await client.Users.PostAsync(NewUser());
        Assert.Equal(upn, created!.UserPrincipalName);

        await client.Users[created.Id].PatchAsync(new User { AccountEnabled = false, JobTitle = "Disabled service account" });
        var read = await client.Users[upn].GetAsync(r => r.QueryParameters.Select = ["id", "userPrincipalName", "accountEnabled", "displayName"]);
        Assert.False(read!.AccountEnabled);
        Assert.Equal(created.Id, read.Id);

        var e = await Assert.ThrowsAsync<ODataError>(() => client.Users.PostAsync(NewUser()));
        Assert.Equal(400, e.ResponseStatusCode);
        Assert.Contains("userPrincipalName already exists", e.Error!.Message, StringComparison.Ordinal);
        var stats = await F.Host.Control.GetStatsAsync();
        Assert.Equal(1, stats.Totals.DuplicateCreates);
        Assert.Equal(1, stats.Endpoints["POST /v1.0/users"].DuplicateCreates);

        var wrongDomain = await Assert.ThrowsAsync<ODataError>(() => client.Users.PostAsync(new User
        {
            AccountEnabled = true, DisplayName = "x", MailNickname = "x", UserPrincipalName = "x@elsewhere.example",
            PasswordProfile = new PasswordProfile { Password = "Sbx!12345678" },
        }));
        Assert.Equal(400, wrongDomain.ResponseStatusCode);
    }

    [Fact]
    public async Task CreateGroupTwice_BothExist_AndTheSecondIsADuplicateCreate()
    {
        var client = await AdminAsync(F.Contoso);
        Group NewGroup() => new() { DisplayName = "TMCAS Inline Incoming O365 Virtual Group", MailEnabled = false, MailNickname = "TMCASInlineIncoming", SecurityEnabled = true };
        await F.Host.Control.ResetAsync(); // start from a clean stats slate
        var again = await client.Groups.PostAsync(NewGroup());
        Assert.NotNull(again!.Id);

        var state = await F.Host.Control.GetTenantStateAsync(F.Contoso.TenantId);
        Assert.Equal(2, state.Groups.Count(g => g.DisplayName == "TMCAS Inline Incoming O365 Virtual Group"));
        Assert.Equal(1, (await F.Host.Control.GetStatsAsync()).Totals.DuplicateCreates);

        var fresh = await client.Groups.PostAsync(new Group { DisplayName = "CasAdmin Test Group", MailEnabled = false, MailNickname = "casadmintest", SecurityEnabled = true });
        Assert.Equal(1, (await F.Host.Control.GetStatsAsync()).Totals.DuplicateCreates);
        Assert.Equal("CasAdmin Test Group", (await client.Groups[fresh!.Id].GetAsync())!.DisplayName);
    }

    [Fact]
    public async Task DeleteInlineRoleAssignment_RemovesItForGood()
    {
        var client = await AdminAsync(F.Contoso);
        var inline = F.Contoso.Footprints.Single(f => f.Service == "ExchangeOnlineInline");
        var id = inline.DirectoryRoleAssignmentIds.Single();

        await client.RoleManagement.Directory.RoleAssignments[id].DeleteAsync();

        var left = await client.RoleManagement.Directory.RoleAssignments.GetAsync(r => r.QueryParameters.Filter = $"principalId eq '{inline.ServicePrincipalId}'");
        Assert.Empty(left!.Value!);
        var state = await F.Host.Control.GetTenantStateAsync(F.Contoso.TenantId);
        Assert.DoesNotContain(state.RoleAssignments, r => r.Id == id);
        Assert.DoesNotContain(state.DeletedItems, d => d.Id == id);
        var e = await Assert.ThrowsAsync<ODataError>(() => client.RoleManagement.Directory.RoleAssignments[id].DeleteAsync());
        Assert.Equal(404, e.ResponseStatusCode);
    }

    [Fact]
    public async Task NewRoleAssignment_ShowsInWidsAndTransitiveMemberOf()
    {
        const string userAdministrator = "fe930be7-5e62-47db-91af-98c3a49a38b1";
        var client = await AdminAsync(F.Contoso);
        var plain = await client.Users[F.Contoso.PlainUser].GetAsync();
        var created = await client.RoleManagement.Directory.RoleAssignments.PostAsync(new UnifiedRoleAssignment
        {
            PrincipalId = plain!.Id, RoleDefinitionId = userAdministrator, DirectoryScopeId = "/",
        });
        Assert.Equal(userAdministrator, created!.RoleDefinitionId);

        var listed = await client.RoleManagement.Directory.RoleAssignments.GetAsync(r => r.QueryParameters.Filter = $"principalId eq '{plain.Id}'");
        Assert.Equal(created.Id, Assert.Single(listed!.Value!).Id);

        var token = await F.DeviceCodeTokenAsync(F.Contoso, F.Contoso.PlainUser, "User.Read");
        Assert.Contains(userAdministrator, SandboxFixture.ClaimValues(token.AccessToken, "wids"));
        var roles = await F.Graph(token.AccessToken).Me.TransitiveMemberOf.GraphDirectoryRole.GetAsync();
        Assert.Equal(userAdministrator, Assert.Single(roles!.Value!).RoleTemplateId);

        var duplicate = await Assert.ThrowsAsync<ODataError>(() => client.RoleManagement.Directory.RoleAssignments.PostAsync(new UnifiedRoleAssignment
        {
            PrincipalId = plain.Id, RoleDefinitionId = userAdministrator, DirectoryScopeId = "/",
        }));
        Assert.Equal(400, duplicate.ResponseStatusCode);
    }
}
