using System.Text.Json;
using System.Text.Json.Serialization;

namespace CasAdmin.Sandbox;

/// <summary>Body of POST /_sandbox/devicecode/approve.</summary>
/// <remarks>
/// Consent: the person also accepts the consent prompt Entra shows when the app asks for scopes nobody has consented
/// to yet (for themselves only, consentType Principal). Scopes that need an administrator are consented only by one.
/// </remarks>
public sealed record DeviceCodeApproval(string UserCode, string? User, bool Deny = false, bool Consent = false);

/// <summary>Body of PUT /_sandbox/interactive: the UPN /authorize signs in (null clears it).</summary>
public sealed record InteractiveUser(string? User);

/// <summary>Body of POST /_sandbox/tenants/{tenantId}/apps/{appId}/certificates: a base64 DER public certificate.</summary>
public sealed record CertificateRegistration(string Certificate);

/// <summary>Answer of a certificate registration: the keyCredential id and the certificate's SHA-1 thumbprint.</summary>
public sealed record RegisteredCertificate(string KeyId, string Thumbprint);

/// <summary>Current throttling configuration (GET /_sandbox/throttling).</summary>
public sealed record ThrottlingState(bool Enabled, double Scale, RetryAfterMode RetryAfterMode);

internal static class ControlJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
