using System.Globalization;
using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Engine;
using CasAdmin.Engine.Provisioning;

namespace CasAdmin.Commands.TeamsChat;

/// <summary>
/// Registers the tenant's own Teams Chat app in Entra ID ("Creating an Azure AD App for Teams Chat Protection"):
/// the app with its redirect URI and six Microsoft Graph permissions, its service principal, a client secret and,
/// on request, admin consent. A rerun completes an app an interrupted run left behind. Returns the app with the
/// secret's value, once, as a SecureString.
/// </summary>
[Cmdlet(VerbsCommon.New, "CasTeamsChatApp", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CasTeamsChatApp))]
public sealed class NewCasTeamsChatAppCommand : CasTenantCmdlet
{
    #region Parameters

    /// <summary>The app's display name in Entra ID. Default: "Cloud App Security for Teams Chat".</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string DisplayName { get; set; } = "Cloud App Security for Teams Chat";

    /// <summary>The management console's https URL; the app's redirect URI is derived from it (see -ConsoleKind).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public Uri? ConsoleUrl { get; set; }

    /// <summary>Which console the redirect URI points to: Newer (default, {console}/ui/cas/provision.html) or Classic ({console}/provision.html).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public ConsoleKind ConsoleKind { get; set; } = ConsoleKind.Newer;

    /// <summary>Registers a multitenant app (one app serving several organizations). Default: single tenant.</summary>
    [Parameter]
    public SwitchParameter MultiTenant { get; set; }

    /// <summary>How long the client secret is valid: a TimeSpan, or a number of days. Default: 730 days (two years).</summary>
    [Parameter]
    [TimeSpanOrDays]
    public TimeSpan SecretLifetime { get; set; } = TimeSpan.FromDays(730);

    /// <summary>Also grants admin consent: the five application permissions and User.Read for all users.</summary>
    [Parameter]
    public SwitchParameter GrantAdminConsent { get; set; }

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
        if (!TryResolveTenant(TenantId ?? DisplayName, out var tenant))
        {
            return;
        }

        var connection = tenant.Connection;

        var request = new NewTeamsChatAppRequest
        {
            DisplayName = DisplayName,
            ConsoleUrl = ConsoleUrl,
            ConsoleKind = ConsoleKind,
            MultiTenant = MultiTenant,
            SecretLifetime = SecretLifetime,
            GrantAdminConsent = GrantAdminConsent,
            ReplicationTimeout = ReplicationTimeout,
        };

        var action = string.Format(CultureInfo.InvariantCulture, "Register the {0} app '{1}' for {2} with a {3:0.##}-day client secret{4}",
            MultiTenant ? "multitenant" : "single-tenant", DisplayName, ConsoleUrl, SecretLifetime.TotalDays,
            GrantAdminConsent ? ", and grant it admin consent" : string.Empty);
        if (!ShouldProcess(TenantTarget(connection), action))
        {
            return;
        }

        if (TryRun((observer, ct) => CasEngine.Shared.TeamsChat.NewAppAsync(connection, request, observer, ct), DisplayName, out var app))
        {
            WriteObject(app);
        }
    }

    #endregion
}
