namespace CasAdmin.Engine.Connections;

/// <summary>A signed-in connection to one tenant. Several can be open at once; one is the session default.</summary>
public sealed class CasConnection
{
    internal CasConnection(ConnectionContext context, ConnectionIdentity identity)
    {
        Context = context;
        ConnectionId = Guid.NewGuid();
        TenantId = identity.TenantId;
        Environment = context.Endpoints.Cloud;
        SignInMode = context.Mode;
        Account = identity.Account;
        AppId = identity.AppId;
        DirectoryRoles = identity.DirectoryRoles;
        Permissions = identity.Permissions;
        ExpiresOn = identity.ExpiresOn;
        IsAppOnly = identity.IsAppOnly;
        ObjectId = identity.ObjectId;
    }

    public Guid ConnectionId { get; }

    public string TenantId { get; }

    /// <summary>The tenant's default verified domain, when the connection may read it.</summary>
    public string? TenantDomain { get; internal set; }

    public string? TenantDisplayName { get; internal set; }

    public CasCloud Environment { get; }

    public SignInMode SignInMode { get; }

    /// <summary>The signed-in user (delegated sign-in).</summary>
    public string? Account { get; }

    /// <summary>The app (client) id the connection signed in with.</summary>
    public string? AppId { get; }

    /// <summary>Active directory roles of the signed-in user (from the token's <c>wids</c>).</summary>
    public IReadOnlyList<string> DirectoryRoles { get; }

    /// <summary>Application permissions (<c>roles</c>) or delegated scopes (<c>scp</c>) the token carries.</summary>
    public IReadOnlyList<string> Permissions { get; }

    public DateTimeOffset? ExpiresOn { get; internal set; }

    /// <summary>True for app-only sign-in (secret, certificate, managed identity): no user, no directory roles.</summary>
    public bool IsAppOnly { get; }

    public bool IsGlobalAdministrator => DirectoryRoles.Contains(DirectoryRoleNames.GlobalAdministrator, StringComparer.OrdinalIgnoreCase);

    public bool IsDefault { get; internal set; }

    public string? StorePath { get; internal set; }

    /// <summary>The sandbox this connection points at (Environment Sandbox), else null.</summary>
    public Uri? SandboxUrl => Environment == CasCloud.Sandbox ? Context.Endpoints.GraphEndpoint : null;

    /// <summary>The object id of the signed-in user or of the app's service principal.</summary>
    public string? ObjectId { get; }

    internal ConnectionContext Context { get; }

    public override string ToString() => $"{TenantDomain ?? TenantId} ({Account ?? AppId}, {SignInMode})";
}
