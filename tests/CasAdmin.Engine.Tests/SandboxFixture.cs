using System.Runtime.InteropServices;
using System.Security;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Resilience;
using CasAdmin.Sandbox;

namespace CasAdmin.Engine.Tests;

/// <summary>One in-process sandbox (Kestrel on port 0) per test class, so classes can run in parallel without sharing faults.</summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    private bool owned = true;

    public SandboxHost Host { get; private set; } = null!;

    /// <summary>A view over a sandbox another fixture owns (a generated scenario).</summary>
    public static SandboxFixture Wrap(SandboxHost host) => new() { Host = host, owned = false };

    public SandboxTenantInfo Contoso => Host.Tenants[0];

    public SandboxTenantInfo Fabrikam => Host.Tenants[1];

    /// <summary>
    /// Replication lag off (the default is 10 s): most engine tests create an app and use it at once, and would each wait
    /// up to 10 s per step for delays that are not what they test. The replication tests (Provisioning/ReplicationTests)
    /// turn the lag on in their own sandbox.
    /// </summary>
    public async Task InitializeAsync() => Host = await SandboxHost.StartAsync(new SandboxOptions { ReplicationLagMs = 0 });

    public async Task DisposeAsync()
    {
        if (owned)
        {
            await Host.DisposeAsync();
        }
    }

    public SandboxAppInfo App(SandboxTenantInfo tenant, string tag) => tenant.Apps[tag];

    /// <summary>A request pointed at this sandbox; fast retries keep the tests short.</summary>
    public ConnectionRequest Request(SandboxTenantInfo tenant, SignInMode mode, string? clientId = null, string? secret = null) => new()
    {
        Mode = mode,
        Tenant = tenant.TenantId,
        Environment = CasCloud.Sandbox,
        SandboxUrl = Host.Url,
        SandboxThumbprint = Host.Thumbprint,
        ClientId = clientId ?? tenant.AdminAppId,
        ClientSecret = secret is null && mode == SignInMode.ClientSecret ? Secure(tenant.AdminAppSecret) : secret is null ? null : Secure(secret),
        Resilience = new ResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200), TotalBudget = TimeSpan.FromMinutes(2) },
    };

    public Task<CasConnection> ConnectAdminAsync(ConnectionManager manager, SandboxTenantInfo tenant, string? storePath = null) =>
        manager.ConnectAsync(WithStore(Request(tenant, SignInMode.ClientSecret), storePath), NullOperationObserver.Instance, CancellationToken.None);

    public static ConnectionRequest WithStore(ConnectionRequest r, string? storePath) => storePath is null ? r : new ConnectionRequest
    {
        Mode = r.Mode, Tenant = r.Tenant, Environment = r.Environment, SandboxUrl = r.SandboxUrl, SandboxThumbprint = r.SandboxThumbprint,
        ClientId = r.ClientId, ClientSecret = r.ClientSecret, Resilience = r.Resilience, StorePath = storePath,
    };

    public static SecureString Secure(string value) => CasAdmin.Engine.Store.SecureStrings.Protect(value);

    public static string Reveal(SecureString value)
    {
        var p = Marshal.SecureStringToGlobalAllocUnicode(value);
        try
        {
            return Marshal.PtrToStringUni(p)!;
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(p);
        }
    }
}

/// <summary>Collects what an operation reports, thread-safely.</summary>
public sealed class RecordingObserver : IOperationObserver
{
    private readonly object gate = new();

    public List<string> Messages { get; } = [];

    public List<CasProgress> ProgressRecords { get; } = [];

    public List<object> Outputs { get; } = [];

    public Func<string, bool> Confirm { get; set; } = _ => false;

    public List<string> Questions { get; } = [];

    private void Add(string kind, string message)
    {
        lock (gate)
        {
            Messages.Add(kind + ": " + message);
        }
    }

    public void Progress(CasProgress progress)
    {
        lock (gate)
        {
            ProgressRecords.Add(progress);
        }
    }

    public void Verbose(string message) => Add("VERBOSE", message);

    public void Debug(string message) => Add("DEBUG", message);

    public void Warning(string message) => Add("WARNING", message);

    public void Information(string message) => Add("INFO", message);

    public void Output(object item)
    {
        lock (gate)
        {
            Outputs.Add(item);
        }
    }

    public Task<bool> ShouldContinueAsync(string query, string caption, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            Questions.Add(query);
        }

        return Task.FromResult(Confirm(query));
    }

    public string AllText()
    {
        lock (gate)
        {
            return string.Join('\n', Messages);
        }
    }
}
