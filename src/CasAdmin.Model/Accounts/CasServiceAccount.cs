namespace CasAdmin.Engine.Accounts;

/// <summary>A service account under CasAdmin's management. Property names match the parameters of the cmdlets it pipes into.</summary>
public sealed record CasServiceAccount
{
    public Guid AccountId { get; init; }

    public string TenantId { get; init; } = string.Empty;

    public string? TenantDomain { get; init; }

    public CasService Service { get; init; }

    public ServiceAccountKind Kind { get; init; }

    /// <summary>Provisioned the old way, without the customer's own app (Teams Chat: Evaluation only).</summary>
    public bool IsLegacy { get; init; }

    /// <summary>The application (client) id of the app behind the account.</summary>
    public string? AppId { get; init; }

    public string? AppObjectId { get; init; }

    public string? ServicePrincipalId { get; init; }

    /// <summary>The Microsoft 365 user of a delegate account.</summary>
    public string? DelegateAccount { get; init; }

    public string? DisplayName { get; init; }

    public LicensingModel? LicensingModel { get; init; }

    public ServiceAccountStatus Status { get; init; } = ServiceAccountStatus.Provisioning;

    public string? SecretKeyId { get; init; }

    /// <summary>The first characters Entra shows of the secret; never the secret.</summary>
    public string? SecretHint { get; init; }

    public DateTimeOffset? SecretExpiresOn { get; init; }

    /// <summary>True when the secret is kept in the operating system's protected storage so tokens can be renewed unattended.</summary>
    public bool SecretStored { get; init; }

    public TokenState TokenState { get; init; } = TokenState.Unknown;

    public DateTimeOffset? TokenExpiresOn { get; init; }

    public IReadOnlyList<string> TokenRoles { get; init; } = [];

    public string? NotificationUrl { get; init; }

    public string? LifecycleNotificationUrl { get; init; }

    public DateTimeOffset CreatedOn { get; init; }

    public DateTimeOffset UpdatedOn { get; init; }

    /// <summary>Days until the secret expires (negative once expired), when known.</summary>
    public int? SecretExpiresInDays => SecretExpiresOn is { } e ? (int)Math.Floor((e - DateTimeOffset.UtcNow).TotalDays) : null;

    internal string? SecretReference { get; init; }

    public override string ToString() => $"{Service} {TenantDomain ?? TenantId} ({AppId ?? DelegateAccount})";
}

/// <summary>A message CasAdmin raised for an account, like the console's notifications ("Teams Chat protected.").</summary>
public sealed class CasNotification
{
    public long NotificationId { get; init; }

    public string TenantId { get; init; } = string.Empty;

    public Guid? AccountId { get; init; }

    public CasService? Service { get; init; }

    public string Level { get; init; } = "Information";

    public string Message { get; init; } = string.Empty;

    public DateTimeOffset CreatedOn { get; init; }
}
