using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using CasAdmin.Sandbox.Control;
using CasAdmin.Sandbox.Graph;
using CasAdmin.Sandbox.Hosting;
using CasAdmin.Sandbox.Identity;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CasAdmin.Sandbox;

/// <summary>A running sandbox: Kestrel over HTTPS on loopback, serving the identity, Graph and control endpoints.</summary>
public sealed class SandboxHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SandboxRuntime _runtime;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _certificate;
    private readonly HttpClient _controlHttp;

    private SandboxHost(WebApplication app, SandboxRuntime runtime, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, Uri url, IReadOnlyList<SandboxTenantInfo> tenants)
    {
        _app = app;
        _runtime = runtime;
        _certificate = certificate;
        Url = url;
        Thumbprint = SandboxCertificate.Sha256Thumbprint(certificate);
        Tenants = tenants;
        _controlHttp = new HttpClient(CreatePinnedHandler()) { BaseAddress = url };
        Control = new SandboxControlClient(_controlHttp);
    }

    /// <summary>"https://127.0.0.1:{port}/".</summary>
    public Uri Url { get; }

    /// <summary>SHA-256 of the certificate's DER, upper-case hex without separators.</summary>
    public string Thumbprint { get; }

    public IReadOnlyList<SandboxTenantInfo> Tenants { get; }

    public SandboxControlClient Control { get; }

    public static async Task<SandboxHost> StartAsync(SandboxOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Scale <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Scale must be positive.");
        }

        var runtime = new SandboxRuntime(options, TimeProvider.System);
        var certificate = SandboxCertificate.Create(DateTimeOffset.UtcNow);
        runtime.Handshake.Trust(SandboxCertificate.Sha256Thumbprint(certificate));
        var address = options.ListenAddress.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback : IPAddress.Parse(options.ListenAddress);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SandboxHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Logging.ClearProviders(); // stdout belongs to the CLI's JSON line; nothing may log secrets or tokens
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(address, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            });
        });
        var app = builder.Build();

        SandboxHost? host = null;
        EdgeMiddleware.Use(app, runtime);
        IdentityEndpoints.Map(app, runtime);
        GraphFrontDoor.Map(app, runtime);
        ControlEndpoints.Map(app, runtime, () => host!.Tenants);

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            certificate.Dispose();
            runtime.Dispose();
            throw;
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound).Port;
        var shown = address.Equals(IPAddress.Any) ? "127.0.0.1" : address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6Loopback) ? "[::1]" : address.ToString();
        var url = new Uri($"https://{shown}:{port}/");
        host = new SandboxHost(app, runtime, certificate, url, BuildTenantInfo(runtime, url));
        return host;
    }

    /// <summary>A handler that trusts exactly this sandbox's certificate (by SHA-256), nothing else.</summary>
    public HttpMessageHandler CreatePinnedHandler()
    {
        var expected = Thumbprint;
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                    cert is not null && string.Equals(cert.GetCertHashString(HashAlgorithmName.SHA256), expected, StringComparison.OrdinalIgnoreCase),
            },
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
    }

    private static List<SandboxTenantInfo> BuildTenantInfo(SandboxRuntime runtime, Uri url)
    {
        var list = new List<SandboxTenantInfo>();
        foreach (var t in runtime.Store.Tenants)
        {
            string R(string key) => t.Roles.GetValueOrDefault(key) ?? "";
            var apps = new Dictionary<string, SandboxAppInfo>(StringComparer.OrdinalIgnoreCase);
            foreach (var key in t.Roles.Keys.Where(k => k.EndsWith("AppId", StringComparison.Ordinal)).ToList())
            {
                var tag = key[..^"AppId".Length];
                apps[tag] = new SandboxAppInfo(tag, t.Roles[key], R(tag + "AppName"), t.Roles.GetValueOrDefault(tag + "AppSecret"));
            }
            list.Add(new SandboxTenantInfo(
                t.Id, t.Domain, R("adminAppId"), R("adminAppSecret"), R("adminUser"), R("adminPassword"), R("eligibleAdminUser"), R("plainUser"),
                t.ManagedIdentityAppId ?? "", t.ManagedIdentityAppId is null ? "" : $"{url}msi/{t.Id}/token", t.ManagedIdentityHeader)
            {
                Apps = apps,
                Users = t.Roles.Where(kv => kv.Key.EndsWith("User", StringComparison.Ordinal)).ToDictionary(kv => kv.Key[..^"User".Length], kv => kv.Value, StringComparer.OrdinalIgnoreCase),
                Footprints = [.. t.Footprints],
            });
        }
        return list;
    }

    public async ValueTask DisposeAsync()
    {
        _controlHttp.Dispose();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _app.StopAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Open keep-alive connections may outlive the grace period; disposal closes them.
            }
        }
        await _app.DisposeAsync().ConfigureAwait(false);
        _certificate.Dispose();
        _runtime.Dispose();
    }
}
