using Microsoft.Graph;
using Microsoft.Graph.Applications.Item.AddPassword;
using Microsoft.Graph.Models;

namespace CasAdmin.Sandbox.Tests;

/// <summary>Creates an app the way CasAdmin does, through the unmodified Graph SDK: application, secret, service principal, Graph app roles.</summary>
internal static class TestApps
{
    public const string GraphAppId = "00000003-0000-0000-c000-000000000000";

    public sealed record Created(string ObjectId, string AppId, string ServicePrincipalId, string Secret, string GraphServicePrincipalId);

    public static async Task<ServicePrincipal> GraphServicePrincipalAsync(GraphServiceClient client) =>
        (await client.ServicePrincipals.GetAsync(r => r.QueryParameters.Filter = $"appId eq '{GraphAppId}'"))!.Value!.Single();

    public static async Task<Created> CreateAsync(SandboxFixture f, SandboxTenantInfo tenant, string name, params string[] roles)
    {
        var client = f.Graph(await f.AppTokenAsync(tenant));
        var app = (await client.Applications.PostAsync(new Application { DisplayName = name, SignInAudience = "AzureADMyOrg" }))!;
        var password = (await client.Applications[app.Id].AddPassword.PostAsync(new AddPasswordPostRequestBody
        {
            PasswordCredential = new PasswordCredential { DisplayName = "test", EndDateTime = DateTimeOffset.UtcNow.AddDays(30) },
        }))!;
        var sp = (await client.ServicePrincipals.PostAsync(new ServicePrincipal { AppId = app.AppId }))!;
        var graph = await GraphServicePrincipalAsync(client);
        foreach (var role in roles)
        {
            await client.ServicePrincipals[graph.Id].AppRoleAssignedTo.PostAsync(new AppRoleAssignment
            {
                PrincipalId = Guid.Parse(sp.Id!),
                ResourceId = Guid.Parse(graph.Id!),
                AppRoleId = graph.AppRoles!.Single(r => r.Value == role).Id,
            });
        }
        return new Created(app.Id!, app.AppId!, sp.Id!, password.SecretText!, graph.Id!);
    }

    public static async Task<string> TokenAsync(SandboxFixture f, SandboxTenantInfo tenant, string appId, string secret) =>
        (await f.Confidential(tenant, appId, secret).AcquireTokenForClient(["https://graph.microsoft.com/.default"]).ExecuteAsync()).AccessToken;
}
