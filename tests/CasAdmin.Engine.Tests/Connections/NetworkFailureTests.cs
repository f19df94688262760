using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Resilience;
using CasAdmin.Sandbox;

namespace CasAdmin.Engine.Tests.Connections;

/// <summary>
/// Every transport failure reaches the caller as a CasException with a stable id that names the endpoint, and nothing
/// waits for ever. The listeners are loopback-only; the ones that never answer cannot make a test pass by luck.
/// </summary>
public sealed class NetworkFailureTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    private const string Thumbprint = "0000000000000000000000000000000000000000000000000000000000000000";

    private static ConnectionRequest SecretRequest(Uri url, ResilienceOptions? resilience = null, CasCloud cloud = CasCloud.Sandbox) => new()
    {
        Mode = SignInMode.ClientSecret,
        Tenant = "contoso.example",
        ClientId = Guid.NewGuid().ToString(),
        ClientSecret = SandboxFixture.Secure("network-test-secret-value"),
        Environment = cloud,
        SandboxUrl = url,
        SandboxThumbprint = Thumbprint,
        Resilience = resilience ?? ResilienceOptions.Default,
    };

    private static Task<CasConnection> Connect(ConnectionRequest request, CancellationToken cancellationToken = default) =>
        new ConnectionManager().ConnectAsync(request, NullOperationObserver.Instance, cancellationToken);

    /// <summary>A port nothing listens on: bound, then released.</summary>
    private static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    [Fact]
    public async Task RefusedConnection_IsTenantUnreachable_NamingTheEndpoint()
    {
        var port = ClosedPort();

        var error = await Assert.ThrowsAsync<CasException>(() => Connect(SecretRequest(new Uri($"https://127.0.0.1:{port}/"))));

        Assert.Equal(ErrorIds.TenantUnreachable, error.ErrorId);
        Assert.Equal(CasErrorCategory.ConnectionError, error.Category);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("-SandboxUrl", error.RecommendedAction, StringComparison.Ordinal);
        Assert.DoesNotContain("network-test-secret-value", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonLoopbackSandboxHost_IsRefusedBeforeAnyNetwork()
    {
        // Since the sandbox-loopback rule (main), an unknown host never reaches DNS with -Environment Sandbox;
        // name-resolution failures are covered by BadInputRulesTests.RawHttpRequestException_ByItsHttpRequestError.
        var error = await Assert.ThrowsAsync<CasException>(() => Connect(SecretRequest(new Uri("https://casadmin-no-such-host.invalid/"))));

        Assert.Equal(ErrorIds.InvalidArgument, error.ErrorId);
    }

    [Fact]
    public async Task ServerThatSpeaksNoTls_IsSecureConnectionFailed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(stop.Token);
                var stream = client.GetStream();
                await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), stop.Token);
                await stream.FlushAsync(stop.Token);
            }
        });

        try
        {
            var error = await Assert.ThrowsAsync<CasException>(() => Connect(SecretRequest(new Uri($"https://127.0.0.1:{port}/"))));

            Assert.Equal(ErrorIds.SecureConnectionFailed, error.ErrorId);
            Assert.Equal(CasErrorCategory.SecurityError, error.Category);
            Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            listener.Stop();
            await Task.WhenAny(server);
        }
    }

    /// <summary>A sign-in endpoint that accepts the connection and never says a word: bounded by the connect time (TLS) or the request time.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EndpointThatNeverAnswers_IsRequestTimedOut(bool connectTimeoutIsShort)
    {
        using var silent = new SilentListener();
        var resilience = connectTimeoutIsShort
            ? new ResilienceOptions { ConnectTimeout = TimeSpan.FromSeconds(1), AttemptTimeout = TimeSpan.FromMinutes(10) }
            : new ResilienceOptions { ConnectTimeout = TimeSpan.FromMinutes(10), AttemptTimeout = TimeSpan.FromSeconds(1) };

        var error = await Assert.ThrowsAsync<CasException>(() => Connect(SecretRequest(silent.Url, resilience)));

        Assert.Equal(ErrorIds.RequestTimedOut, error.ErrorId);
        Assert.Equal(CasErrorCategory.OperationTimeout, error.Category);
        Assert.Contains(silent.Url.Authority, error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(error.RecommendedAction));
        Assert.True(silent.Accepted > 0);
    }

    [Fact]
    public async Task EndpointThatNeverAnswers_CtrlC_StopsBeforeAnyTimeout()
    {
        using var silent = new SilentListener();
        var resilience = new ResilienceOptions { ConnectTimeout = TimeSpan.FromMinutes(10), AttemptTimeout = TimeSpan.FromMinutes(10) };
        using var ctrlC = new CancellationTokenSource();

        var connecting = Connect(SecretRequest(silent.Url, resilience), ctrlC.Token);
        await silent.FirstAccept;
        await ctrlC.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting);
    }

    [Fact]
    public async Task SandboxUrlWithAnotherCloud_IsRefusedBeforeAnyNetwork()
    {
        var port = ClosedPort();
        var request = SecretRequest(new Uri($"https://127.0.0.1:{port}/"), cloud: CasCloud.USGov);

        var error = await Assert.ThrowsAsync<CasException>(() => Connect(request));

        Assert.Equal(ErrorIds.InvalidArgument, error.ErrorId);
        Assert.Contains("USGov", error.Message, StringComparison.Ordinal);
        Assert.Contains("-Environment Sandbox", error.RecommendedAction, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t \r\n")]
    public async Task BlankSecret_IsConnectionParameterMissing_LikeAnEmptyOne(string blank)
    {
        var before = (await sandbox.Host.Control.GetStatsAsync()).Totals.Requests;
        var r = sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret);

        var error = await Assert.ThrowsAsync<CasException>(() => Connect(new ConnectionRequest
        {
            Mode = SignInMode.ClientSecret, Tenant = r.Tenant, Environment = CasCloud.Sandbox, SandboxUrl = r.SandboxUrl,
            SandboxThumbprint = r.SandboxThumbprint, ClientId = r.ClientId, ClientSecret = SandboxFixture.Secure(blank),
        }));

        Assert.Equal(ErrorIds.ConnectionParameterMissing, error.ErrorId);
        Assert.Equal(before, (await sandbox.Host.Control.GetStatsAsync()).Totals.Requests);
    }

    [Fact]
    public async Task GraphConnectionReset_BeyondRetries_IsTenantUnreachable_NotHttpRequestException()
    {
        var connection = await Connect(sandbox.Request(sandbox.Fabrikam, SignInMode.ClientSecret));
        var rule = await sandbox.Host.Control.AddFaultAsync(new FaultRule { Kind = FaultKind.Reset, Path = "/v1.0/users*" });
        try
        {
            var error = await Assert.ThrowsAsync<CasException>(() => connection.Context.Graph.CallAsync(
                (g, c) => g.Users.GetAsync(cancellationToken: c), "users", CancellationToken.None));

            Assert.Equal(ErrorIds.TenantUnreachable, error.ErrorId);
            Assert.Contains(sandbox.Host.Url.Authority, error.Message, StringComparison.Ordinal);
            Assert.Equal("users", error.Target);
        }
        finally
        {
            await sandbox.Host.Control.ClearFaultsAsync();
        }
    }

    [Fact]
    public async Task GraphCallOnADisconnectedConnection_IsNotConnected_NotObjectDisposedException()
    {
        var manager = new ConnectionManager();
        var connection = await manager.ConnectAsync(sandbox.Request(sandbox.Fabrikam, SignInMode.ClientSecret), NullOperationObserver.Instance, CancellationToken.None);
        Assert.True(manager.Disconnect(connection));

        var error = await Assert.ThrowsAsync<CasException>(() => connection.Context.Graph.CallAsync(
            (g, c) => g.Organization.GetAsync(cancellationToken: c), "organization", CancellationToken.None));

        Assert.Equal(ErrorIds.NotConnected, error.ErrorId);
        Assert.Contains("Connect-CasTenant", error.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppWithoutAdminConsent_ConnectsWithAWarningNamingTheMissingConsent()
    {
        var app = sandbox.App(sandbox.Contoso, "noConsent");
        var observer = new RecordingObserver();

        var connection = await new ConnectionManager().ConnectAsync(
            sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret, app.AppId, app.Secret), observer, CancellationToken.None);

        Assert.Empty(connection.Permissions);
        var warning = Assert.Single(observer.Messages, m => m.StartsWith("WARNING:", StringComparison.Ordinal) && m.Contains("admin consent", StringComparison.Ordinal));
        Assert.Contains(app.AppId, warning, StringComparison.Ordinal);
        Assert.Contains("Application.ReadWrite.All", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Secret!, observer.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConsentedApp_GetsNoConsentWarning()
    {
        var observer = new RecordingObserver();

        await new ConnectionManager().ConnectAsync(sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret), observer, CancellationToken.None);

        Assert.DoesNotContain(observer.Messages, m => m.StartsWith("WARNING:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CertificateNotRegisteredOnTheApp_IsCertificateNotRegistered()
    {
        using var rsa = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=casadmin-unregistered", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var r = sandbox.Request(sandbox.Contoso, SignInMode.Certificate);

        var error = await Assert.ThrowsAsync<CasException>(() => Connect(new ConnectionRequest
        {
            Mode = SignInMode.Certificate, Tenant = r.Tenant, Environment = CasCloud.Sandbox, SandboxUrl = r.SandboxUrl,
            SandboxThumbprint = r.SandboxThumbprint, ClientId = r.ClientId, Certificate = certificate,
        }));

        Assert.Equal(ErrorIds.CertificateNotRegistered, error.ErrorId);
        Assert.Equal("AADSTS700027", error.ServiceErrorCode);
        Assert.Contains("Certificates & secrets", error.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongSecretAtSignIn_AdvisesFixingTheSignInApp_NotTheServiceAccountCmdlet()
    {
        var error = await Assert.ThrowsAsync<CasException>(() => Connect(sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret, secret: "not-the-secret-value")));

        Assert.Equal(ErrorIds.InvalidClientSecret, error.ErrorId);
        Assert.DoesNotContain("Update-CasServiceAccountSecret", error.RecommendedAction, StringComparison.Ordinal);
        Assert.Contains("Connect-CasTenant", error.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownTenant_TargetIsTheTenant()
    {
        var r = sandbox.Request(sandbox.Contoso, SignInMode.ClientSecret);
        var tenant = Guid.NewGuid().ToString();

        var error = await Assert.ThrowsAsync<CasException>(() => Connect(new ConnectionRequest
        {
            Mode = SignInMode.ClientSecret, Tenant = tenant, Environment = CasCloud.Sandbox, SandboxUrl = r.SandboxUrl,
            SandboxThumbprint = r.SandboxThumbprint, ClientId = r.ClientId, ClientSecret = r.ClientSecret,
        }));

        Assert.Equal(ErrorIds.TenantNotFound, error.ErrorId);
        Assert.Equal(tenant, error.Target);
    }

    /// <summary>Accepts TCP connections on loopback and never sends a byte; closes them only when disposed.</summary>
    private sealed class SilentListener : IDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly List<TcpClient> clients = [];
        private readonly CancellationTokenSource stop = new();
        private readonly TaskCompletionSource firstAccept = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int accepted;

        public SilentListener()
        {
            listener.Start();
            Url = new Uri($"https://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
            _ = Task.Run(AcceptAsync);
        }

        public Uri Url { get; }

        public int Accepted => Volatile.Read(ref accepted);

        public Task FirstAccept => firstAccept.Task;

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await listener.AcceptTcpClientAsync(stop.Token);
                    lock (clients)
                    {
                        clients.Add(client);
                    }

                    Interlocked.Increment(ref accepted);
                    firstAccept.TrySetResult();
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (SocketException)
            {
            }
        }

        public void Dispose()
        {
            stop.Cancel();
            listener.Stop();
            lock (clients)
            {
                clients.ForEach(c => c.Dispose());
            }

            stop.Dispose();
        }
    }
}
