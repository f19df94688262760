namespace CasAdmin.Engine.Connections;

/// <summary>The tenant's own public-client app that people sign in to CasAdmin with, as Register-CasAdminApp left it.</summary>
public sealed class CasAdminApp
{
    public string TenantId { get; init; } = string.Empty;

    public string? TenantDomain { get; init; }

    public CasCloud Environment { get; init; }

    public string DisplayName { get; init; } = string.Empty;

    /// <summary>The application (client) id Connect-CasTenant signs in with when -ClientId is left out.</summary>
    public string AppId { get; init; } = string.Empty;

    public string ObjectId { get; init; } = string.Empty;

    public string ServicePrincipalId { get; init; } = string.Empty;

    /// <summary>The delegated Microsoft Graph permissions granted to the app for every user of the tenant.</summary>
    public IReadOnlyList<string> Permissions { get; init; } = [];

    /// <summary>False when an earlier run had already created the app and this run found (and completed) it.</summary>
    public bool Created { get; init; }

    /// <summary>The per-user file that remembers the app for Connect-CasTenant.</summary>
    public string RememberedIn { get; init; } = string.Empty;

    public override string ToString() => $"{DisplayName} ({AppId})";
}
