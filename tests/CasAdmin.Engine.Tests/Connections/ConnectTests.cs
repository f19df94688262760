using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;

namespace CasAdmin.Engine.Tests.Connections;

/// <summary>Connect-CasTenant's engine work in every sign-in mode the sandbox supports, and each way it can fail.</summary>
public sealed class ConnectTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    private readonly ConnectionManager manager = new();

    private Task<CasConnection> Connect(ConnectionRequest request, IOperationObserver? observer = null) =>
        manager.ConnectAsync(request, observer ?? NullOperationObserver.Instance, CancellationToken.None);

    private static X509Certificate2 NewCertificate(string subject)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={subject}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    [Fact]
    public async Task ClientSecret_ConnectsAndReadsTenantAndPermissions()
    {
        var connection = await Connect(sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret));

        Assert.Equal(sandbox.Contoso.TenantId, connection.TenantId);
        Assert.Equal(sandbox.Contoso.Domain, connection.TenantDomain);
        Assert.True(connection.IsAppOnly);
        Assert.Equal(sandbox.Contoso.AdminAppId, connection.AppId);
        Assert.Contains("Application.ReadWrite.All", connection.Permissions);
        Assert.True(connection.IsDefault);
        Assert.True(connection.ExpiresOn > DateTimeOffset.UtcNow.AddMinutes(30));
    }

    [Theory]
    [InlineData("https://10.1.2.3:8443/")]
    [InlineData("https://sandbox.example.com/")]
    [InlineData("https://192.168.0.10/")]
    public async Task ASandboxConnection_OnlyReachesLoopback(string url)
    {
        var request = sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret);
        var remote = new ConnectionRequest
        {
            Mode = SignInMode.ClientSecret, Tenant = request.Tenant, Environment = CasCloud.Sandbox, SandboxUrl = new Uri(url),
            SandboxThumbprint = request.SandboxThumbprint, ClientId = request.ClientId, ClientSecret = request.ClientSecret,
        };

        var error = await Assert.ThrowsAsync<CasException>(() => Connect(remote));

        Assert.Equal(ErrorIds.InvalidArgument, error.ErrorId);
        Assert.Contains("loopback", error.Message, StringComparison.Ordinal);
        Assert.Empty(manager.GetConnections());
    }

    [Theory]
    [InlineData("https://127.0.0.1:1/", true)]
    [InlineData("https://[::1]:1/", true)]
    [InlineData("https://localhost:1/", true)]
    [InlineData("https://127.0.0.1.example.com/", false)]
    [InlineData("https://10.0.0.1/", false)]
    public void Loopback_MeansAnIpLoopbackLiteralOrLocalhost(string url, bool expected) =>
        Assert.Equal(expected, HttpStack.IsLoopback(new Uri(url)));

    [Fact]
    public async Task TheFirstConnection_StaysTheDefault_AndClosingItLeavesNone()
    {
        var manager = new ConnectionManager();
        Task<CasConnection> ConnectTo(CasAdmin.Sandbox.SandboxTenantInfo tenant) =>
            manager.ConnectAsync(sandbox.Request(tenant, SignInMode.ClientSecret), NullOperationObserver.Instance, CancellationToken.None);

        var contoso = await ConnectTo(sandbox.Contoso);
        var fabrikam = await ConnectTo(sandbox.Fabrikam);
        Assert.True(contoso.IsDefault);
        Assert.False(fabrikam.IsDefault);
        Assert.Same(contoso, manager.Resolve());

        // The same identity again replaces the default and keeps that role.
        var contosoAgain = await ConnectTo(sandbox.Contoso);
        Assert.True(contosoAgain.IsDefault);
        Assert.Equal(2, manager.GetConnections().Count);

        // Closing the default never hands unqualified commands to another tenant.
        Assert.True(manager.Disconnect(contosoAgain));
        Assert.False(fabrikam.IsDefault);
        var error = Assert.Throws<CasException>(() => manager.Resolve());
        Assert.Equal(ErrorIds.NotConnected, error.ErrorId);

        // The next connection, with no default left, becomes it.
        var next = await ConnectTo(sandbox.Contoso);
        Assert.True(next.IsDefault);
        Assert.Same(next, manager.Resolve());
        manager.DisconnectAll();
    }

    [Fact]
    public async Task Certificate_Object_File_AndStore_AllConnect()
    {
        using var certificate = NewCertificate("casadmin-engine-test");
        await sandbox.Host.Control.RegisterCertificateAsync(sandbox.Contoso.TenantId, sandbox.Contoso.AdminAppId, certificate);
        var baseRequest = sandbox.Request(sandbox.Contoso, SignInMode.Certificate);

        var byObject = await Connect(new ConnectionRequest
        {
            Mode = SignInMode.Certificate, Tenant = baseRequest.Tenant, Environment = CasCloud.Sandbox, SandboxUrl = baseRequest.SandboxUrl,
            SandboxThumbprint = baseRequest.SandboxThumbprint, ClientId = baseRequest.ClientId, Certificate = certificate,
        });
        Assert.Equal(sandbox.Contoso.TenantId, byObject.TenantId);

        using var folder = new TempFolder();
        var pfx = folder.File("app.pfx");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pfx, "pfx-password"));
        var byFile = await Connect(new ConnectionRequest
        {
            Mode = SignInMode.Certificate, Tenant = baseRequest.Tenant, Environment = CasCloud.Sandbox, SandboxUrl = baseRequest.SandboxUrl,
            SandboxThumbprint = baseRequest.SandboxThumbprint, ClientId = baseRequest.ClientId, CertificatePath = pfx,
            CertificatePassword = SandboxFixture.Secure("pfx-password"),
        });
        Assert.Contains("Application.ReadWrite.All", byFile.Permissions);

        using var withKey = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null, X509KeyStorageFlags.Exportable | X509KeyStorageFlags.PersistKeySet);
        using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadWrite);
        store.Add(withKey);
        try
        {
            var byThumbprint = await Connect(new ConnectionRequest
            {
                Mode = SignInMode.Certificate, Tenant = baseRequest.Tenant, Environment = CasCloud.Sandbox, SandboxUrl = baseRequest.SandboxUrl,
                SandboxThumbprint = baseRequest.SandboxThumbprint, ClientId = baseRequest.ClientId, CertificateThumbprint = withKey.Thumbprint,
            });
            Assert.Equal(sandbox.Contoso.TenantId, byThumbprint.TenantId);
        }
        finally
        {
            store.Remove(withKey);
        }
    }

    [Fact]
    public async Task Certificate_UnknownThumbprint_FailsWithCertificateNotFound()
    {
        var r = sandbox.Request(sandbox.Contoso, SignInMode.Certificate);
        var error = await Assert.ThrowsAsync<CasException>(() => Connect(new ConnectionRequest
        {
            Mode = SignInMode.Certificate, Tenant = r.Tenant, Environment = CasCloud.Sandbox, SandboxUrl = r.SandboxUrl,
            SandboxThumbprint = r.SandboxThumbprint, ClientId = r.ClientId, CertificateThumbprint = new string('A', 40),
        }));

        Assert.Equal(ErrorIds.CertificateNotFound, error.ErrorId);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task DeviceCode_ApprovedByUser_CarriesTheUsersActiveRolesOnly(bool activeAdmin)
    {
        var tenant = sandbox.Contoso;
        var user = activeAdmin ? tenant.AdminUser : tenant.EligibleAdminUser;
        var observer = new RecordingObserver();
        var request = sandbox.Request(tenant, SignInMode.DeviceCode, clientId: sandbox.App(tenant, "public").AppId);
        var connection = await Connect(new ConnectionRequest
        {
            Mode = SignInMode.DeviceCode, Tenant = request.Tenant, Environment = CasCloud.Sandbox, SandboxUrl = request.SandboxUrl,
            SandboxThumbprint = request.SandboxThumbprint, ClientId = request.ClientId,
            DeviceCodeReceived = prompt => _ = Task.Run(() => sandbox.Host.Control.ApproveDeviceCodeAsync(prompt.UserCode, user)),
        }, observer);

        Assert.Equal(user, connection.Account, StringComparer.OrdinalIgnoreCase);
        Assert.False(connection.IsAppOnly);
        Assert.Equal(activeAdmin, connection.IsGlobalAdministrator);
        Assert.Contains("WARNING:", observer.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Interactive_SystemBrowserFlow_SignsInTheConfiguredUser()
    {
        var tenant = sandbox.Fabrikam;
        await sandbox.Host.Control.SetInteractiveUserAsync(tenant.AdminUser);
        var request = sandbox.Request(tenant, SignInMode.Interactive, clientId: sandbox.App(tenant, "public").AppId);

        var connection = await Connect(new ConnectionRequest
        {
            Mode = SignInMode.Interactive, Tenant = request.Tenant, Environment = CasCloud.Sandbox, SandboxUrl = request.SandboxUrl,
            SandboxThumbprint = request.SandboxThumbprint, ClientId = request.ClientId,
            OpenBrowser = (uri, ct) =>
            {
                // Like a real browser, it returns at once; MSAL starts its loopback listener only afterwards.
                _ = Task.Run(() => PlayBrowserAsync(uri, ct), ct);
                return Task.CompletedTask;
            },
        });

        Assert.Equal(tenant.AdminUser, connection.Account, StringComparer.OrdinalIgnoreCase);
        Assert.True(connection.IsGlobalAdministrator);
        Assert.Equal(SignInMode.Interactive, connection.SignInMode);
    }

    [Fact]
    public async Task ManagedIdentity_AppServiceEndpoint_Connects()
    {
        var tenant = sandbox.Fabrikam;
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", tenant.ManagedIdentityEndpoint);
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", tenant.ManagedIdentityHeader);
        try
        {
            var connection = await Connect(new ConnectionRequest
            {
                Mode = SignInMode.ManagedIdentity, Environment = CasCloud.Sandbox, SandboxUrl = sandbox.Host.Url, SandboxThumbprint = sandbox.Host.Thumbprint,
            });

            Assert.Equal(tenant.TenantId, connection.TenantId);
            Assert.True(connection.IsAppOnly);
            Assert.Contains("Group.ReadWrite.All", connection.Permissions);
        }
        finally
        {
            Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", null);
            Environment.SetEnvironmentVariable("IDENTITY_HEADER", null);
        }
    }

    [Fact]
    public async Task AccessToken_ReadyMadeToken_ConnectsToItsTenant()
    {
        var source = await Connect(sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret));
        var token = await source.Context.Tokens.GetTokenAsync(CancellationToken.None);
        var other = new ConnectionManager();

        var connection = await other.ConnectAsync(new ConnectionRequest
        {
            Mode = SignInMode.AccessToken, Environment = CasCloud.Sandbox, SandboxUrl = sandbox.Host.Url, SandboxThumbprint = sandbox.Host.Thumbprint,
            AccessToken = SandboxFixture.Secure(token.Token),
        }, NullOperationObserver.Instance, CancellationToken.None);

        Assert.Equal(sandbox.Contoso.TenantId, connection.TenantId);
        Assert.Equal(sandbox.Contoso.Domain, connection.TenantDomain);
        Assert.Equal(SignInMode.AccessToken, connection.SignInMode);
    }

    [Fact]
    public async Task AccessToken_ForAnotherTenant_IsRefused()
    {
        var source = await Connect(sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret));
        var token = await source.Context.Tokens.GetTokenAsync(CancellationToken.None);

        var error = await Assert.ThrowsAsync<CasException>(() => Connect(new ConnectionRequest
        {
            Mode = SignInMode.AccessToken, Tenant = sandbox.Fabrikam.TenantId, Environment = CasCloud.Sandbox, SandboxUrl = sandbox.Host.Url,
            SandboxThumbprint = sandbox.Host.Thumbprint, AccessToken = SandboxFixture.Secure(token.Token),
        }));

        Assert.Equal(ErrorIds.InvalidArgument, error.ErrorId);
    }

    [Fact]
    public async Task WrongSecret_FailsWithInvalidClientSecret_AndNeverShowsTheSecret()
    {
        const string pasted = "11111111-2222-3333-4444-555555555555";
        var error = await Assert.ThrowsAsync<CasException>(() => Connect(sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret, secret: pasted)));

        Assert.Equal(ErrorIds.InvalidClientSecret, error.ErrorId);
        Assert.Equal("AADSTS7000215", error.ServiceErrorCode);
        Assert.NotNull(error.TraceId);
        Assert.DoesNotContain(pasted, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(pasted, error.RecommendedAction!, StringComparison.Ordinal);
        Assert.Empty(manager.GetConnections());
    }

    [Fact]
    public async Task ExpiredSecret_FailsWithSecretExpired()
    {
        var app = sandbox.App(sandbox.Contoso, "expired");

        var error = await Assert.ThrowsAsync<CasException>(() => Connect(sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret, app.AppId, app.Secret)));

        Assert.Equal(ErrorIds.SecretExpired, error.ErrorId);
    }

    [Fact]
    public async Task UnknownApp_FailsWithAppNotFound()
    {
        var error = await Assert.ThrowsAsync<CasException>(() => Connect(sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret, Guid.NewGuid().ToString(), "whatever-secret")));

        Assert.Equal(ErrorIds.AppNotFound, error.ErrorId);
    }

    [Fact]
    public async Task DisabledApp_FailsWithAppDisabled()
    {
        var app = sandbox.App(sandbox.Contoso, "disabled");

        var error = await Assert.ThrowsAsync<CasException>(() => Connect(sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret, app.AppId, app.Secret)));

        Assert.Equal(ErrorIds.AppDisabled, error.ErrorId);
    }

    [Fact]
    public async Task UnknownTenant_FailsWithTenantNotFound()
    {
        var request = sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret);
        var error = await Assert.ThrowsAsync<CasException>(() => Connect(new ConnectionRequest
        {
            Mode = SignInMode.ClientSecret, Tenant = Guid.NewGuid().ToString(), Environment = CasCloud.Sandbox, SandboxUrl = request.SandboxUrl,
            SandboxThumbprint = request.SandboxThumbprint, ClientId = request.ClientId, ClientSecret = request.ClientSecret,
        }));

        Assert.Equal(ErrorIds.TenantNotFound, error.ErrorId);
    }

    [Fact]
    public async Task WrongSandboxThumbprint_FailsWithSandboxCertificateMismatch()
    {
        var request = sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret);
        var error = await Assert.ThrowsAsync<CasException>(() => Connect(new ConnectionRequest
        {
            Mode = SignInMode.ClientSecret, Tenant = request.Tenant, Environment = CasCloud.Sandbox, SandboxUrl = request.SandboxUrl,
            SandboxThumbprint = new string('0', 64), ClientId = request.ClientId, ClientSecret = request.ClientSecret,
        }));

        Assert.Equal(ErrorIds.SandboxCertificateMismatch, error.ErrorId);
    }

    [Fact]
    public async Task MissingSecret_FailsWithConnectionParameterMissing_BeforeAnyNetwork()
    {
        var request = sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret);
        var before = (await sandbox.Host.Control.GetStatsAsync()).Totals.Requests;

        var error = await Assert.ThrowsAsync<CasException>(() => Connect(new ConnectionRequest
        {
            Mode = SignInMode.ClientSecret, Tenant = request.Tenant, Environment = CasCloud.Sandbox, SandboxUrl = request.SandboxUrl,
            SandboxThumbprint = request.SandboxThumbprint, ClientId = request.ClientId,
        }));

        Assert.Equal(ErrorIds.ConnectionParameterMissing, error.ErrorId);
        Assert.Contains("ClientSecret", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, (await sandbox.Host.Control.GetStatsAsync()).Totals.Requests);
    }

    [Theory]
    [InlineData(SignInMode.ClientSecret)]
    [InlineData(SignInMode.Certificate)]
    public async Task MissingClientId_ForUnattendedSignIn_FailsWithClientIdRequired_BeforeAnyNetwork(SignInMode mode)
    {
        var request = sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret);
        var before = (await sandbox.Host.Control.GetStatsAsync()).Totals.Requests;

        var error = await Assert.ThrowsAsync<CasException>(() => Connect(new ConnectionRequest
        {
            Mode = mode, Tenant = request.Tenant, Environment = CasCloud.Sandbox, SandboxUrl = request.SandboxUrl,
            SandboxThumbprint = request.SandboxThumbprint, ClientSecret = request.ClientSecret, CertificateThumbprint = new string('A', 40),
        }));

        // A secret or certificate belongs to one app: no remembered sign-in app stands in for it.
        Assert.Equal(ErrorIds.ClientIdRequired, error.ErrorId);
        Assert.Equal(CasErrorCategory.InvalidArgument, error.Category);
        Assert.Contains("-ClientId", error.RecommendedAction, StringComparison.Ordinal);
        Assert.Equal(request.Tenant, error.Target);
        Assert.Equal(before, (await sandbox.Host.Control.GetStatsAsync()).Totals.Requests);
    }

    [Fact]
    public async Task NoConsentApp_Connects_ButGraphRefusalNamesTheMissingPermission()
    {
        var app = sandbox.App(sandbox.Contoso, "noConsent");
        var connection = await Connect(sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret, app.AppId, app.Secret));

        var error = await Assert.ThrowsAsync<CasException>(() => connection.Context.Graph.CallAsync(
            (g, c) => g.Users.GetAsync(cancellationToken: c), "users", CancellationToken.None, ["User.Read.All"], connection.Permissions));

        Assert.Equal(ErrorIds.InsufficientPrivileges, error.ErrorId);
        Assert.Equal(403, error.StatusCode);
        Assert.Contains("User.Read.All", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.RequestId);
    }

    [Fact]
    public async Task SeveralTenants_AtOnce_ResolveByIdOrDomain()
    {
        var contoso = await Connect(sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret));
        var fabrikam = await Connect(sandbox.Request(sandbox.Fabrikam, SignInMode.ClientSecret));

        Assert.Same(contoso, manager.Default);
        Assert.Same(contoso, manager.Resolve(sandbox.Contoso.Domain));
        Assert.Same(fabrikam, manager.Resolve(sandbox.Fabrikam.TenantId));

        Assert.True(manager.Disconnect(fabrikam));
        Assert.Same(contoso, manager.Default);
        var error = Assert.Throws<CasException>(() => manager.Resolve(sandbox.Fabrikam.Domain));
        Assert.Equal(ErrorIds.NotConnected, error.ErrorId);
    }

    [Fact]
    public async Task ConnectingAgainAsTheSameIdentity_ReplacesTheConnection()
    {
        await Connect(sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret));
        var second = await Connect(sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret));

        Assert.Same(second, Assert.Single(manager.GetConnections()));
    }

    /// <summary>Plays the browser: the sandbox's authorize page answers with a form_post page (or a redirect) for MSAL's listener.</summary>
    private async Task PlayBrowserAsync(Uri uri, CancellationToken ct)
    {
        var handler = (SocketsHttpHandler)sandbox.Host.CreatePinnedHandler();
        handler.AllowAutoRedirect = false;
        using var browser = new HttpClient(handler);
        using var authorize = await browser.GetAsync(uri, ct);
        HttpRequestMessage Next()
        {
            if (authorize.Headers.Location is { } location)
            {
                return new HttpRequestMessage(HttpMethod.Get, location);
            }

            var html = authorize.Content.ReadAsStringAsync(ct).GetAwaiter().GetResult();
            var action = System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(html, "action=\"([^\"]+)\"").Groups[1].Value);
            var fields = System.Text.RegularExpressions.Regex.Matches(html, "name=\"([^\"]+)\" value=\"([^\"]*)\"")
                .Select(m => new KeyValuePair<string, string>(m.Groups[1].Value, System.Net.WebUtility.HtmlDecode(m.Groups[2].Value)));
            return new HttpRequestMessage(HttpMethod.Post, action) { Content = new FormUrlEncodedContent(fields) };
        }

        using var loopback = new HttpClient();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var request = Next();
                using var _ = await loopback.SendAsync(request, ct);
                return;
            }
            catch (HttpRequestException)
            {
                // The listener is not up yet.
                await Task.Delay(50, ct);
            }
        }
    }
}
