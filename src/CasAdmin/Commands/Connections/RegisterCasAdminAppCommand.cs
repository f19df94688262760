using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;

namespace CasAdmin.Commands.Connections;

/// <summary>
/// The one-time setup of a tenant for people signing in: a Global Administrator signs in (system browser or device
/// code) through Microsoft Graph Command Line Tools, and CasAdmin creates the tenant's own public-client app with
/// the delegated Microsoft Graph permissions its commands use, grants admin consent for it, and remembers its client
/// id, so that Connect-CasTenant -TenantId works without -ClientId from then on. A rerun completes and reuses the app.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "CasAdminApp", DefaultParameterSetName = InteractiveSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CasAdminApp))]
public sealed class RegisterCasAdminAppCommand : CasSignInCmdlet
{
    private const string InteractiveSet = "Interactive";
    private const string DeviceCodeSet = "DeviceCode";

    #region Parameters

    /// <summary>The tenant to register the app in: its id (GUID) or a verified domain such as contoso.onmicrosoft.com.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = InteractiveSet)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = DeviceCodeSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TenantIdCompleter))]
    public string? TenantId { get; set; }

    /// <summary>Signs in with a device code (enter the code shown at the verification page on any device) instead of the system browser.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DeviceCodeSet)]
    public SwitchParameter UseDeviceCode { get; set; }

    /// <summary>The app's display name in Entra ID. Default: "CasAdmin Sign-in".</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string DisplayName { get; set; } = "CasAdmin Sign-in";

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        var request = new RegisterAdminAppRequest
        {
            Tenant = TenantId!,
            Mode = UseDeviceCode ? SignInMode.DeviceCode : SignInMode.Interactive,
            Environment = Environment,
            SandboxUrl = SandboxUrl,
            SandboxThumbprint = SandboxThumbprint,
            DisplayName = DisplayName,
        };

        if (!ShouldProcess($"Tenant {TenantId}",
            $"Register the public-client app '{DisplayName}' for signing in to CasAdmin, grant it admin consent for every user to {string.Join(", ", RegisterAdminAppRequest.Permissions)}, and remember its client id"))
        {
            return;
        }

        WriteObject(Run((observer, ct) => CasEngine.Shared.Connections.RegisterAdminAppAsync(request, observer, ct)));
    }

    #endregion
}
