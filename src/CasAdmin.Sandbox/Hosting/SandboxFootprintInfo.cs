namespace CasAdmin.Sandbox;

/// <summary>A directory object, by id and display name (or user principal name for users).</summary>
public sealed record SandboxObjectInfo(string Id, string DisplayName);

/// <summary>
/// One seeded service-account footprint: the vendor app's service principal and what hangs off it.
/// Service is one of ExchangeOnline, ExchangeOnlineInline, SharePointOnline, OneDrive, Teams, TeamsChat; Number is the
/// footprint's ordinal within its service in the tenant (1 = the unnumbered name, 2+ = "… (n)").
/// </summary>
public sealed record SandboxFootprintInfo(string Service, int Number, string DisplayName, string AppId, string ServicePrincipalId)
{
    /// <summary>The SharePoint add-in ("Legacy") principal with the same App Id (SharePoint Online, OneDrive, Teams).</summary>
    public string? LegacyServicePrincipalId { get; init; }

    /// <summary>The delegate user's principal name (Exchange Online; SharePoint Online and OneDrive share one).</summary>
    public string? DelegateUser { get; init; }

    public string? DelegateUserId { get; init; }

    /// <summary>Application permissions granted to the principal on Microsoft Graph (appRoleAssignment ids).</summary>
    public IReadOnlyList<string> AppRoleAssignmentIds { get; init; } = [];

    /// <summary>Permission values of those assignments ("Mail.ReadWrite", …).</summary>
    public IReadOnlyList<string> AppRoles { get; init; } = [];

    /// <summary>Delegated AllPrincipals grants of the principal (oauth2PermissionGrant ids).</summary>
    public IReadOnlyList<string> PermissionGrantIds { get; init; } = [];

    /// <summary>Directory role assignments held by the principal (unifiedRoleAssignment ids; Exchange Online Inline Mode).</summary>
    public IReadOnlyList<string> DirectoryRoleAssignmentIds { get; init; } = [];

    /// <summary>The TMCAS Inline groups (Exchange Online Inline Mode; seeded once per tenant, on its first inline footprint).</summary>
    public IReadOnlyList<SandboxObjectInfo> Groups { get; init; } = [];
}
