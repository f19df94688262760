using Microsoft.Graph.Applications.Item.AddPassword;
using Microsoft.Graph.Applications.Item.RemovePassword;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Identity.Client;

namespace CasAdmin.Sandbox.Tests;

/// <summary>App registration, secrets, service principals, consent, policy, replication lag and deleted items, driven by the unmodified SDKs.</summary>
public sealed class AppManagementTests(SandboxFixture fixture) : SandboxTest(fixture)
{
    private static readonly Guid UserReadAll = Guid.Parse("df021288-bdef-4463-88db-98f22de89214");
    private static readonly Guid ChatReadAll = Guid.Parse("6b7d71aa-70aa-4810-a8d9-5d9fb2830017");

    [Fact]
    public async Task CreateApp_AddPassword_SecretWorks_AssignmentsReachNewTokens_RemovedSecretRefused()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        var app = (await client.Applications.PostAsync(new Application
        {
            DisplayName = "Teams Chat Protection",
            SignInAudience = "AzureADMultipleOrgs",
            Web = new WebApplication { RedirectUris = ["https://console.example.com/provision.html"] },
            Tags = ["CasAdmin.TeamsChat"],
            RequiredResourceAccess =
            [
                new RequiredResourceAccess
                {
                    ResourceAppId = TestApps.GraphAppId,
                    ResourceAccess = [new ResourceAccess { Id = UserReadAll, Type = "Role" }, new ResourceAccess { Id = ChatReadAll, Type = "Role" }],
                },
            ],
        }))!;
        Assert.False(string.IsNullOrEmpty(app.Id));
        Assert.NotEqual(app.Id, app.AppId);

        var secret = (await client.Applications[app.Id].AddPassword.PostAsync(new AddPasswordPostRequestBody
        {
            PasswordCredential = new PasswordCredential { DisplayName = "CasAdmin", EndDateTime = DateTimeOffset.UtcNow.AddDays(90) },
        }))!;
        Assert.Equal(40, secret.SecretText!.Length);
        Assert.Equal(secret.SecretText[..3], secret.Hint);

        // Found by tag with the engine's $select; the secret shows its hint and no text.
        var found = await client.Applications.GetAsync(r =>
        {
            r.QueryParameters.Filter = "tags/any(t:t eq 'CasAdmin.TeamsChat')";
            r.QueryParameters.Select = ["id", "appId", "displayName", "tags", "signInAudience", "web", "passwordCredentials", "requiredResourceAccess"];
        });
        var listed = Assert.Single(found!.Value!);
        Assert.Equal(app.AppId, listed.AppId);
        var credential = Assert.Single(listed.PasswordCredentials!);
        Assert.Equal(secret.KeyId, credential.KeyId);
        Assert.Equal(secret.Hint, credential.Hint);
        Assert.Null(credential.SecretText);
        Assert.Equal(2, listed.RequiredResourceAccess!.Single().ResourceAccess!.Count);
        Assert.Single((await client.Applications.GetAsync(r => r.QueryParameters.Filter = "displayName eq 'Teams Chat Protection'"))!.Value!);

        var sp = (await client.ServicePrincipals.PostAsync(new ServicePrincipal { AppId = app.AppId }))!;
        var before = await TestApps.TokenAsync(F, F.Contoso, app.AppId!, secret.SecretText);
        Assert.Empty(SandboxFixture.ClaimValues(before, "roles"));

        var graph = await TestApps.GraphServicePrincipalAsync(client);
        foreach (var role in new[] { UserReadAll, ChatReadAll })
        {
            await client.ServicePrincipals[graph.Id].AppRoleAssignedTo.PostAsync(new AppRoleAssignment { PrincipalId = Guid.Parse(sp.Id!), ResourceId = Guid.Parse(graph.Id!), AppRoleId = role });
        }
        var after = await TestApps.TokenAsync(F, F.Contoso, app.AppId!, secret.SecretText);
        Assert.Equal(["Chat.Read.All", "User.Read.All"], SandboxFixture.ClaimValues(after, "roles").Order().ToList());
        var assignments = await client.ServicePrincipals[sp.Id].AppRoleAssignments.GetAsync();
        Assert.Equal(2, assignments!.Value!.Count);

        await client.Applications[app.Id].RemovePassword.PostAsync(new RemovePasswordPostRequestBody { KeyId = secret.KeyId });
        var refused = await Assert.ThrowsAsync<MsalServiceException>(() => TestApps.TokenAsync(F, F.Contoso, app.AppId!, secret.SecretText));
        Assert.Equal("invalid_client", refused.ErrorCode);
        Assert.Contains("AADSTS7000215", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Assignments_InvalidRoleDuplicateAndUnknownKeyAreGraphErrors()
    {
        var created = await TestApps.CreateAsync(F, F.Contoso, "Assignment Errors", "User.Read.All");
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));

        var duplicate = await Assert.ThrowsAsync<ODataError>(() => client.ServicePrincipals[created.GraphServicePrincipalId].AppRoleAssignedTo.PostAsync(new AppRoleAssignment
        {
            PrincipalId = Guid.Parse(created.ServicePrincipalId), ResourceId = Guid.Parse(created.GraphServicePrincipalId), AppRoleId = UserReadAll,
        }));
        Assert.Equal(400, duplicate.ResponseStatusCode);
        Assert.Equal("Permission being assigned already exists on the object.", duplicate.Error!.Message);

        var unknownRole = await Assert.ThrowsAsync<ODataError>(() => client.ServicePrincipals[created.GraphServicePrincipalId].AppRoleAssignedTo.PostAsync(new AppRoleAssignment
        {
            PrincipalId = Guid.Parse(created.ServicePrincipalId), ResourceId = Guid.Parse(created.GraphServicePrincipalId), AppRoleId = Guid.NewGuid(),
        }));
        Assert.Equal(400, unknownRole.ResponseStatusCode);

        var unknownKey = await Assert.ThrowsAsync<ODataError>(() => client.Applications[created.ObjectId].RemovePassword.PostAsync(new RemovePasswordPostRequestBody { KeyId = Guid.NewGuid() }));
        Assert.Equal(400, unknownKey.ResponseStatusCode);

        var twice = await Assert.ThrowsAsync<ODataError>(() => client.ServicePrincipals.PostAsync(new ServicePrincipal { AppId = created.AppId }));
        Assert.Equal(409, twice.ResponseStatusCode);
        Assert.Equal(1, (await F.Host.Control.GetStatsAsync()).Endpoints["POST /v1.0/servicePrincipals"].DuplicateCreates);
        var noApp = await Assert.ThrowsAsync<ODataError>(() => client.ServicePrincipals.PostAsync(new ServicePrincipal { AppId = Guid.NewGuid().ToString() }));
        Assert.Equal(400, noApp.ResponseStatusCode);

        // Revoking an assignment takes the role out of the next token.
        var assignment = Assert.Single((await client.ServicePrincipals[created.ServicePrincipalId].AppRoleAssignments.GetAsync())!.Value!);
        await client.ServicePrincipals[created.ServicePrincipalId].AppRoleAssignments[assignment.Id].DeleteAsync();
        Assert.Empty(SandboxFixture.ClaimValues(await TestApps.TokenAsync(F, F.Contoso, created.AppId, created.Secret), "roles"));
    }

    [Fact]
    public async Task AppWrites_NeedApplicationReadWriteAll()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso, "chatReader"));
        var e = await Assert.ThrowsAsync<ODataError>(() => client.Applications.PostAsync(new Application { DisplayName = "Not allowed" }));
        Assert.Equal(403, e.ResponseStatusCode);
        Assert.Equal("Authorization_RequestDenied", e.Error!.Code);
    }

    [Fact]
    public async Task AppManagementPolicy_PerTenant_AndAddPasswordBeyondItIsRefused()
    {
        var fabrikam = F.Graph(await F.AppTokenAsync(F.Fabrikam));
        var policy = (await fabrikam.Policies.DefaultAppManagementPolicy.GetAsync())!;
        Assert.True(policy.IsEnabled);
        var restriction = Assert.Single(policy.ApplicationRestrictions!.PasswordCredentials!);
        Assert.Equal(AppCredentialRestrictionType.PasswordLifetime, restriction.RestrictionType);
        Assert.Equal(TimeSpan.FromDays(180), restriction.MaxLifetime);
        Assert.False((await F.Graph(await F.AppTokenAsync(F.Contoso)).Policies.DefaultAppManagementPolicy.GetAsync())!.IsEnabled);

        var app = (await fabrikam.Applications.PostAsync(new Application { DisplayName = "Policy Probe" }))!;
        var refused = await Assert.ThrowsAsync<ODataError>(() => fabrikam.Applications[app.Id].AddPassword.PostAsync(new AddPasswordPostRequestBody
        {
            PasswordCredential = new PasswordCredential { DisplayName = "two years", EndDateTime = DateTimeOffset.UtcNow.AddYears(2) },
        }));
        Assert.Equal(400, refused.ResponseStatusCode);
        Assert.Equal("CredentialInvalidLifetimeAsPerAppPolicy", refused.Error!.Code);
        Assert.StartsWith("Credential lifetime exceeds the max value allowed as per assigned policy", refused.Error.Message, StringComparison.Ordinal);
        Assert.Equal("InvalidKeyEndDate", Assert.Single(refused.Error.Details!).Code);

        var allowed = await fabrikam.Applications[app.Id].AddPassword.PostAsync(new AddPasswordPostRequestBody
        {
            PasswordCredential = new PasswordCredential { DisplayName = "90 days", EndDateTime = DateTimeOffset.UtcNow.AddDays(90) },
        });
        Assert.NotNull(allowed!.SecretText);

        // Without a policy the same request succeeds.
        await F.Host.Control.ClearAppManagementPolicyAsync(F.Fabrikam.TenantId);
        var unrestricted = await fabrikam.Applications[app.Id].AddPassword.PostAsync(new AddPasswordPostRequestBody
        {
            PasswordCredential = new PasswordCredential { DisplayName = "two years", EndDateTime = DateTimeOffset.UtcNow.AddYears(2) },
        });
        Assert.NotNull(unrestricted!.SecretText);
        await F.Host.Control.SetAppManagementPolicyAsync(F.Contoso.TenantId, true, TimeSpan.FromDays(30));
        Assert.Equal(TimeSpan.FromDays(30), (await F.Graph(await F.AppTokenAsync(F.Contoso)).Policies.DefaultAppManagementPolicy.GetAsync())!
            .ApplicationRestrictions!.PasswordCredentials!.Single().MaxLifetime);
    }

    [Fact]
    public async Task ReplicationLag_NewObjectsAre404UntilReplicated()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        await F.Host.Control.SetReplicationLagAsync(int.MaxValue);
        var app = (await client.Applications.PostAsync(new Application { DisplayName = "Lagging App" }))!;
        Assert.Equal("Lagging App", app.DisplayName); // the create itself answers with the object

        var missing = await Assert.ThrowsAsync<ODataError>(() => client.Applications[app.Id].GetAsync());
        Assert.Equal(404, missing.ResponseStatusCode);
        Assert.Equal("Request_ResourceNotFound", missing.Error!.Code);
        Assert.Empty((await client.Applications.GetAsync(r => r.QueryParameters.Filter = $"appId eq '{app.AppId}'"))!.Value!);
        var early = await Assert.ThrowsAsync<ODataError>(() => client.ServicePrincipals.PostAsync(new ServicePrincipal { AppId = app.AppId }));
        Assert.Equal(400, early.ResponseStatusCode);

        await F.Host.Control.SetReplicationLagAsync(0);
        Assert.Equal(app.AppId, (await client.Applications[app.Id].GetAsync())!.AppId);
        Assert.Single((await client.Applications.GetAsync(r => r.QueryParameters.Filter = $"appId eq '{app.AppId}'"))!.Value!);
    }

    [Fact]
    public async Task DeletedItems_DeleteMovesThere_PurgeRemovesForGood()
    {
        var created = await TestApps.CreateAsync(F, F.Contoso, "Short Lived", "User.Read.All");
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        await client.Applications[created.ObjectId].DeleteAsync();

        Assert.Equal(404, (await Assert.ThrowsAsync<ODataError>(() => client.Applications[created.ObjectId].GetAsync())).ResponseStatusCode);
        // The home-tenant service principal went with it, and the app can no longer sign in.
        Assert.Empty((await client.ServicePrincipals.GetAsync(r => r.QueryParameters.Filter = $"appId eq '{created.AppId}'"))!.Value!);
        var signIn = await Assert.ThrowsAsync<MsalServiceException>(() => TestApps.TokenAsync(F, F.Contoso, created.AppId, created.Secret));
        Assert.Contains("AADSTS700016", signIn.Message, StringComparison.Ordinal);

        var deleted = await client.Directory.DeletedItems[created.ObjectId].GetAsync();
        var deletedApp = Assert.IsType<Application>(deleted);
        Assert.Equal(created.AppId, deletedApp.AppId);
        Assert.NotNull(deletedApp.DeletedDateTime);
        var deletedSp = Assert.IsType<ServicePrincipal>(await client.Directory.DeletedItems[created.ServicePrincipalId].GetAsync());
        Assert.Equal(created.AppId, deletedSp.AppId);
        var list = await client.Directory.DeletedItems.GraphApplication.GetAsync();
        Assert.Contains(list!.Value!, a => a.Id == created.ObjectId);

        await client.Directory.DeletedItems[created.ObjectId].DeleteAsync();
        var gone = await Assert.ThrowsAsync<ODataError>(() => client.Directory.DeletedItems[created.ObjectId].GetAsync());
        Assert.Equal(404, gone.ResponseStatusCode);
        Assert.Equal(404, (await Assert.ThrowsAsync<ODataError>(() => client.Directory.DeletedItems[created.ObjectId].DeleteAsync())).ResponseStatusCode);
    }

    [Fact]
    public async Task DeletedServicePrincipal_CanBeRestoredWithItsAssignments()
    {
        var created = await TestApps.CreateAsync(F, F.Contoso, "Restorable", "User.Read.All");
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        await client.ServicePrincipals[created.ServicePrincipalId].DeleteAsync();
        Assert.Contains("AADSTS700016", (await Assert.ThrowsAsync<MsalServiceException>(() => TestApps.TokenAsync(F, F.Contoso, created.AppId, created.Secret))).Message, StringComparison.Ordinal);

        await client.Directory.DeletedItems[created.ServicePrincipalId].Restore.PostAsync();
        Assert.Equal(["User.Read.All"], SandboxFixture.ClaimValues(await TestApps.TokenAsync(F, F.Contoso, created.AppId, created.Secret), "roles"));
    }

    [Fact]
    public async Task DelegatedGrants_CreateFilterByClientAndDelete()
    {
        var created = await TestApps.CreateAsync(F, F.Contoso, "Grant Target");
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        var grant = (await client.Oauth2PermissionGrants.PostAsync(new OAuth2PermissionGrant
        {
            ClientId = created.ServicePrincipalId, ConsentType = "AllPrincipals", ResourceId = created.GraphServicePrincipalId, Scope = "User.Read",
        }))!;
        var listed = await client.Oauth2PermissionGrants.GetAsync(r => r.QueryParameters.Filter = $"clientId eq '{created.ServicePrincipalId}'");
        Assert.Equal("User.Read", Assert.Single(listed!.Value!).Scope);

        var again = await Assert.ThrowsAsync<ODataError>(() => client.Oauth2PermissionGrants.PostAsync(new OAuth2PermissionGrant
        {
            ClientId = created.ServicePrincipalId, ConsentType = "AllPrincipals", ResourceId = created.GraphServicePrincipalId, Scope = "User.Read",
        }));
        Assert.Equal(409, again.ResponseStatusCode);

        await client.Oauth2PermissionGrants[grant.Id].DeleteAsync();
        Assert.Empty((await client.Oauth2PermissionGrants.GetAsync(r => r.QueryParameters.Filter = $"clientId eq '{created.ServicePrincipalId}'"))!.Value!);
    }

    [Fact]
    public async Task SubscribedSkus_ContosoHasCommunicationsDlp_FabrikamDoesNot()
    {
        const string dlp = "6dc145d6-95dd-4191-b9c3-185575ee6f6b";
        var contoso = (await F.Graph(await F.AppTokenAsync(F.Contoso)).SubscribedSkus.GetAsync())!.Value!;
        var e5 = Assert.Single(contoso);
        Assert.Equal("SPE_E5", e5.SkuPartNumber);
        Assert.Equal(Guid.Parse("06ebc4ee-1bb5-47dd-8120-11324bc54e06"), e5.SkuId);
        Assert.Equal("Enabled", e5.CapabilityStatus);
        Assert.True(e5.PrepaidUnits!.Enabled > 0);
        Assert.Contains(e5.ServicePlans!, p => p.ServicePlanId == Guid.Parse(dlp) && p.ServicePlanName == "COMMUNICATIONS_DLP");
        Assert.Contains(e5.ServicePlans!, p => p.ServicePlanName == "TEAMS1");

        var e3 = Assert.Single((await F.Graph(await F.AppTokenAsync(F.Fabrikam)).SubscribedSkus.GetAsync())!.Value!);
        Assert.Equal("SPE_E3", e3.SkuPartNumber);
        Assert.DoesNotContain(e3.ServicePlans!, p => p.ServicePlanId == Guid.Parse(dlp));
    }

    [Fact]
    public async Task RoleEligibilitySchedules_ListThePimEligibleRoles()
    {
        var client = F.Graph(await F.AppTokenAsync(F.Contoso));
        var pim = (await client.Users[F.Contoso.EligibleAdminUser].GetAsync())!;
        var admin = (await client.Users[F.Contoso.AdminUser].GetAsync())!;
        var schedules = await client.RoleManagement.Directory.RoleEligibilitySchedules.GetAsync(r => r.QueryParameters.Filter = $"principalId eq '{pim.Id}'");
        var s = Assert.Single(schedules!.Value!);
        Assert.Equal("62e90394-69f5-4237-9190-012177145e10", s.RoleDefinitionId);
        Assert.Equal("/", s.DirectoryScopeId);
        Assert.Equal("Provisioned", s.Status);
        Assert.Empty((await client.RoleManagement.Directory.RoleEligibilitySchedules.GetAsync(r => r.QueryParameters.Filter = $"principalId eq '{admin.Id}'"))!.Value!);

        // A signed-in user may read their own eligibilities with no admin scope; an app without role-management permission may not.
        var own = await F.DeviceCodeTokenAsync(F.Contoso, F.Contoso.EligibleAdminUser, "User.Read");
        Assert.Single((await F.Graph(own.AccessToken).RoleManagement.Directory.RoleEligibilitySchedules.GetAsync(r => r.QueryParameters.Filter = $"principalId eq '{pim.Id}'"))!.Value!);
        var reader = F.Graph(await F.AppTokenAsync(F.Contoso, "chatReader"));
        var denied = await Assert.ThrowsAsync<ODataError>(() => reader.RoleManagement.Directory.RoleEligibilitySchedules.GetAsync());
        Assert.Equal(403, denied.ResponseStatusCode);
    }

    [Fact]
    public async Task ApplicationWrites_CostOneResourceUnitAndOneWrite()
    {
        var token = await F.AppTokenAsync(F.Contoso);
        await F.Graph(token).Applications.PostAsync(new Application { DisplayName = "Cost Probe" });
        var stats = await F.Host.Control.GetStatsAsync();
        var post = stats.Endpoints["POST /v1.0/applications"];
        Assert.Equal(1, post.Writes);
        Assert.Equal(1, post.ResourceUnits);
        Assert.Equal(1, post.Statuses["201"]);
    }
}
