using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using CasAdmin.Base;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Store;

namespace CasAdmin.Commands.Connections;

/// <summary>
/// Signs in to a tenant and makes the connection the session default. Returns the <see cref="CasConnection"/>.
/// </summary>
/// <remarks>
/// Not SupportsShouldProcess: connecting changes nothing in the tenant and nothing that outlives the session
/// (Disconnect-CasTenant undoes it), and -WhatIf on a sign-in would only make runbooks silently unconnected.
/// </remarks>
[Cmdlet(VerbsCommunications.Connect, "CasTenant", DefaultParameterSetName = InteractiveSet)]
[OutputType(typeof(CasConnection))]
public sealed class ConnectCasTenantCommand : CasSignInCmdlet
{
    private const string InteractiveSet = "Interactive";
    private const string DeviceCodeSet = "DeviceCode";
    private const string ClientSecretSet = "ClientSecret";
    private const string CertificateSet = "Certificate";
    private const string CertificateFileSet = "CertificateFile";
    private const string CertificateThumbprintSet = "CertificateThumbprint";
    private const string ManagedIdentitySet = "ManagedIdentity";
    private const string AccessTokenSet = "AccessToken";

    #region Parameters

    /// <summary>
    /// The tenant: its id (GUID) or a verified domain such as contoso.onmicrosoft.com. Optional with
    /// -ManagedIdentity and -AccessToken (then the token's tenant is used; when given, it must match).
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = InteractiveSet)]
    [Parameter(Mandatory = true, ParameterSetName = DeviceCodeSet)]
    [Parameter(Mandatory = true, ParameterSetName = ClientSecretSet)]
    [Parameter(Mandatory = true, ParameterSetName = CertificateSet)]
    [Parameter(Mandatory = true, ParameterSetName = CertificateFileSet)]
    [Parameter(Mandatory = true, ParameterSetName = CertificateThumbprintSet)]
    [Parameter(ParameterSetName = ManagedIdentitySet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TenantIdCompleter))]
    public string? TenantId { get; set; }

    /// <summary>
    /// The application (client) id of the tenant's own app registration that CasAdmin signs in with. Interactive and
    /// device code: optional once Register-CasAdminApp has registered the tenant's app (or with CASADMIN_CLIENT_ID).
    /// Client secret and certificate: the app the secret or certificate belongs to (required; checked by the engine, so
    /// that leaving it out gives ClientIdRequired with what to do). With -ManagedIdentity: the client id of a
    /// user-assigned managed identity (omit it for the system-assigned one).
    /// </summary>
    [Parameter(ParameterSetName = InteractiveSet)]
    [Parameter(ParameterSetName = DeviceCodeSet)]
    [Parameter(ParameterSetName = ClientSecretSet)]
    [Parameter(ParameterSetName = CertificateSet)]
    [Parameter(ParameterSetName = CertificateFileSet)]
    [Parameter(ParameterSetName = CertificateThumbprintSet)]
    [Parameter(ParameterSetName = ManagedIdentitySet)]
    [ValidateNotNullOrEmpty]
    public string? ClientId { get; set; }

    /// <summary>Signs in with a device code: CasAdmin shows a code to enter at the verification page on any device.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DeviceCodeSet)]
    public SwitchParameter UseDeviceCode { get; set; }

    /// <summary>The app's client secret (app-only sign-in for runbooks).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ClientSecretSet)]
    [ValidateNotNull]
    public SecureString? ClientSecret { get; set; }

    /// <summary>A certificate with its private key, registered on the app (app-only sign-in).</summary>
    [Parameter(Mandatory = true, ParameterSetName = CertificateSet)]
    [ValidateNotNull]
    public X509Certificate2? Certificate { get; set; }

    /// <summary>Path to a PFX (PKCS#12) file with the app's certificate and private key (app-only sign-in).</summary>
    [Parameter(Mandatory = true, ParameterSetName = CertificateFileSet)]
    [ValidateNotNullOrEmpty]
    public string? CertificatePath { get; set; }

    /// <summary>The password of the PFX file given with -CertificatePath, when it has one.</summary>
    [Parameter(ParameterSetName = CertificateFileSet)]
    public SecureString? CertificatePassword { get; set; }

    /// <summary>Thumbprint of the app's certificate in the current user's (then the local machine's) certificate store.</summary>
    [Parameter(Mandatory = true, ParameterSetName = CertificateThumbprintSet)]
    [ValidateNotNullOrEmpty]
    public string? CertificateThumbprint { get; set; }

    /// <summary>Signs in with the Azure managed identity of the machine or Automation account the command runs on.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ManagedIdentitySet)]
    public SwitchParameter ManagedIdentity { get; set; }

    /// <summary>A Microsoft Graph access token obtained elsewhere. CasAdmin cannot renew it: connect again when it expires.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AccessTokenSet)]
    [ValidateNotNull]
    public SecureString? AccessToken { get; set; }

    /// <summary>The registry file for this connection. Default: the per-user data folder, or the CASADMIN_STORE environment variable.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorePath { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        var request = new ConnectionRequest
        {
            Mode = ParameterSetName switch
            {
                DeviceCodeSet => SignInMode.DeviceCode,
                ClientSecretSet => SignInMode.ClientSecret,
                CertificateSet or CertificateFileSet or CertificateThumbprintSet => SignInMode.Certificate,
                ManagedIdentitySet => SignInMode.ManagedIdentity,
                AccessTokenSet => SignInMode.AccessToken,
                _ => SignInMode.Interactive,
            },
            Tenant = TenantId,
            ClientId = ClientId,
            ClientSecret = ClientSecret,
            Certificate = Certificate,
            CertificatePath = FileSystemPath(CertificatePath),
            CertificatePassword = CertificatePassword,
            CertificateThumbprint = CertificateThumbprint,
            AccessToken = AccessToken,
            Environment = Environment,
            SandboxUrl = SandboxUrl,
            SandboxThumbprint = SandboxThumbprint,
            StorePath = FileSystemPath(StorePath),
        };

        // No pipeline input: a failure's target is what the engine names (the tenant, the app id, the sandbox URL).
        WriteObject(Run((observer, ct) => CasEngine.Shared.Connections.ConnectAsync(request, observer, ct)));
    }

    #endregion

    /// <summary>Paths are relative to the PowerShell location, not the process's working directory.</summary>
    private string? FileSystemPath(string? path) =>
        path is null || StoreLocator.IsConnectionString(path) ? path : SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
