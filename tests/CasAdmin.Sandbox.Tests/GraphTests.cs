using System.Net;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace CasAdmin.Sandbox.Tests;

/// <summary>The unmodified Graph SDK against the sandbox's Graph endpoints.</summary>
public sealed class GraphTests(SandboxFixture fixture) : SandboxTest(fixture)
{
    private const int ContosoUsers = 8 + 2 + 36; // scenario users + footprint delegate users + generated ordinary users in the default scenario

    [Fact]
    public async Task ListUsers_ReturnsGraphShapedUsers()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        var page = await client.Users.GetAsync(r => r.QueryParameters.Filter = $"userPrincipalName eq '{F.Contoso.AdminUser}'");

        var admin = Assert.Single(page!.Value!);
        Assert.Equal(F.Contoso.AdminUser, admin.UserPrincipalName);
        Assert.Equal("Adele Vance", admin.DisplayName);
        Assert.False(string.IsNullOrEmpty(admin.Id));
    }

    [Fact]
    public async Task PageIterator_WalksEveryUserAcrossSeveralPages()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        var first = await client.Users.GetAsync(r =>
        {
            r.QueryParameters.Top = 7;
            r.QueryParameters.Select = ["id", "userPrincipalName"];
        });
        Assert.NotNull(first!.OdataNextLink);
        Assert.StartsWith(F.Host.Url.ToString(), first.OdataNextLink, StringComparison.Ordinal);

        var ids = new HashSet<string>();
        var iterator = PageIterator<User, UserCollectionResponse>.CreatePageIterator(client, first, u =>
        {
            ids.Add(u.Id!);
            return true;
        });
        await iterator.IterateAsync();

        Assert.Equal(ContosoUsers, ids.Count);
    }

    [Fact]
    public async Task GetUserByUpn_And_UnknownUser404()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Fabrikam));
        var user = await client.Users[F.Fabrikam.PlainUser].GetAsync();
        Assert.Equal(F.Fabrikam.PlainUser, user!.UserPrincipalName);

        var e = await Assert.ThrowsAsync<ODataError>(() => client.Users["nobody@fabrikam.onmicrosoft.com"].GetAsync());
        Assert.Equal(404, e.ResponseStatusCode);
        Assert.Equal("Request_ResourceNotFound", e.Error!.Code);
    }

    [Fact]
    public async Task Me_And_TransitiveMemberOfDirectoryRole_ShowActiveRolesOnly()
    {
        var admin = await F.DeviceCodeTokenAsync(F.Contoso, F.Contoso.AdminUser, "User.Read");
        var client = F.Graph(admin.AccessToken);
        var me = await client.Me.GetAsync();
        Assert.Equal(F.Contoso.AdminUser, me!.UserPrincipalName);
        var roles = await client.Me.TransitiveMemberOf.GraphDirectoryRole.GetAsync();
        var role = Assert.Single(roles!.Value!);
        Assert.Equal("62e90394-69f5-4237-9190-012177145e10", role.RoleTemplateId);
        Assert.Equal("Global Administrator", role.DisplayName);

        var eligible = await F.DeviceCodeTokenAsync(F.Contoso, F.Contoso.EligibleAdminUser, "User.Read");
        var none = await F.Graph(eligible.AccessToken).Me.TransitiveMemberOf.GraphDirectoryRole.GetAsync();
        Assert.Empty(none!.Value!);
    }

    [Fact]
    public async Task Me_WithAppOnlyToken_IsBadRequest()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        var e = await Assert.ThrowsAsync<ODataError>(() => client.Me.GetAsync());
        Assert.Equal(400, e.ResponseStatusCode);
    }

    [Fact]
    public async Task MissingPermission_Is403AuthorizationRequestDenied()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso, "noConsent"));
        var e = await Assert.ThrowsAsync<ODataError>(() => client.Users.GetAsync());
        Assert.Equal(403, e.ResponseStatusCode);
        Assert.Equal("Authorization_RequestDenied", e.Error!.Code);
        Assert.Equal("Insufficient privileges to complete the operation.", e.Error.Message);
    }

    [Fact]
    public async Task BadToken_Is401InvalidAuthenticationToken()
    {
        var client = F.Graph("eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
        var e = await Assert.ThrowsAsync<ODataError>(() => client.Organization.GetAsync());
        Assert.Equal(401, e.ResponseStatusCode);
        Assert.Equal("InvalidAuthenticationToken", e.Error!.Code);
    }

    [Fact]
    public async Task ServicePrincipals_FilterByAppIdAndLegacyType_AndGraphHasRealRoleIds()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        var graph = await client.ServicePrincipals.GetAsync(r => r.QueryParameters.Filter = "appId eq '00000003-0000-0000-c000-000000000000'");
        var sp = Assert.Single(graph!.Value!);
        Assert.Equal(Guid.Parse("df021288-bdef-4463-88db-98f22de89214"), sp.AppRoles!.Single(r => r.Value == "User.Read.All").Id);
        Assert.Equal(Guid.Parse("e1fe6dd8-ba31-4d61-89e7-88639da4683d"), sp.Oauth2PermissionScopes!.Single(s => s.Value == "User.Read").Id);

        var legacy = await client.ServicePrincipals.GetAsync(r => r.QueryParameters.Filter = "servicePrincipalType eq 'Legacy'");
        Assert.All(legacy!.Value!, s => Assert.Equal("Legacy", s.ServicePrincipalType));
        Assert.NotEmpty(legacy.Value!);

        var apps = await client.Applications.GetAsync(r => r.QueryParameters.Filter = $"appId eq '{F.Contoso.AdminAppId}'");
        Assert.Equal("CasAdmin Automation", Assert.Single(apps!.Value!).DisplayName);
    }

    [Fact]
    public async Task Organization_IsTheTenant()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Fabrikam));
        var org = Assert.Single((await client.Organization.GetAsync())!.Value!);
        Assert.Equal(F.Fabrikam.TenantId, org.Id);
        Assert.Equal(F.Fabrikam.Domain, Assert.Single(org.VerifiedDomains!).Name);
    }

    [Fact]
    public async Task Batch_InnerRequestGetsItsOwnInjected429_OthersSucceed()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        await F.Host.Control.AddFaultAsync(new FaultRule { Method = "GET", Path = "/v1.0/organization*", Status = 429, RetryAfterSeconds = 1, Times = 1 });

        var batch = new BatchRequestContentCollection(client);
        var usersId = await batch.AddBatchRequestStepAsync(client.Users.ToGetRequestInformation(r => r.QueryParameters.Top = 3));
        var orgId = await batch.AddBatchRequestStepAsync(client.Organization.ToGetRequestInformation());
        var spId = await batch.AddBatchRequestStepAsync(client.ServicePrincipals.ToGetRequestInformation(r => r.QueryParameters.Top = 2));
        var response = await client.Batch.PostAsync(batch);

        var statuses = await response.GetResponsesStatusCodesAsync();
        Assert.Equal(HttpStatusCode.OK, statuses[usersId]);
        Assert.Equal(HttpStatusCode.OK, statuses[spId]);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[orgId]);
        using var throttled = await response.GetResponseByIdAsync(orgId);
        Assert.Equal(TimeSpan.FromSeconds(1), throttled.Headers.RetryAfter!.Delta);
        var users = await response.GetResponseByIdAsync<UserCollectionResponse>(usersId);
        Assert.Equal(3, users.Value!.Count);
    }

    [Fact]
    public async Task Batch_DependsOnFailure_Gives424_AndMoreThan20RequestsIs400()
    {
        var token = await F.AppTokenAsync(F.Contoso);
        var body = """
            {"requests":[
              {"id":"1","method":"GET","url":"/users/does-not-exist"},
              {"id":"2","method":"GET","url":"/organization","dependsOn":["1"]}
            ]}
            """;
        using var request = F.GraphRequest(HttpMethod.Post, "v1.0/$batch", token);
        request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await F.Http.SendAsync(request);
        var json = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var byId = json["responses"]!.AsArray().ToDictionary(r => r!["id"]!.GetValue<string>(), r => r!["status"]!.GetValue<int>());
        Assert.Equal(404, byId["1"]);
        Assert.Equal(424, byId["2"]);

        var many = "{\"requests\":[" + string.Join(",", Enumerable.Range(1, 21).Select(i => $"{{\"id\":\"{i}\",\"method\":\"GET\",\"url\":\"/organization\"}}")) + "]}";
        using var tooMany = F.GraphRequest(HttpMethod.Post, "v1.0/$batch", token);
        tooMany.Content = new StringContent(many, System.Text.Encoding.UTF8, "application/json");
        using var rejected = await F.Http.SendAsync(tooMany);
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
    }

    [Fact]
    public async Task EveryResponse_CarriesGraphHeaders()
    {
        var token = await F.AppTokenAsync(F.Contoso);
        using var request = F.GraphRequest(HttpMethod.Get, "v1.0/users?$top=1", token);
        request.Headers.Add("client-request-id", "0f7c5b4e-1111-2222-3333-444455556666");
        using var response = await F.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.Contains("request-id"));
        Assert.Equal("0f7c5b4e-1111-2222-3333-444455556666", response.Headers.GetValues("client-request-id").Single());
        Assert.NotNull(response.Headers.Date);
        Assert.Equal("1", response.Headers.GetValues("x-ms-resource-unit").Single()); // GET users costs 2 RU, $top < 20 takes 1 off
    }
}
