namespace CasAdmin.Engine.Accounts;

/// <summary>The Microsoft 365 services the security service protects. Teams and Teams Chat are protected separately.</summary>
public enum CasService
{
    ExchangeOnline = 1,

    /// <summary>Exchange Online (Inline Mode).</summary>
    ExchangeOnlineInline,
    SharePointOnline,
    OneDrive,

    /// <summary>Microsoft Teams channels.</summary>
    Teams,

    /// <summary>Microsoft Teams private chats.</summary>
    TeamsChat,
}

/// <summary>How a service account reaches its service.</summary>
public enum ServiceAccountKind
{
    /// <summary>An OAuth grant to an app (for Teams Chat: the customer's own app).</summary>
    AuthorizedAccount = 1,

    /// <summary>A Microsoft 365 user account created for the service.</summary>
    DelegateAccount,
}

/// <summary>Where an account is in its life.</summary>
public enum ServiceAccountStatus
{
    Provisioning = 1,
    Active,
    Removing,
    RemovalFailed,
    Removed,
}

/// <summary>The product's protection mode for Teams Chat (A, B or Evaluation).</summary>
public enum LicensingModel
{
    /// <summary>E5-class licence; scan, block or pass.</summary>
    A = 1,

    /// <summary>Pay per call; scan, pass only — blocking is not supported.</summary>
    B,

    /// <summary>No licence or payment; scan, block or pass within a monthly quota.</summary>
    Evaluation,
}

/// <summary>What CasAdmin last saw of an account's access token.</summary>
public enum TokenState
{
    Unknown = 1,
    Valid,
    Invalid,
}
