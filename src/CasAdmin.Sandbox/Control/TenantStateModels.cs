namespace CasAdmin.Sandbox;

/// <summary>
/// GET /_sandbox/tenants/{tenantId}/state: the directory as it is now, for final-state diffs ("the registry and the tenant
/// agree", "no object created twice"). Users lists only the users held in memory (scenario, delegate, created and changed
/// users); UserCount counts generated ones too.
/// </summary>
public sealed record SandboxTenantState(string TenantId, string Domain)
{
    public int UserCount { get; init; }
    public IReadOnlyList<SandboxStateUser> Users { get; init; } = [];
    public IReadOnlyList<SandboxStateApplication> Applications { get; init; } = [];
    public IReadOnlyList<SandboxStateServicePrincipal> ServicePrincipals { get; init; } = [];
    public IReadOnlyList<SandboxStateAppRoleAssignment> AppRoleAssignments { get; init; } = [];
    public IReadOnlyList<SandboxStateGrant> Oauth2PermissionGrants { get; init; } = [];
    public IReadOnlyList<SandboxStateGroup> Groups { get; init; } = [];

    /// <summary>Directory role assignments, active and PIM-eligible (State "Active" or "Eligible").</summary>
    public IReadOnlyList<SandboxStateRoleAssignment> RoleAssignments { get; init; } = [];
    public IReadOnlyList<SandboxStateDeletedItem> DeletedItems { get; init; } = [];
}

public sealed record SandboxStateUser(string Id, string UserPrincipalName, string DisplayName, bool AccountEnabled);

public sealed record SandboxStateApplication(string Id, string AppId, string DisplayName, int PasswordCredentials, int KeyCredentials);

public sealed record SandboxStateServicePrincipal(string Id, string AppId, string DisplayName, string ServicePrincipalType, bool AccountEnabled);

public sealed record SandboxStateAppRoleAssignment(string Id, string PrincipalId, string ResourceId, string AppRoleId);

public sealed record SandboxStateGrant(string Id, string ClientId, string ResourceId, string ConsentType, string Scope);

public sealed record SandboxStateGroup(string Id, string DisplayName, IReadOnlyList<string> Members);

public sealed record SandboxStateRoleAssignment(string Id, string PrincipalId, string RoleDefinitionId, string State);

/// <summary>An object in deleted items; Type is Graph's type name ("user", "group", "application", "servicePrincipal").</summary>
public sealed record SandboxStateDeletedItem(string Id, string Type, string? DisplayName);
