using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using CasAdmin.Sandbox.Tenants;
using Microsoft.IdentityModel.Tokens;

namespace CasAdmin.Sandbox.Identity;

/// <summary>Checks a confidential client's secret or certificate assertion the way Entra does.</summary>
internal static class ClientAuthenticator
{
    private const string JwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    /// <summary>Returns the appidacr value: "1" secret, "2" certificate, "0" none (public client).</summary>
    public static string Authenticate(IFormCollection form, HttpContext ctx, Application app, TenantState tenant, string tenantKey, DateTimeOffset now, bool credentialRequired, Graph.ReplicationLag replication)
    {
        var secret = form["client_secret"].ToString();
        var assertion = form["client_assertion"].ToString();
        if (string.IsNullOrEmpty(secret) && TryBasicAuth(ctx, out var basicSecret))
        {
            secret = basicSecret;
        }

        if (!string.IsNullOrEmpty(secret))
        {
            PasswordCredential? match = null;
            lock (tenant.Sync)
            {
                foreach (var c in app.PasswordCredentials)
                {
                    if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(c.SecretText), Encoding.UTF8.GetBytes(secret)))
                    {
                        match = c;
                    }
                }
            }
            // A secret added moments ago is not valid until it has replicated: the same AADSTS7000215 as a wrong one.
            if (match is null || !replication.HasReplicated(match.AddedDateTime, match.ReplicationShare, match.ReplicationBoundMs, now))
            {
                throw EntraError.InvalidSecret(app.AppId);
            }

            if (match.EndDateTime <= now)
            {
                throw EntraError.SecretExpired(app.AppId);
            }

            return "1";
        }
        if (!string.IsNullOrEmpty(assertion))
        {
            if (form["client_assertion_type"] != JwtBearer)
            {
                throw EntraError.BadRequest(50027, "Invalid JWT token. The client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.");
            }
            ValidateAssertion(assertion, form["client_id"].ToString(), app, tenant, tenantKey, ctx, now);
            return "2";
        }
        if (credentialRequired)
        {
            throw EntraError.CredentialMissing();
        }

        return "0";
    }

    private static bool TryBasicAuth(HttpContext ctx, out string secret)
    {
        secret = "";
        var header = ctx.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return false;
            }

            secret = Uri.UnescapeDataString(decoded[(colon + 1)..]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static void ValidateAssertion(string assertion, string clientId, Application app, TenantState tenant, string tenantKey, HttpContext ctx, DateTimeOffset now)
    {
        var parts = assertion.Split('.');
        if (parts.Length != 3)
        {
            throw EntraError.BadRequest(50027, "JWT token is invalid or malformed.");
        }

        JsonDocument header, payload;
        try
        {
            header = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(parts[0]));
            payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(parts[1]));
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            throw EntraError.BadRequest(50027, "JWT token is invalid or malformed.");
        }
        using (header)
        using (payload)
        {
            var h = header.RootElement;
            var alg = Str(h, "alg");
            var x5tS256 = Str(h, "x5t#S256");
            var x5t = Str(h, "x5t");
            KeyCredential? key;
            lock (tenant.Sync)
            {
                key = app.KeyCredentials.FirstOrDefault(k =>
                    (x5tS256 is not null && k.Sha256Base64Url == x5tS256) || (x5tS256 is null && x5t is not null && k.Sha1Base64Url == x5t));
            }
            if (key is null)
            {
                throw EntraError.Assertion(700027, $"The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{x5tS256 ?? x5t}']");
            }
            if (key.EndDateTime <= now)
            {
                throw EntraError.Assertion(700027, "Client assertion contains an invalid signature. [Reason - The key used is expired.]");
            }

            var padding = alg switch
            {
                "RS256" => RSASignaturePadding.Pkcs1,
                "PS256" => RSASignaturePadding.Pss,
                _ => throw EntraError.Assertion(700027, $"Client assertion failed signature validation. [Reason - The algorithm '{alg}' is not supported.]"),
            };
            using (var cert = X509CertificateLoader.LoadCertificate(key.CertificateDer))
            using (var rsa = cert.GetRSAPublicKey())
            {
                var ok = rsa is not null && rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), SafeDecode(parts[2]), HashAlgorithmName.SHA256, padding);
                if (!ok)
                {
                    throw EntraError.Assertion(700027, "Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]");
                }
            }

            var p = payload.RootElement;
            if (Str(p, "iss") != clientId || Str(p, "sub") != clientId)
            {
                throw EntraError.Assertion(700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://aka.ms/certCreds .");
            }
            var baseUrl = $"https://{ctx.Request.Host.Value}/";
            var accepted = new[] { tenant.Id, tenant.Domain, tenantKey }
                .SelectMany(k => new[] { $"{baseUrl}{k}/oauth2/v2.0/token", $"{baseUrl}{k}/oauth2/token", $"{baseUrl}{k}/v2.0" });
            var audiences = Audiences(p);
            if (!audiences.Any(a => accepted.Any(x => string.Equals(x.TrimEnd('/'), a.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))))
            {
                throw EntraError.Assertion(700212, $"No matching federated identity record found for presented assertion audience '{string.Join(",", audiences)}'.");
            }
            var exp = Time(p, "exp");
            var nbf = Time(p, "nbf");
            if (exp is null || exp < now - Skew || (nbf is not null && nbf > now + Skew))
            {
                throw EntraError.Assertion(700024, $"Client assertion is not within its valid time range. Current time: {now.UtcDateTime:O}, assertion valid from {nbf?.UtcDateTime:O}, expiry time of assertion {exp?.UtcDateTime:O}. Review the documentation at https://aka.ms/certCreds .");
            }
        }
    }

    private static byte[] SafeDecode(string s)
    {
        try
        {
            return Base64UrlEncoder.DecodeBytes(s);
        }
        catch (FormatException)
        {
            return [];
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static List<string> Audiences(JsonElement p)
    {
        if (!p.TryGetProperty("aud", out var aud))
        {
            return [];
        }

        return aud.ValueKind switch
        {
            JsonValueKind.String => [aud.GetString()!],
            JsonValueKind.Array => aud.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!).ToList(),
            _ => [],
        };
    }

    /// <summary>exp/nbf may be JSON numbers or numeric strings (some clients send strings).</summary>
    private static DateTimeOffset? Time(JsonElement p, string name)
    {
        if (!p.TryGetProperty(name, out var v))
        {
            return null;
        }

        long seconds;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out seconds))
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        if (v.ValueKind == JsonValueKind.Number)
        {
            return DateTimeOffset.FromUnixTimeSeconds((long)v.GetDouble());
        }

        if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out seconds))
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        return null;
    }
}
