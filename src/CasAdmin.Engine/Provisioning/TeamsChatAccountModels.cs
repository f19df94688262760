using System.Security;
using CasAdmin.Engine.Accounts;

namespace CasAdmin.Engine.Provisioning;

/// <summary>The seed's "Provision Service Account for Teams Chat" screen, as parameters.</summary>
public sealed class NewTeamsChatAccountRequest
{
    /// <summary>The customer's own app (client) id.</summary>
    public string AppId { get; init; } = string.Empty;

    /// <summary>The secret's value (not its Secret ID).</summary>
    public SecureString? ClientSecret { get; init; }

    public LicensingModel LicensingModel { get; init; } = LicensingModel.Evaluation;

    /// <summary>Grant the app's admin consent through the admin connection when the token shows it missing.</summary>
    public bool GrantAdminConsent { get; init; }

    /// <summary>Defer the initial update of the Teams Chat data.</summary>
    public bool SkipInventory { get; init; }

    /// <summary>Parallel users scanned during the inventory.</summary>
    public int ThrottleLimit { get; init; } = 8;

    /// <summary>Where Graph sends chat-message change notifications; none means no subscription.</summary>
    public Uri? NotificationUrl { get; init; }

    public Uri? LifecycleNotificationUrl { get; init; }

    /// <summary>Keep the secret in the OS-protected store (when there is one) so tokens can be renewed unattended.</summary>
    public bool StoreSecret { get; init; } = true;

    /// <summary>How long to wait for Entra ID to replicate the app, secret and consent created moments ago; null = five minutes.</summary>
    public TimeSpan? ReplicationTimeout { get; init; }
}

