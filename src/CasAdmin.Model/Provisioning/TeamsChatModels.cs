using System.Security;

namespace CasAdmin.Engine.Provisioning;

/// <summary>Which management console the app's redirect URI points to.</summary>
public enum ConsoleKind
{
    /// <summary>The classic console: <c>{console}/provision.html</c>.</summary>
    Classic = 1,

    /// <summary>The newer console: <c>{console}/ui/cas/provision.html</c>.</summary>
    Newer,
}

/// <summary>The customer's Teams Chat app as created (or found and completed) in the tenant.</summary>
public sealed class CasTeamsChatApp
{
    public string TenantId { get; init; } = string.Empty;

    public string DisplayName { get; init; } = string.Empty;

    public string AppId { get; init; } = string.Empty;

    public string ObjectId { get; init; } = string.Empty;

    public string ServicePrincipalId { get; init; } = string.Empty;

    public string SignInAudience { get; init; } = string.Empty;

    public string RedirectUri { get; init; } = string.Empty;

    /// <summary>False when an earlier run had already created the app and this run completed it.</summary>
    public bool Created { get; init; }

    public bool ConsentGranted { get; init; }

    public string SecretKeyId { get; init; } = string.Empty;

    public string? SecretHint { get; init; }

    public DateTimeOffset SecretExpiresOn { get; init; }

    /// <summary>Opened by a Global Administrator, grants admin consent interactively.</summary>
    public Uri AdminConsentUrl { get; init; } = null!;

    /// <summary>The secret value, shown this once. Read-only; never written anywhere by CasAdmin.</summary>
    public SecureString Secret { get; init; } = null!;

    public override string ToString() => $"{DisplayName} ({AppId})";
}

/// <summary>Metadata of an access token CasAdmin obtained for a service account.</summary>
public sealed class CasAccessTokenInfo
{
    public Guid AccountId { get; init; }

    public string TenantId { get; init; } = string.Empty;

    public string AppId { get; init; } = string.Empty;

    public DateTimeOffset ExpiresOn { get; init; }

    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>Teams Chat permissions the token lacks (admin consent drift).</summary>
    public IReadOnlyList<string> MissingRoles { get; init; } = [];

    /// <summary>The token itself, only when asked for.</summary>
    public SecureString? Token { get; init; }
}

/// <summary>The outcome of "updates the Teams Chat data".</summary>
public sealed record TeamsChatInventoryResult(int Users, long Chats, bool Resumed)
{
    public Guid AccountId { get; init; }

    public string TenantId { get; init; } = string.Empty;

    public DateTimeOffset CompletedOn { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>What Update-CasTeamsChatSubscription did to one chat-message subscription.</summary>
public enum SubscriptionAction
{
    /// <summary>Live and not near expiry: left as it is.</summary>
    Unchanged = 1,

    /// <summary>Near expiry: its expirationDateTime was extended (which also reauthorizes it).</summary>
    Renewed,

    /// <summary>Expired, removed by Microsoft Graph, or missing: a new subscription replaces it.</summary>
    Recreated,

    /// <summary>Found live in Graph but not in the registry (an interrupted earlier run made it): recorded, not made twice.</summary>
    Adopted,
}

/// <summary>One chat-message change-notification subscription of a Teams Chat account, after renewal.</summary>
public sealed class CasTeamsChatSubscription
{
    public Guid AccountId { get; init; }

    public string TenantId { get; init; } = string.Empty;

    public string AppId { get; init; } = string.Empty;

    public string SubscriptionId { get; init; } = string.Empty;

    public string Resource { get; init; } = string.Empty;

    public DateTimeOffset ExpiresOn { get; init; }

    public SubscriptionAction Action { get; init; }

    /// <summary>For Recreated: the subscription it replaces.</summary>
    public string? PreviousSubscriptionId { get; init; }

    /// <summary>Why: "expired", "removed", "none recorded", "expires within …".</summary>
    public string? Reason { get; init; }

    public override string ToString() => $"{SubscriptionId} ({Action}, expires {ExpiresOn:u})";
}
