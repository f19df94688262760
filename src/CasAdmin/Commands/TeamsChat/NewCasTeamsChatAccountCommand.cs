using System.Management.Automation;
using System.Security;
using CasAdmin.Base;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Provisioning;

namespace CasAdmin.Commands.TeamsChat;

/// <summary>
/// Provisions the tenant's Teams Chat service account with its own app (the seed's "Provision Service Account for
/// Teams Chat"): obtains an access token with the secret, verifies the administrator, admin consent and the
/// licensing model, records the account, updates the Teams Chat data, subscribes to chat messages and raises
/// "Teams Chat protected.". A rerun after an interruption resumes the same account.
/// </summary>
[Cmdlet(VerbsCommon.New, "CasTeamsChatAccount", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CasServiceAccount))]
public sealed class NewCasTeamsChatAccountCommand : CasTenantCmdlet
{
    #region Parameters

    /// <summary>The application (client) id of the tenant's own Teams Chat app. New-CasTeamsChatApp's output binds to it.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(AppIdCompleter))]
    public string? AppId { get; set; }

    /// <summary>The value of the app's client secret (not its Secret ID). The Secret property of New-CasTeamsChatApp's output binds to it.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Secret")]
    [ValidateNotNull]
    public SecureString? ClientSecret { get; set; }

    /// <summary>The Microsoft licensing model: A (E5-class licence; block or pass), B (pay per call; pass only) or Evaluation (limited monthly quota).</summary>
    [Parameter(Mandatory = true)]
    public LicensingModel LicensingModel { get; set; }

    /// <summary>Grants the app's admin consent through the admin connection when the token shows it missing.</summary>
    [Parameter]
    public SwitchParameter GrantAdminConsent { get; set; }

    /// <summary>Defers the initial update of the Teams Chat data.</summary>
    [Parameter]
    public SwitchParameter SkipInventory { get; set; }

    /// <summary>How many users the initial update of the Teams Chat data reads at once (1 to 64). Default: 8.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 8;

    /// <summary>The https URL that receives chat-message change notifications. Without it, no subscription is created.</summary>
    [Parameter]
    [ValidateNotNull]
    public Uri? NotificationUrl { get; set; }

    /// <summary>The https URL that receives the subscription's lifecycle notifications (cannot be added later).</summary>
    [Parameter]
    [ValidateNotNull]
    public Uri? LifecycleNotificationUrl { get; set; }

    /// <summary>Does not keep the secret in the operating system's protected storage; later commands then need -ClientSecret.</summary>
    [Parameter]
    public SwitchParameter DoNotStoreSecret { get; set; }

    /// <summary>
    /// How long to wait for Entra ID to replicate what this command (or New-CasTeamsChatApp just before it) created: a
    /// TimeSpan, or a number of minutes. Default: 5 minutes. After it, the command stops with ReplicationTimeout; run
    /// it again to continue.
    /// </summary>
    [Parameter]
    [TimeSpanOrMinutes]
    public TimeSpan ReplicationTimeout { get; set; } = TimeSpan.FromMinutes(5);


    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        if (!TryResolveTenant(AppId, out var tenant))
        {
            return;
        }

        var connection = tenant.Connection;

        var request = new NewTeamsChatAccountRequest
        {
            AppId = AppId!,
            ClientSecret = ClientSecret,
            LicensingModel = LicensingModel,
            GrantAdminConsent = GrantAdminConsent,
            SkipInventory = SkipInventory,
            ThrottleLimit = ThrottleLimit,
            NotificationUrl = NotificationUrl,
            LifecycleNotificationUrl = LifecycleNotificationUrl,
            StoreSecret = !DoNotStoreSecret,
            ReplicationTimeout = ReplicationTimeout,
        };

        if (!ShouldProcess(TenantTarget(connection),
                $"Provision the Teams Chat service account with app {AppId} under licensing model {LicensingModel}"))
        {
            return;
        }

        if (TryRun((observer, ct) => CasEngine.Shared.TeamsChat.NewAccountAsync(connection, request, observer, ct), AppId, out var account))
        {
            WriteObject(account);
        }
    }

    #endregion
}
