namespace CasAdmin.Engine.Accounts;

/// <summary>A service-account footprint found in a tenant. Its property names bind to Register-CasServiceAccount.</summary>
public sealed record CasServiceAccountCandidate
{
    public string TenantId { get; init; } = string.Empty;

    public string? TenantDomain { get; init; }

    /// <summary>The service, when the evidence says which; otherwise the admin names it on registration.</summary>
    public CasService? Service { get; init; }

    public ServiceAccountKind Kind { get; init; }

    public string? AppId { get; init; }

    public string? DelegateAccount { get; init; }

    public string? DisplayName { get; init; }

    public bool IsLegacy { get; init; }

    /// <summary>What was found: the principal, the groups, the legacy add-in principal, the user.</summary>
    public string Evidence { get; init; } = string.Empty;

    /// <summary>Already in this registry.</summary>
    public bool Registered { get; init; }
}
