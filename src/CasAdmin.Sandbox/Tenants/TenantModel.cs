namespace CasAdmin.Sandbox.Tenants;

// The directory objects of one tenant. Property names follow Graph's resource types so the JSON writers in Graph/
// map one to one. Mutable on purpose: later issues add PATCH/POST; all mutation happens under TenantState.Sync.

internal enum RoleAssignmentState { Active, Eligible }

internal sealed class DirectoryUser
{
    public required string Id { get; init; }
    public required string UserPrincipalName { get; set; }
    public required string DisplayName { get; set; }
    public string? GivenName { get; set; }
    public string? Surname { get; set; }
    public string? Mail { get; set; }
    public string? MailNickname { get; set; }
    public string? JobTitle { get; set; }
    public string? Department { get; set; }
    public string? OfficeLocation { get; set; }
    public string? MobilePhone { get; set; }
    public string? UsageLocation { get; set; }
    public string? PreferredLanguage { get; set; }
    public string UserType { get; set; } = "Member";
    public bool AccountEnabled { get; set; } = true;
    public string? Password { get; set; }
    public DateTimeOffset CreatedDateTime { get; set; }
}

internal sealed class PasswordCredential
{
    public required string KeyId { get; init; }
    public string? DisplayName { get; set; }
    public required string SecretText { get; init; } // never serialized except by addPassword (later issue)
    public string Hint => SecretText.Length >= 3 ? SecretText[..3] : SecretText;
    public DateTimeOffset StartDateTime { get; set; }
    public DateTimeOffset EndDateTime { get; set; }

    /// <summary>When addPassword ran: a new secret is valid at the token endpoint only once it has replicated from then.</summary>
    public DateTimeOffset AddedDateTime { get; init; }

    /// <summary>This object's share of the replication lag bound (see Graph/ReplicationLag); 0 = visible at once (seeded).</summary>
    public double ReplicationShare { get; init; }

    /// <summary>The replication lag bound (lagMs) in force when the object was created (or deleted).</summary>
    public int ReplicationBoundMs { get; init; }
}

internal sealed class KeyCredential
{
    public required string KeyId { get; init; }
    public string? DisplayName { get; set; }
    public string Type { get; set; } = "AsymmetricX509Cert";
    public string Usage { get; set; } = "Verify";
    public required byte[] CertificateDer { get; init; }
    public required string Sha1Base64Url { get; init; }   // x5t
    public required string Sha256Base64Url { get; init; } // x5t#S256
    public required string CustomKeyIdentifier { get; init; } // SHA-1 thumbprint, as Graph shows it
    public DateTimeOffset StartDateTime { get; set; }
    public DateTimeOffset EndDateTime { get; set; }
}

internal sealed record ResourceAccess(string Id, string Type);

internal sealed record RequiredResourceAccess(string ResourceAppId, IReadOnlyList<ResourceAccess> ResourceAccess);

internal sealed class Application
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string DisplayName { get; set; }
    public required string HomeTenantId { get; init; }
    public string SignInAudience { get; set; } = "AzureADMyOrg";
    public string? Description { get; set; }
    public bool IsFallbackPublicClient { get; set; }
    public List<string> WebRedirectUris { get; } = [];
    public List<string> PublicClientRedirectUris { get; } = [];
    public List<PasswordCredential> PasswordCredentials { get; } = [];
    public List<KeyCredential> KeyCredentials { get; } = [];
    public List<RequiredResourceAccess> RequiredResourceAccess { get; } = [];
    public List<string> Tags { get; } = [];
    public string? Notes { get; set; }
    public DateTimeOffset CreatedDateTime { get; set; }

    /// <summary>This object's share of the replication lag bound (see Graph/ReplicationLag); 0 = visible at once (seeded).</summary>
    public double ReplicationShare { get; init; }

    /// <summary>The replication lag bound (lagMs) in force when the object was created (or deleted).</summary>
    public int ReplicationBoundMs { get; init; }
}

internal sealed record AppRole(string Id, string Value, string DisplayName, string Description, IReadOnlyList<string> AllowedMemberTypes);

internal sealed record PermissionScope(string Id, string Value, string Type, string AdminConsentDisplayName, string AdminConsentDescription);

internal sealed class ServicePrincipal
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string DisplayName { get; set; }
    public bool AccountEnabled { get; set; } = true;
    public string ServicePrincipalType { get; set; } = "Application";
    public string? AppOwnerOrganizationId { get; set; }
    public string SignInAudience { get; set; } = "AzureADMyOrg";
    public List<AppRole> AppRoles { get; } = [];
    public List<PermissionScope> Oauth2PermissionScopes { get; } = [];
    public List<string> ServicePrincipalNames { get; } = [];
    public List<string> AlternativeNames { get; } = [];
    public List<string> Tags { get; } = [];
    public List<string> ReplyUrls { get; } = [];
    public DateTimeOffset CreatedDateTime { get; set; }

    /// <summary>This object's share of the replication lag bound (see Graph/ReplicationLag); 0 = visible at once (seeded).</summary>
    public double ReplicationShare { get; init; }

    /// <summary>The replication lag bound (lagMs) in force when the object was created (or deleted).</summary>
    public int ReplicationBoundMs { get; init; }
}

internal sealed class AppRoleAssignment
{
    public required string Id { get; init; }
    public required string PrincipalId { get; init; }
    public required string PrincipalDisplayName { get; init; }
    public string PrincipalType { get; init; } = "ServicePrincipal";
    public required string ResourceId { get; init; }
    public required string ResourceDisplayName { get; init; }
    public required string AppRoleId { get; init; }
    public DateTimeOffset CreatedDateTime { get; init; }

    /// <summary>This object's share of the replication lag bound (see Graph/ReplicationLag); 0 = visible at once (seeded).</summary>
    public double ReplicationShare { get; init; }

    /// <summary>The replication lag bound (lagMs) in force when the object was created (or deleted).</summary>
    public int ReplicationBoundMs { get; init; }
}

internal sealed class OAuth2PermissionGrant
{
    public required string Id { get; init; }
    public required string ClientId { get; init; }   // client service principal id
    public required string ConsentType { get; init; } // AllPrincipals | Principal
    public string? PrincipalId { get; init; }
    public required string ResourceId { get; init; }  // resource service principal id
    public required string Scope { get; set; }        // space separated
}

internal sealed class DirectoryRoleAssignment
{
    public required string Id { get; init; }
    public required string PrincipalId { get; init; }
    public required string RoleTemplateId { get; init; }
    public RoleAssignmentState State { get; init; }
    public string DirectoryScopeId { get; init; } = "/";
}

internal sealed class DirectoryGroup
{
    public required string Id { get; init; }
    public required string DisplayName { get; set; }
    public string? Description { get; set; }
    public required string MailNickname { get; set; }
    public bool MailEnabled { get; set; }
    public bool SecurityEnabled { get; set; } = true;
    public List<string> GroupTypes { get; } = [];
    public string? Visibility { get; set; }
    public bool? IsAssignableToRole { get; set; }
    public string? Mail { get; set; }
    public DateTimeOffset CreatedDateTime { get; set; }

    /// <summary>Object ids of the direct members (users, service principals, groups), in insertion order.</summary>
    public List<string> Members { get; } = [];
}
