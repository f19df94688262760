using Microsoft.Graph.Applications.Item.AddPassword;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Identity.Client;

namespace CasAdmin.Sandbox.Tests;

/// <summary>
/// Entra ID's eventual consistency, one signal per test, through the unmodified Graph SDK and MSAL. "Not yet" is
/// lagMs = int.MaxValue (each object then draws a delay of up to 24 days, so it is practically never replicated during
/// the test); "replicated" is lagMs = 0. No test waits on the clock.
/// </summary>
public sealed class ReplicationTests(SandboxFixture fixture) : SandboxTest(fixture)
{
    private const int NotYet = int.MaxValue;

    [Fact]
    public void ByDefault_TheSandboxIsAsLaggyAsEntra()
    {
        Assert.Equal(10_000, new SandboxOptions().ReplicationLagMs);
    }

    [Fact]
    public async Task NewServicePrincipal_ForAnUnreplicatedApp_Is400NoBackingApplicationObject_WithGraphsDetailShape()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        await F.Host.Control.SetReplicationLagAsync(NotYet);
        var app = (await client.Applications.PostAsync(new Application { DisplayName = "Fresh App" }))!;

        var error = await Assert.ThrowsAsync<ODataError>(() => client.ServicePrincipals.PostAsync(new ServicePrincipal { AppId = app.AppId }));
        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Equal("Request_BadRequest", error.Error!.Code);
        var detail = Assert.Single(error.Error.Details!);
        Assert.Equal("NoBackingApplicationObject", detail.Code);
        Assert.Equal("appId", detail.Target);
        Assert.Contains(app.AppId!, detail.Message, StringComparison.Ordinal);

        await F.Host.Control.SetReplicationLagAsync(0);
        Assert.Equal(app.AppId, (await client.ServicePrincipals.PostAsync(new ServicePrincipal { AppId = app.AppId }))!.AppId);
    }

    [Fact]
    public async Task NewServicePrincipal_IsUnknownToTheTokenEndpoint_700016_UntilReplicated()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        var app = (await client.Applications.PostAsync(new Application { DisplayName = "Fresh Principal" }))!;
        var secret = (await client.Applications[app.Id].AddPassword.PostAsync(new AddPasswordPostRequestBody { PasswordCredential = new PasswordCredential() }))!.SecretText!;
        await F.Host.Control.SetReplicationLagAsync(NotYet); // only the principal lags: the app and its secret are replicated
        var sp = (await client.ServicePrincipals.PostAsync(new ServicePrincipal { AppId = app.AppId }))!;

        var early = await Assert.ThrowsAsync<MsalServiceException>(() => TestApps.TokenAsync(F, F.Contoso, app.AppId!, secret));
        Assert.Equal("unauthorized_client", early.ErrorCode);
        Assert.Contains("AADSTS700016", early.Message, StringComparison.Ordinal);
        Assert.Equal(404, (await Assert.ThrowsAsync<ODataError>(() => client.ServicePrincipals[sp.Id].GetAsync())).ResponseStatusCode);
        Assert.Empty((await client.ServicePrincipals.GetAsync(r => r.QueryParameters.Filter = $"appId eq '{app.AppId}'"))!.Value!);

        await F.Host.Control.SetReplicationLagAsync(0);
        Assert.NotEmpty(await TestApps.TokenAsync(F, F.Contoso, app.AppId!, secret));
    }

    [Fact]
    public async Task NewSecret_Is7000215_UntilReplicated_WhileTheOldOneKeepsWorking()
    {
        var created = await TestApps.CreateAsync(F, F.Contoso, "Rotating App");
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        await F.Host.Control.SetReplicationLagAsync(NotYet);
        var fresh = (await client.Applications[created.ObjectId].AddPassword.PostAsync(new AddPasswordPostRequestBody { PasswordCredential = new PasswordCredential() }))!.SecretText!;

        var early = await Assert.ThrowsAsync<MsalServiceException>(() => TestApps.TokenAsync(F, F.Contoso, created.AppId, fresh));
        Assert.Equal("invalid_client", early.ErrorCode);
        Assert.Contains("AADSTS7000215", early.Message, StringComparison.Ordinal);
        Assert.NotEmpty(await TestApps.TokenAsync(F, F.Contoso, created.AppId, created.Secret));

        await F.Host.Control.SetReplicationLagAsync(0);
        Assert.NotEmpty(await TestApps.TokenAsync(F, F.Contoso, created.AppId, fresh));
    }

    [Fact]
    public async Task NewAppRoleAssignment_IsMissingFromTokensAndLists_UntilReplicated()
    {
        var created = await TestApps.CreateAsync(F, F.Contoso, "Consenting App", "User.Read.All");
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        var graph = await TestApps.GraphServicePrincipalAsync(client);
        await F.Host.Control.SetReplicationLagAsync(NotYet);
        await client.ServicePrincipals[graph.Id].AppRoleAssignedTo.PostAsync(new AppRoleAssignment
        {
            PrincipalId = Guid.Parse(created.ServicePrincipalId),
            ResourceId = Guid.Parse(graph.Id!),
            AppRoleId = graph.AppRoles!.Single(r => r.Value == "Chat.Read.All").Id,
        });

        var token = await F.Confidential(F.Contoso, created.AppId, created.Secret)
            .AcquireTokenForClient(["https://graph.microsoft.com/.default"]).WithForceRefresh(true).ExecuteAsync();
        Assert.Equal(["User.Read.All"], SandboxFixture.ClaimValues(token.AccessToken, "roles"));
        Assert.Single((await client.ServicePrincipals[created.ServicePrincipalId].AppRoleAssignments.GetAsync())!.Value!);

        await F.Host.Control.SetReplicationLagAsync(0);
        token = await F.Confidential(F.Contoso, created.AppId, created.Secret)
            .AcquireTokenForClient(["https://graph.microsoft.com/.default"]).WithForceRefresh(true).ExecuteAsync();
        Assert.Equal(["Chat.Read.All", "User.Read.All"], SandboxFixture.ClaimValues(token.AccessToken, "roles").Order(StringComparer.Ordinal));
        Assert.Equal(2, (await client.ServicePrincipals[created.ServicePrincipalId].AppRoleAssignments.GetAsync())!.Value!.Count);
    }

    [Fact]
    public async Task DeletedApp_CanStillBeReadById_UntilTheDeleteReplicates()
    {
        var created = await TestApps.CreateAsync(F, F.Contoso, "Leaving App");
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        await F.Host.Control.SetReplicationLagAsync(NotYet);
        await client.Applications[created.ObjectId].DeleteAsync();

        Assert.Equal(created.AppId, (await client.Applications[created.ObjectId].GetAsync())!.AppId);
        Assert.Equal(created.AppId, (await client.ServicePrincipals[created.ServicePrincipalId].GetAsync())!.AppId);
        Assert.Empty((await client.Applications.GetAsync(r => r.QueryParameters.Filter = $"appId eq '{created.AppId}'"))!.Value!);

        await F.Host.Control.SetReplicationLagAsync(0);
        Assert.Equal(404, (await Assert.ThrowsAsync<ODataError>(() => client.Applications[created.ObjectId].GetAsync())).ResponseStatusCode);
        Assert.Equal(404, (await Assert.ThrowsAsync<ODataError>(() => client.ServicePrincipals[created.ServicePrincipalId].GetAsync())).ResponseStatusCode);
    }
}
