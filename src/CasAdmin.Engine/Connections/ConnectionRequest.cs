using System.Security;
using System.Security.Cryptography.X509Certificates;
using CasAdmin.Engine.Resilience;

namespace CasAdmin.Engine.Connections;

/// <summary>Everything needed to connect to one tenant. Secrets stay in <see cref="SecureString"/>s until MSAL needs them.</summary>
public sealed class ConnectionRequest
{
    public SignInMode Mode { get; init; } = SignInMode.Interactive;

    /// <summary>Tenant id (GUID) or a verified domain. Optional for managed identity and access token.</summary>
    public string? Tenant { get; init; }

    public CasCloud Environment { get; init; } = CasCloud.Global;

    /// <summary>The tenant's own app (client) id. For managed identity: a user-assigned identity's client id.</summary>
    public string? ClientId { get => clientId; init => clientId = value; }

    private string? clientId;

    public SecureString? ClientSecret { get; init; }

    public X509Certificate2? Certificate { get; init; }

    public string? CertificatePath { get; init; }

    public SecureString? CertificatePassword { get; init; }

    public string? CertificateThumbprint { get; init; }

    public SecureString? AccessToken { get; init; }

    public Uri? SandboxUrl { get; init; }

    /// <summary>SHA-256 of the sandbox's certificate; the only certificate such a connection trusts.</summary>
    public string? SandboxThumbprint { get; init; }

    /// <summary>The registry file for this connection (default: per-user data folder or CASADMIN_STORE).</summary>
    public string? StorePath { get; init; }

    /// <summary>Opens the sign-in page for interactive sign-in; default: the system browser.</summary>
    public Func<Uri, CancellationToken, Task>? OpenBrowser { get; init; }

    /// <summary>Called with the device code when device-code sign-in starts (besides a warning to the observer).</summary>
    public Action<DeviceCodePrompt>? DeviceCodeReceived { get; init; }

    public ResilienceOptions Resilience { get; init; } = ResilienceOptions.Default;

    /// <summary>
    /// The delegated scopes a person's sign-in asks for; default: Microsoft Graph's .default (everything consented
    /// to the app). Register-CasAdminApp names the few it needs from Microsoft Graph Command Line Tools instead.
    /// </summary>
    internal IReadOnlyList<string>? Scopes { get; init; }

    /// <summary>The same request with another client id (the one resolved for a person's sign-in).</summary>
    internal ConnectionRequest WithClientId(string id)
    {
        var copy = (ConnectionRequest)MemberwiseClone();
        copy.clientId = id;
        return copy;
    }
}

/// <summary>What the person must do to complete device-code sign-in.</summary>
public sealed record DeviceCodePrompt(string UserCode, Uri VerificationUri, string Message, DateTimeOffset ExpiresOn);
