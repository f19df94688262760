using System.Text.Json;
using System.Text.Json.Serialization;

namespace CasAdmin.Sandbox.Scenarios;

// The JSON shape of a scenario file (camelCase). Every id is optional: when absent it is derived from names, so the
// same file always seeds the same ids. Secrets without a value get a deterministic one.

internal sealed class ScenarioDocument
{
    public string Name { get; set; } = "custom";
    public List<ScenarioTenant> Tenants { get; set; } = [];
}

internal sealed class ScenarioTenant
{
    public required string Name { get; set; }
    public string? Id { get; set; }
    public string? Domain { get; set; }
    public string? DisplayName { get; set; }

    /// <summary>User count for the throttling tier (overrides the real count).</summary>
    public int? Size { get; set; }
    public int GeneratedUsers { get; set; }
    public int Chats { get; set; }
    public int Seed { get; set; } = 1;
    public List<ScenarioUser> Users { get; set; } = [];
    public List<ScenarioApp> Apps { get; set; } = [];
    public ScenarioManagedIdentity? ManagedIdentity { get; set; }
    public List<ScenarioLegacyPrincipal> LegacyPrincipals { get; set; } = [];
    public List<ScenarioGroup> Groups { get; set; } = [];

    /// <summary>Pre-existing service-account footprints (vendor principals, grants, delegate users, inline groups).</summary>
    public List<ScenarioFootprint> Footprints { get; set; } = [];

    /// <summary>Licences (GET /subscribedSkus); known part numbers (SPE_E5, SPE_E3) get their real ids and service plans.</summary>
    public List<ScenarioSku> Skus { get; set; } = [];

    /// <summary>The default app management policy; absent = disabled.</summary>
    public ScenarioAppManagementPolicy? AppManagementPolicy { get; set; }
}

internal sealed class ScenarioSku
{
    public required string SkuPartNumber { get; set; }
    public string? SkuId { get; set; }
    public string CapabilityStatus { get; set; } = "Enabled";
    public int Enabled { get; set; } = 25;
    public int Consumed { get; set; }

    /// <summary>Overrides the catalog's plans (required for unknown part numbers).</summary>
    public List<ScenarioServicePlan>? ServicePlans { get; set; }
}

internal sealed class ScenarioServicePlan
{
    public required string Name { get; set; }
    public required string Id { get; set; }
}

internal sealed class ScenarioAppManagementPolicy
{
    public bool IsEnabled { get; set; } = true;

    /// <summary>ISO 8601 duration, e.g. "P180D"; null = no password lifetime restriction.</summary>
    public string? MaxPasswordLifetime { get; set; }

    public DateTimeOffset? RestrictForAppsCreatedAfter { get; set; }
}

internal sealed class ScenarioGroup
{
    public required string Name { get; set; }
    public string? Description { get; set; }
    public bool SecurityEnabled { get; set; } = true;
    public bool MailEnabled { get; set; }

    /// <summary>Microsoft 365 group (groupTypes ["Unified"]).</summary>
    public bool Unified { get; set; }

    /// <summary>Scenario user names (or UPNs) of the members.</summary>
    public List<string> Members { get; set; } = [];
}

internal sealed class ScenarioFootprint
{
    /// <summary>ExchangeOnline | ExchangeOnlineInline | SharePointOnline | OneDrive | Teams | TeamsChat.</summary>
    public required string Service { get; set; }

    /// <summary>Ordinal within the service: 1 keeps the plain names, 2+ appends " (n)" and "-n".</summary>
    public int Number { get; set; } = 1;

    /// <summary>Vendor app id; derived from (service, number) when absent, the same in every tenant like a multi-tenant app's.</summary>
    public string? AppId { get; set; }
}

internal sealed class ScenarioUser
{
    public required string Name { get; set; }
    public string? Id { get; set; }
    public string? DisplayName { get; set; }
    public string? Password { get; set; }
    public bool Enabled { get; set; } = true;
    public string? JobTitle { get; set; }

    /// <summary>admin | eligibleAdmin | plain: which SandboxTenantInfo field names this user.</summary>
    public string? Tag { get; set; }
    public List<ScenarioRole> Roles { get; set; } = [];
}

internal sealed class ScenarioRole
{
    /// <summary>Template id or display name ("Global Administrator").</summary>
    public required string Role { get; set; }

    /// <summary>active | eligible (PIM).</summary>
    public string State { get; set; } = "active";
}

internal sealed class ScenarioApp
{
    public required string Name { get; set; }
    public string? AppId { get; set; }
    public string? Description { get; set; }

    /// <summary>admin: the app SandboxTenantInfo reports as AdminAppId/AdminAppSecret.</summary>
    public string? Tag { get; set; }
    public string SignInAudience { get; set; } = "AzureADMyOrg";
    public bool PublicClient { get; set; }
    public List<string> RedirectUris { get; set; } = [];
    public List<ScenarioSecret> Secrets { get; set; } = [];

    /// <summary>Base64 DER public certificates.</summary>
    public List<string> Certificates { get; set; } = [];

    /// <summary>Service principal in the tenant; false models an app registered but never installed.</summary>
    public bool ServicePrincipal { get; set; } = true;
    public bool Enabled { get; set; } = true;

    /// <summary>Graph application permissions admin-consented (app-role assignments on the Graph service principal).</summary>
    public List<string> AppRoles { get; set; } = [];

    /// <summary>Graph delegated scopes consented for all users (one AllPrincipals grant); ["*"] = every known scope.</summary>
    public List<string> DelegatedScopes { get; set; } = [];
}

internal sealed class ScenarioSecret
{
    public string Name { get; set; } = "secret";
    public string? Value { get; set; }
    public string? KeyId { get; set; }
    public DateTimeOffset? StartDateTime { get; set; }
    public DateTimeOffset? EndDateTime { get; set; }
}

internal sealed class ScenarioManagedIdentity
{
    public required string Name { get; set; }
    public List<string> AppRoles { get; set; } = [];
}

internal sealed class ScenarioLegacyPrincipal
{
    public required string Name { get; set; }
    public string? AppId { get; set; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ScenarioDocument))]
internal sealed partial class ScenarioJsonContext : JsonSerializerContext;
