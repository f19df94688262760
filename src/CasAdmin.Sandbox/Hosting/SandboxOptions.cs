namespace CasAdmin.Sandbox;

/// <summary>How to start a sandbox.</summary>
public sealed class SandboxOptions
{
    /// <summary>0 picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>"default", "generated:tenants=2,users=1000,chats=10000,seed=42", or the path of a JSON scenario file.</summary>
    public string Scenario { get; set; } = "default";

    /// <summary>Throttling scale: multiplies every bucket capacity and refill rate (1.0 = Graph's documented limits).</summary>
    public double Scale { get; set; } = 1.0;

    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Upper bound, in milliseconds, of Entra ID's replication delays (new apps, service principals, secrets, app role
    /// assignments, deletes); each object draws its own delay in (0, bound]. 0 = consistent at once. Default 10,000, as
    /// strict as a real tenant; PUT /_sandbox/replication changes it while running, and a reset returns to this value.
    /// </summary>
    public int ReplicationLagMs { get; set; } = 10_000;
}

/// <summary>One seeded app, by its scenario tag (admin, expired, noConsent, disabled, public).</summary>
public sealed record SandboxAppInfo(string Tag, string AppId, string DisplayName, string? Secret);

/// <summary>What a test needs to sign in to one tenant. Secrets and passwords are the sandbox's deterministic test values.</summary>
public sealed record SandboxTenantInfo(
    string TenantId,
    string Domain,
    string AdminAppId,
    string AdminAppSecret,
    string AdminUser,
    string AdminPassword,
    string EligibleAdminUser,
    string PlainUser,
    string ManagedIdentityClientId,
    string ManagedIdentityEndpoint,
    string ManagedIdentityHeader)
{
    /// <summary>Every tagged app of the scenario: admin, expired (expired secret), noConsent, disabled (disabled SP), public (public client).</summary>
    public IReadOnlyDictionary<string, SandboxAppInfo> Apps { get; init; } = new Dictionary<string, SandboxAppInfo>();

    /// <summary>Every tagged user of the scenario by tag (admin, eligibleAdmin, plain, userAdmin, …): user principal name.</summary>
    public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string>();

    /// <summary>The seeded service-account footprints of every service, in seeding order.</summary>
    public IReadOnlyList<SandboxFootprintInfo> Footprints { get; init; } = [];
}
