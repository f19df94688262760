namespace CasAdmin.Engine.Connections;

/// <summary>A signed-in connection to one tenant. Several can be open at once; one is the session default.</summary>
public sealed class CasConnection
{
    /// <summary>Global Administrator's display name, as <see cref="DirectoryRoles"/> lists it.</summary>
    internal const string GlobalAdministratorRole = "Global Administrator";

    internal CasConnection(object session, string tenantId, CasCloud environment, SignInMode signInMode, Uri? sandboxUrl)
    {
        Session = session;
        ConnectionId = Guid.NewGuid();
        TenantId = tenantId;
        Environment = environment;
        SignInMode = signInMode;
        SandboxUrl = environment == CasCloud.Sandbox ? sandboxUrl : null;
    }

    public Guid ConnectionId { get; }

    public string TenantId { get; }

    /// <summary>The tenant's default verified domain, when the connection may read it.</summary>
    public string? TenantDomain { get; internal set; }

    public string? TenantDisplayName { get; internal set; }

    public CasCloud Environment { get; }

    public SignInMode SignInMode { get; }

    /// <summary>The signed-in user (delegated sign-in).</summary>
    public string? Account { get; internal init; }

    /// <summary>The app (client) id the connection signed in with.</summary>
    public string? AppId { get; internal init; }

    /// <summary>Active directory roles of the signed-in user (from the token's <c>wids</c>).</summary>
    public IReadOnlyList<string> DirectoryRoles { get; internal init; } = [];

    /// <summary>Application permissions (<c>roles</c>) or delegated scopes (<c>scp</c>) the token carries.</summary>
    public IReadOnlyList<string> Permissions { get; internal init; } = [];

    public DateTimeOffset? ExpiresOn { get; internal set; }

    /// <summary>True for app-only sign-in (secret, certificate, managed identity): no user, no directory roles.</summary>
    public bool IsAppOnly { get; internal init; }

    public bool IsGlobalAdministrator => DirectoryRoles.Contains(GlobalAdministratorRole, StringComparer.OrdinalIgnoreCase);

    public bool IsDefault { get; internal set; }

    public string? StorePath { get; internal set; }

    /// <summary>The sandbox this connection points at (Environment Sandbox), else null.</summary>
    public Uri? SandboxUrl { get; }

    /// <summary>The object id of the signed-in user or of the app's service principal.</summary>
    public string? ObjectId { get; internal init; }

    /// <summary>The engine's sign-in state (token source, Graph client, pacer); opaque here so this type needs only the BCL.</summary>
    internal object Session { get; }

    public override string ToString() => $"{TenantDomain ?? TenantId} ({Account ?? AppId}, {SignInMode})";
}
