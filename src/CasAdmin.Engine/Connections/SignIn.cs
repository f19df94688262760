using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Graph;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;
using Microsoft.Identity.Client;
using Microsoft.Identity.Client.AppConfig;

namespace CasAdmin.Engine.Connections;

/// <summary>Builds one MSAL application per connection for the requested sign-in mode and gets the first token.</summary>
internal static class SignIn
{
    // Public clients sign in through the system browser with a loopback redirect.
    private const string LoopbackRedirectUri = "http://localhost";

    public static void Validate(ConnectionRequest request)
    {
        void Require(bool present, string parameter)
        {
            if (!present)
            {
                throw new CasException(ErrorIds.ConnectionParameterMissing, CasErrorCategory.InvalidArgument,
                    $"Sign-in mode {request.Mode} needs -{parameter}.",
                    $"Run Connect-CasTenant again with -{parameter}.", request.Tenant);
            }
        }

        if (request.Mode is not (SignInMode.ManagedIdentity or SignInMode.AccessToken))
        {
            Require(!string.IsNullOrWhiteSpace(request.Tenant), "TenantId");
            if (string.IsNullOrWhiteSpace(request.ClientId))
            {
                throw ClientIdRequired(request);
            }
        }

        switch (request.Mode)
        {
            case SignInMode.ClientSecret:
                // A blank secret is the same mistake as an empty one (MSAL would throw ArgumentNullException on it).
                Require(SecureStrings.HasValue(request.ClientSecret), "ClientSecret");
                break;
            case SignInMode.Certificate:
                Require(request.Certificate is not null || !string.IsNullOrWhiteSpace(request.CertificatePath) || !string.IsNullOrWhiteSpace(request.CertificateThumbprint), "Certificate");
                break;
            case SignInMode.AccessToken:
                Require(SecureStrings.HasValue(request.AccessToken), "AccessToken");
                break;
        }

        if (request.Environment != CasCloud.Sandbox && (request.SandboxUrl is not null || request.SandboxThumbprint is not null))
        {
            // Silently ignoring them would send the sign-in to the real cloud the administrator did not mean.
            throw CasException.InvalidArgument(
                $"-SandboxUrl and -SandboxThumbprint belong to -Environment Sandbox, but -Environment is {request.Environment}.",
                "To sign in to the sandbox, pass -Environment Sandbox; to sign in to a Microsoft cloud, leave -SandboxUrl and -SandboxThumbprint out.",
                request.SandboxUrl?.OriginalString ?? request.Tenant);
        }

        if (request.Environment == CasCloud.Sandbox)
        {
            Require(request.SandboxUrl is not null, "SandboxUrl");
            Require(!string.IsNullOrWhiteSpace(request.SandboxThumbprint), "SandboxThumbprint");
            if (!request.SandboxUrl!.IsAbsoluteUri || request.SandboxUrl.Scheme != Uri.UriSchemeHttps)
            {
                throw CasException.InvalidArgument("The sandbox URL must use https.", "Use the url that Start-CasSandbox or the sandbox's first output line gives.", request.SandboxUrl.OriginalString);
            }
        }
    }

    /// <summary>
    /// No client id, none remembered for the tenant: say which app the sign-in needs and how to get one, instead of
    /// PowerShell's bare MissingMandatoryParameter.
    /// </summary>
    private static CasException ClientIdRequired(ConnectionRequest request)
    {
        var tenant = request.Tenant!;
        var sandbox = request.Environment == CasCloud.Sandbox ? $" -Environment Sandbox -SandboxUrl {request.SandboxUrl} -SandboxThumbprint {request.SandboxThumbprint}" : request.Environment == CasCloud.Global ? string.Empty : $" -Environment {request.Environment}";
        return request.Mode is SignInMode.Interactive or SignInMode.DeviceCode
            ? new CasException(ErrorIds.ClientIdRequired, CasErrorCategory.InvalidArgument,
                $"Signing in to tenant {tenant} needs the tenant's own app, and none is registered for it on this computer ({AdminAppRegistry.FilePath}); -ClientId was not given either.",
                $"Run once, as a Global Administrator: Register-CasAdminApp -TenantId {tenant}{sandbox} (add -UseDeviceCode where no browser opens). " +
                $"It creates the '{AdminApp.DefaultDisplayName}' app in the tenant and remembers it, so that Connect-CasTenant -TenantId {tenant} works from then on. " +
                $"Or pass -ClientId with the id of a public-client app of your own, or set the {AdminAppRegistry.ClientIdVariable} environment variable.",
                tenant)
            : new CasException(ErrorIds.ClientIdRequired, CasErrorCategory.InvalidArgument,
                $"Sign-in with {(request.Mode == SignInMode.ClientSecret ? "a client secret" : "a certificate")} to tenant {tenant} needs -ClientId: the application (client) id of the app the {(request.Mode == SignInMode.ClientSecret ? "secret" : "certificate")} belongs to.",
                "Run Connect-CasTenant again with -ClientId <the app's application (client) id>. Unattended sign-in uses an app of its own with application permissions and admin consent " +
                "(Get-Help about_CasAdmin, 'Signing in'); the app Register-CasAdminApp creates is for people signing in, and has no secret.",
                tenant);
    }

    public static async Task<ITokenSource> CreateAsync(ConnectionRequest request, CloudEndpoints endpoints, HttpStack http, IOperationObserver observer, CancellationToken cancellationToken)
    {
        var scope = endpoints.DefaultScope;
        var authority = new Uri(endpoints.AuthorityHost, (request.Tenant ?? "organizations") + "/").AbsoluteUri;
        var sandbox = endpoints.Cloud == CasCloud.Sandbox;

        switch (request.Mode)
        {
            case SignInMode.ClientSecret:
            case SignInMode.Certificate:
            {
                var builder = ConfidentialClientApplicationBuilder.Create(request.ClientId)
                    .WithAuthority(authority, validateAuthority: !sandbox)
                    .WithHttpClientFactory(http)
                    .WithLogging(static (_, _, _) => { }, LogLevel.Error, enablePiiLogging: false, enableDefaultPlatformLogging: false);
                if (sandbox)
                {
                    builder = builder.WithInstanceDiscovery(false);
                }

                builder = request.Mode == SignInMode.ClientSecret
                    ? builder.WithClientSecret(SecureStrings.Reveal(request.ClientSecret!))
                    : builder.WithCertificate(LoadCertificate(request), sendX5C: false);
                var source = new ConfidentialClientTokenSource(builder.Build(), scope, request.Tenant!, SignInPurpose.Connection, endpoints.AuthorityHost.Authority);
                await source.GetTokenAsync(cancellationToken).ConfigureAwait(false);
                return source;
            }

            case SignInMode.DeviceCode:
            case SignInMode.Interactive:
            {
                var builder = PublicClientApplicationBuilder.Create(request.ClientId)
                    .WithAuthority(authority, validateAuthority: !sandbox)
                    .WithRedirectUri(LoopbackRedirectUri)
                    .WithHttpClientFactory(http)
                    .WithLogging(static (_, _, _) => { }, LogLevel.Error, enablePiiLogging: false, enableDefaultPlatformLogging: false);
                if (sandbox)
                {
                    builder = builder.WithInstanceDiscovery(false);
                }

                var app = builder.Build();
                string[] scopes = request.Scopes is { Count: > 0 } named ? [.. named.Select(s => endpoints.GraphResource + "/" + s)] : [scope];
                AuthenticationResult result;
                try
                {
                    result = request.Mode == SignInMode.DeviceCode
                        ? await app.AcquireTokenWithDeviceCode(scopes, code =>
                            {
                                observer.Warning(code.Message);
                                request.DeviceCodeReceived?.Invoke(new DeviceCodePrompt(code.UserCode, new Uri(code.VerificationUrl), code.Message, code.ExpiresOn));
                                return Task.CompletedTask;
                            }).ExecuteAsync(cancellationToken).ConfigureAwait(false)
                        : await app.AcquireTokenInteractive(scopes)
                            .WithUseEmbeddedWebView(false)
                            .WithSystemWebViewOptions(BrowserOptions(request, cancellationToken))
                            .ExecuteAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (MsalException ex)
                {
                    throw EntraErrorTranslator.Translate(ex, request.ClientId, request.Tenant, SignInPurpose.Connection, endpoints.AuthorityHost.Authority);
                }
                catch (Exception ex) when (NetworkErrors.TryTranslate(ex, endpoints.AuthorityHost.Authority, "Sign-in", request.Tenant, cancellationToken) is { } network)
                {
                    throw network;
                }

                return new PublicClientTokenSource(app, result.Account, scopes, request.Tenant!, endpoints.AuthorityHost.Authority);
            }

            case SignInMode.ManagedIdentity:
            {
                var id = string.IsNullOrWhiteSpace(request.ClientId) ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.WithUserAssignedClientId(request.ClientId);
                var app = ManagedIdentityApplicationBuilder.Create(id)
                    .WithHttpClientFactory(http)
                    .WithLogging(static (_, _, _) => { }, LogLevel.Error, enablePiiLogging: false, enableDefaultPlatformLogging: false)
                    .Build();
                var source = new ManagedIdentityTokenSource(app, endpoints.GraphResource);
                await source.GetTokenAsync(cancellationToken).ConfigureAwait(false);
                return source;
            }

            case SignInMode.AccessToken:
            {
                var token = SecureStrings.Reveal(request.AccessToken!);
                var identity = ConnectionIdentity.FromAccessToken(token);
                return new StaticTokenSource(token, identity.ExpiresOn);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(request), request.Mode, "Unknown sign-in mode.");
        }
    }

    private static SystemWebViewOptions BrowserOptions(ConnectionRequest request, CancellationToken cancellationToken) =>
        request.OpenBrowser is { } open
            ? new SystemWebViewOptions { OpenBrowserAsync = uri => open(uri, cancellationToken) }
            : new SystemWebViewOptions();

    private static X509Certificate2 LoadCertificate(ConnectionRequest request)
    {
        X509Certificate2? certificate;
        string target;
        if (request.Certificate is not null)
        {
            certificate = request.Certificate;
            target = certificate.Subject;
        }
        else if (!string.IsNullOrWhiteSpace(request.CertificatePath))
        {
            target = request.CertificatePath;
            if (!File.Exists(request.CertificatePath))
            {
                throw new CasException(ErrorIds.CertificateNotFound, CasErrorCategory.ObjectNotFound,
                    $"The certificate file '{request.CertificatePath}' does not exist.",
                    "Give the path of a .pfx file that holds the certificate and its private key.", target);
            }

            try
            {
                var password = request.CertificatePassword is null ? null : SecureStrings.Reveal(request.CertificatePassword);
                certificate = new X509Certificate2(request.CertificatePath, password, X509KeyStorageFlags.EphemeralKeySet);
            }
            catch (CryptographicException ex)
            {
                throw new CasException(ErrorIds.CertificateInvalid, CasErrorCategory.InvalidData,
                    $"The certificate file '{request.CertificatePath}' could not be read.",
                    "Check that the file is a .pfx with its private key, and the -CertificatePassword.", target, ex);
            }
        }
        else
        {
            target = request.CertificateThumbprint!;
            certificate = FindInStore(request.CertificateThumbprint!) ?? throw new CasException(ErrorIds.CertificateNotFound, CasErrorCategory.ObjectNotFound,
                $"No certificate with thumbprint {request.CertificateThumbprint} is in the CurrentUser or LocalMachine 'My' store.",
                "Import the certificate with its private key into the personal store, or use -CertificatePath.", target);
        }

        if (!certificate.HasPrivateKey)
        {
            throw new CasException(ErrorIds.CertificateInvalid, CasErrorCategory.InvalidData,
                $"The certificate {certificate.Subject} has no private key.",
                "Use the certificate together with its private key (a .pfx), not the public .cer.", target);
        }

        return certificate;
    }

    private static X509Certificate2? FindInStore(string thumbprint)
    {
        foreach (var location in new[] { StoreLocation.CurrentUser, StoreLocation.LocalMachine })
        {
            try
            {
                using var store = new X509Store(StoreName.My, location);
                store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
                var found = store.Certificates.Find(X509FindType.FindByThumbprint, thumbprint, validOnly: false);
                if (found.Count > 0)
                {
                    return found[0];
                }
            }
            catch (CryptographicException)
            {
                // A store that does not exist on this platform (LocalMachine on Linux) simply holds nothing.
            }
        }

        return null;
    }
}
