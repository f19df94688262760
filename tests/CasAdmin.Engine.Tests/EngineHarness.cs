using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Store;
using CasAdmin.Sandbox;

namespace CasAdmin.Engine.Tests;

/// <summary>An engine with its own registry (a file, unless a PostgreSQL connection string is given) and secret vault, pointed at a sandbox.</summary>
public sealed class EngineHarness : IDisposable
{
    private readonly TempFolder folder = new();

    public EngineHarness(SandboxFixture sandbox, bool keepSecrets = true, string? storePath = null)
        : this(sandbox, keepSecrets ? new InMemorySecretVault() : NoSecretVault.Instance, storePath)
    {
    }

    /// <summary>With a vault of the test's choosing (one that fails on cue, or the real OS keyring).</summary>
    internal EngineHarness(SandboxFixture sandbox, ISecretVault vault, string? storePath = null)
    {
        Sandbox = sandbox;
        Vault = vault;
        Engine = new CasEngine(Vault);
        StorePath = storePath ?? folder.File("registry.db");
    }

    public SandboxFixture Sandbox { get; }

    internal ISecretVault Vault { get; }

    public CasEngine Engine { get; }

    public string StorePath { get; }

    public RecordingObserver Observer { get; } = new();

    public Task<CasConnection> AdminAsync(SandboxTenantInfo tenant) =>
        Engine.Connections.ConnectAsync(SandboxFixture.WithStore(Sandbox.Request(tenant, SignInMode.ClientSecret), StorePath), Observer, CancellationToken.None);

    /// <summary>A person signed in with device code, approved as <paramref name="user"/>.</summary>
    public Task<CasConnection> DelegatedAsync(SandboxTenantInfo tenant, string user)
    {
        var r = Sandbox.Request(tenant, SignInMode.DeviceCode, clientId: Sandbox.App(tenant, "public").AppId);
        return Engine.Connections.ConnectAsync(new ConnectionRequest
        {
            Mode = SignInMode.DeviceCode, Tenant = r.Tenant, Environment = CasCloud.Sandbox, SandboxUrl = r.SandboxUrl, SandboxThumbprint = r.SandboxThumbprint,
            ClientId = r.ClientId, StorePath = StorePath, Resilience = r.Resilience,
            DeviceCodeReceived = prompt => _ = Task.Run(() => Sandbox.Host.Control.ApproveDeviceCodeAsync(prompt.UserCode, user)),
        }, Observer, CancellationToken.None);
    }

    public void Dispose()
    {
        RegistryStore.Forget(StorePath);
        folder.Dispose();
    }
}
