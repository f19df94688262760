using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Microsoft.Identity.Client;
using Microsoft.Identity.Client.AppConfig;

namespace CasAdmin.Sandbox.Tests;

/// <summary>The unmodified MSAL against the sandbox's Entra endpoints.</summary>
public sealed class IdentityTests(SandboxFixture fixture) : SandboxTest(fixture)
{
    private static readonly string[] GraphDefault = ["https://graph.microsoft.com/.default"];

    [Fact]
    public async Task ClientCredentials_WithSecret_TokenCarriesTheConsentedAppRoles()
    {
        var admin = F.Contoso.Apps["admin"];
        var result = await F.Confidential(F.Contoso, admin.AppId, admin.Secret!).AcquireTokenForClient(GraphDefault).ExecuteAsync();

        var jwt = SandboxFixture.Decode(result.AccessToken);
        Assert.Equal("https://graph.microsoft.com", jwt.Audiences.Single());
        Assert.Equal($"https://sts.windows.net/{F.Contoso.TenantId}/", jwt.Issuer);
        Assert.Equal(F.Contoso.TenantId, jwt.GetClaim("tid").Value);
        Assert.Equal(admin.AppId, jwt.GetClaim("appid").Value);
        Assert.Equal("app", jwt.GetClaim("idtyp").Value);
        var roles = SandboxFixture.ClaimValues(result.AccessToken, "roles");
        Assert.Equal(
            ["AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All",
             "Group.ReadWrite.All", "Organization.Read.All", "Policy.Read.All", "RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory", "User.Read.All", "User.ReadWrite.All"],
            roles.Order(StringComparer.Ordinal));
        Assert.True(result.ExpiresOn > DateTimeOffset.UtcNow.AddMinutes(50)); // MSAL would treat < 5 minutes as expired
    }

    [Fact]
    public async Task ClientCredentials_WithoutConsent_TokenHasNoRolesClaim()
    {
        var token = await F.AppTokenAsync(F.Contoso, "noConsent");
        Assert.Empty(SandboxFixture.ClaimValues(token, "roles"));
    }

    [Fact]
    public async Task ClientCredentials_WithRegisteredCertificate_IsAccepted()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=CasAdmin Test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var admin = F.Contoso.Apps["admin"];
        using var publicOnly = X509CertificateLoader.LoadCertificate(cert.RawData);
        await F.Host.Control.RegisterCertificateAsync(F.Contoso.TenantId, admin.AppId, publicOnly);

        var app = ConfidentialClientApplicationBuilder.Create(admin.AppId)
            .WithCertificate(cert)
            .WithAuthority(F.Authority(F.Contoso.TenantId), validateAuthority: false)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(F.MsalHttp)
            .Build();
        var result = await app.AcquireTokenForClient(GraphDefault).ExecuteAsync();

        Assert.Equal("2", SandboxFixture.Decode(result.AccessToken).GetClaim("appidacr").Value); // certificate credential
        Assert.Contains("User.Read.All", SandboxFixture.ClaimValues(result.AccessToken, "roles"));
    }

    [Fact]
    public async Task ClientCredentials_WithUnregisteredCertificate_FailsWith700027()
    {
        using var rsa = RSA.Create(2048);
        using var cert = new CertificateRequest("CN=Unknown", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var app = ConfidentialClientApplicationBuilder.Create(F.Contoso.AdminAppId)
            .WithCertificate(cert)
            .WithAuthority(F.Authority(F.Contoso.TenantId), validateAuthority: false)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(F.MsalHttp)
            .Build();

        var e = await Assert.ThrowsAsync<MsalServiceException>(() => app.AcquireTokenForClient(GraphDefault).ExecuteAsync());
        Assert.Equal("invalid_client", e.ErrorCode);
        Assert.Contains("700027", e.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongSecret_SurfacesAsInvalidClient7000215()
    {
        var e = await Assert.ThrowsAsync<MsalServiceException>(() =>
            F.Confidential(F.Contoso, F.Contoso.AdminAppId, "not-the-secret").AcquireTokenForClient(GraphDefault).ExecuteAsync());
        Assert.Equal("invalid_client", e.ErrorCode);
        Assert.Equal(401, e.StatusCode);
        Assert.Contains("7000215", e.ResponseBody, StringComparison.Ordinal);
        Assert.DoesNotContain(F.Contoso.AdminAppSecret, e.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredSecret_SurfacesAsInvalidClient7000222()
    {
        var expired = F.Contoso.Apps["expired"];
        var e = await Assert.ThrowsAsync<MsalServiceException>(() =>
            F.Confidential(F.Contoso, expired.AppId, expired.Secret!).AcquireTokenForClient(GraphDefault).ExecuteAsync());
        Assert.Equal("invalid_client", e.ErrorCode);
        Assert.Contains("7000222", e.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownTenant_SurfacesAs90002()
    {
        var app = ConfidentialClientApplicationBuilder.Create(F.Contoso.AdminAppId)
            .WithClientSecret(F.Contoso.AdminAppSecret)
            .WithAuthority(F.Authority("nosuchtenant.onmicrosoft.com"), validateAuthority: false)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(F.MsalHttp)
            .Build();
        var e = await Assert.ThrowsAsync<MsalServiceException>(() => app.AcquireTokenForClient(GraphDefault).ExecuteAsync());
        Assert.Equal("invalid_request", e.ErrorCode);
        Assert.Contains("90002", e.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisabledServicePrincipal_And_UnknownApp_SurfaceTheirCodes()
    {
        var disabled = F.Contoso.Apps["disabled"];
        var e1 = await Assert.ThrowsAsync<MsalServiceException>(() =>
            F.Confidential(F.Contoso, disabled.AppId, disabled.Secret!).AcquireTokenForClient(GraphDefault).ExecuteAsync());
        Assert.Contains("7000112", e1.ResponseBody, StringComparison.Ordinal);

        // The contoso admin app has no service principal in fabrikam.
        var e2 = await Assert.ThrowsAsync<MsalServiceException>(() =>
            F.Confidential(F.Fabrikam, F.Contoso.AdminAppId, F.Contoso.AdminAppSecret).AcquireTokenForClient(GraphDefault).ExecuteAsync());
        Assert.Equal("unauthorized_client", e2.ErrorCode);
        Assert.Contains("700016", e2.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TenantMayBeAddressedByDomain()
    {
        var app = ConfidentialClientApplicationBuilder.Create(F.Fabrikam.AdminAppId)
            .WithClientSecret(F.Fabrikam.AdminAppSecret)
            .WithAuthority(F.Authority(F.Fabrikam.Domain), validateAuthority: false)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(F.MsalHttp)
            .Build();
        var result = await app.AcquireTokenForClient(GraphDefault).ExecuteAsync();
        Assert.Equal(F.Fabrikam.TenantId, SandboxFixture.Decode(result.AccessToken).GetClaim("tid").Value);
    }

    [Fact]
    public async Task DeviceCode_ApprovedForActiveAdmin_GivesDelegatedTokenWithGlobalAdminWidsAndScp()
    {
        var result = await F.DeviceCodeTokenAsync(F.Contoso, F.Contoso.AdminUser, "User.Read", "Directory.Read.All");

        var scp = SandboxFixture.Decode(result.AccessToken).GetClaim("scp").Value.Split(' ');
        Assert.Contains("User.Read", scp);
        Assert.Contains("Directory.Read.All", scp);
        Assert.Contains("62e90394-69f5-4237-9190-012177145e10", SandboxFixture.ClaimValues(result.AccessToken, "wids"));
        Assert.Equal("user", SandboxFixture.Decode(result.AccessToken).GetClaim("idtyp").Value);
        Assert.Equal(F.Contoso.AdminUser, result.Account.Username);
        Assert.Equal(F.Contoso.TenantId, result.TenantId);
        Assert.Contains("62e90394-69f5-4237-9190-012177145e10", SandboxFixture.ClaimValues(result.IdToken, "wids"));
    }

    [Fact]
    public async Task DeviceCode_EligibleOnlyAdmin_HasNoGlobalAdminInWids()
    {
        var result = await F.DeviceCodeTokenAsync(F.Contoso, F.Contoso.EligibleAdminUser, "User.Read");
        var wids = SandboxFixture.ClaimValues(result.AccessToken, "wids");
        Assert.DoesNotContain("62e90394-69f5-4237-9190-012177145e10", wids);
        Assert.NotEmpty(wids); // the default user role is still there
    }

    [Fact]
    public async Task DeviceCode_Denied_SurfacesAuthorizationDeclined()
    {
        var e = await Assert.ThrowsAsync<MsalServiceException>(() => F.Public(F.Contoso)
            .AcquireTokenWithDeviceCode(["User.Read"], dc => F.Host.Control.DenyDeviceCodeAsync(dc.UserCode)).ExecuteAsync());
        Assert.Equal("authorization_declined", e.ErrorCode);
    }

    private const string GraphCommandLineTools = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

    private IPublicClientApplication GraphCommandLineToolsApp(SandboxTenantInfo tenant) =>
        PublicClientApplicationBuilder.Create(GraphCommandLineTools)
            .WithAuthority(F.Authority(tenant.TenantId), validateAuthority: false)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(F.MsalHttp)
            .Build();

    [Fact]
    public async Task GraphCommandLineTools_AdministratorWhoConsents_GetsTheScopesItAskedFor_InAnyTenant()
    {
        string[] scopes = ["https://graph.microsoft.com/Application.ReadWrite.All", "https://graph.microsoft.com/DelegatedPermissionGrant.ReadWrite.All"];
        var result = await GraphCommandLineToolsApp(F.Fabrikam)
            .AcquireTokenWithDeviceCode(scopes, dc => F.Host.Control.ApproveDeviceCodeWithConsentAsync(dc.UserCode, F.Fabrikam.AdminUser)).ExecuteAsync();

        var jwt = SandboxFixture.Decode(result.AccessToken);
        Assert.Equal(GraphCommandLineTools, jwt.GetClaim("appid").Value);
        Assert.Equal(F.Fabrikam.TenantId, jwt.GetClaim("tid").Value);
        Assert.Contains("Application.ReadWrite.All", jwt.GetClaim("scp").Value.Split(' '));

        // Microsoft's app object is not the tenant's: app registrations never list it; its principal is there.
        var apps = await F.Graph(result.AccessToken).Applications.GetAsync(r => r.QueryParameters.Filter = $"appId eq '{GraphCommandLineTools}'");
        Assert.Empty(apps!.Value!);
        var principals = await F.Graph(result.AccessToken).ServicePrincipals.GetAsync(r => r.QueryParameters.Filter = $"appId eq '{GraphCommandLineTools}'");
        Assert.Equal("f8cdef31-a31e-4b4a-93e4-5f571e91255a", Assert.Single(principals!.Value!).AppOwnerOrganizationId?.ToString());
    }

    [Fact]
    public async Task GraphCommandLineTools_UserWithoutAdminRole_CannotConsentToAdminScopes_ConsentRequired()
    {
        var e = await Assert.ThrowsAnyAsync<MsalServiceException>(() => GraphCommandLineToolsApp(F.Contoso)
            .AcquireTokenWithDeviceCode(["https://graph.microsoft.com/Application.ReadWrite.All"],
                dc => F.Host.Control.ApproveDeviceCodeWithConsentAsync(dc.UserCode, F.Contoso.PlainUser)).ExecuteAsync());

        Assert.Contains("AADSTS65001", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefreshToken_IsRedeemedBySilentCallOnTheSameApp()
    {
        var app = F.Public(F.Contoso);
        var first = await app.AcquireTokenWithDeviceCode(["User.Read"], dc => F.Host.Control.ApproveDeviceCodeAsync(dc.UserCode, F.Contoso.PlainUser)).ExecuteAsync();
        var refreshed = await app.AcquireTokenSilent(["User.Read"], first.Account).WithForceRefresh(true).ExecuteAsync();

        Assert.Equal(TokenSource.IdentityProvider, refreshed.AuthenticationResultMetadata.TokenSource);
        Assert.NotEqual(first.AccessToken, refreshed.AccessToken);
        Assert.Equal(first.UniqueId, refreshed.UniqueId);
    }

    [Fact]
    public async Task Interactive_SystemBrowserFlow_IsDrivenThroughOpenBrowserAsync()
    {
        await F.Host.Control.SetInteractiveUserAsync(F.Contoso.AdminUser);
        using var browser = new HttpClient(F.Host.CreatePinnedHandler());
        using var loopback = new HttpClient();
        var app = F.Public(F.Contoso, "http://localhost");
        var options = new SystemWebViewOptions
        {
            // Plays the browser: load the authorize page, then submit its form_post (or follow its redirect) to MSAL's listener.
            OpenBrowserAsync = async uri =>
            {
                using var authorize = await browser.GetAsync(uri);
                var html = await authorize.Content.ReadAsStringAsync();
                var action = System.Net.WebUtility.HtmlDecode(Regex.Match(html, "action=\"([^\"]+)\"").Groups[1].Value);
                var fields = Regex.Matches(html, "name=\"([^\"]+)\" value=\"([^\"]*)\"")
                    .ToDictionary(m => m.Groups[1].Value, m => System.Net.WebUtility.HtmlDecode(m.Groups[2].Value));
                Assert.True(fields.ContainsKey("code"), html);
                // MSAL starts its loopback listener around this call: post in the background, retrying briefly.
                _ = Task.Run(async () =>
                {
                    for (var i = 0; i < 50; i++)
                    {
                        try
                        {
                            using var _ = await loopback.PostAsync(action, new FormUrlEncodedContent(fields));
                            return;
                        }
                        catch (HttpRequestException)
                        {
                            await Task.Delay(100);
                        }
                    }
                });
            },
        };
        var result = await app.AcquireTokenInteractive(["User.Read"]).WithUseEmbeddedWebView(false).WithSystemWebViewOptions(options).ExecuteAsync();

        Assert.Equal(F.Contoso.AdminUser, result.Account.Username);
        Assert.Contains("User.Read", SandboxFixture.Decode(result.AccessToken).GetClaim("scp").Value.Split(' '));
    }

    [Fact]
    public async Task Authorize_WithoutInteractiveUser_ShowsAPageSayingSo()
    {
        var url = $"{F.Contoso.TenantId}/oauth2/v2.0/authorize?client_id={F.Contoso.Apps["public"].AppId}&redirect_uri=http%3A%2F%2Flocalhost%3A1234&response_type=code&scope=User.Read&state=s1";
        using var response = await F.Http.GetAsync(url);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("No interactive user is configured", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await F.Host.Control.SetInteractiveUserAsync(F.Contoso.PlainUser);
        using var noRedirect = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString(HashAlgorithmName.SHA256) == F.Host.Thumbprint },
        }) { BaseAddress = F.Host.Url };
        using var redirect = await noRedirect.GetAsync(url);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.StartsWith("http://localhost:1234/?code=", redirect.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Contains("&state=s1", redirect.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManagedIdentity_AppServiceEndpoint_GivesTokenWithTheIdentitysRoles()
    {
        var previousEndpoint = Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT");
        var previousHeader = Environment.GetEnvironmentVariable("IDENTITY_HEADER");
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", F.Contoso.ManagedIdentityEndpoint);
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", F.Contoso.ManagedIdentityHeader);
        try
        {
            var mi = ManagedIdentityApplicationBuilder.Create(ManagedIdentityId.SystemAssigned).WithHttpClientFactory(F.MsalHttp).Build();
            var result = await mi.AcquireTokenForManagedIdentity("https://graph.microsoft.com").ExecuteAsync();

            var jwt = SandboxFixture.Decode(result.AccessToken);
            Assert.Equal(F.Contoso.ManagedIdentityClientId, jwt.GetClaim("appid").Value);
            Assert.Contains("Application.ReadWrite.All", SandboxFixture.ClaimValues(result.AccessToken, "roles"));
            Assert.True(result.ExpiresOn > DateTimeOffset.UtcNow.AddMinutes(50));
        }
        finally
        {
            Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", previousEndpoint);
            Environment.SetEnvironmentVariable("IDENTITY_HEADER", previousHeader);
        }
    }

    [Fact]
    public async Task DiscoveryDocumentAndKeys_AreServed()
    {
        var config = await F.Http.GetStringAsync($"{F.Contoso.TenantId}/v2.0/.well-known/openid-configuration");
        Assert.Contains($"\"token_endpoint\":\"{F.Host.Url}{F.Contoso.TenantId}/oauth2/v2.0/token\"", config, StringComparison.Ordinal);
        var keys = await F.Http.GetStringAsync("discovery/v2.0/keys");
        Assert.Contains("\"kty\":\"RSA\"", keys, StringComparison.Ordinal);
    }
}
