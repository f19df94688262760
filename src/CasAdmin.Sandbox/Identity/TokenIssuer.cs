using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Scenarios;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CasAdmin.Sandbox.Identity;

/// <summary>What Graph needs to know about the caller, read from a validated access token.</summary>
internal sealed record AccessTokenPrincipal(
    string TenantId,
    string AppId,
    string ObjectId,
    bool IsApp,
    IReadOnlySet<string> Roles,
    IReadOnlySet<string> Scopes,
    IReadOnlyList<string> Wids,
    DateTimeOffset ExpiresOn);

/// <summary>Signs every token the sandbox issues (RS256, one key per host) and validates them for Graph.</summary>
internal sealed class TokenIssuer : IDisposable
{
    public static readonly IReadOnlySet<string> GraphAudiences = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "https://graph.microsoft.com", "https://graph.microsoft.com/", "00000003-0000-0000-c000-000000000000",
    };

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly SigningCredentials _credentials;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly ConcurrentDictionary<string, AccessTokenPrincipal> _validated = new(StringComparer.Ordinal);

    public TokenIssuer()
    {
        var parameters = _rsa.ExportParameters(false);
        KeyId = ScenarioLoader.Base64UrlEncode(SHA256.HashData([.. parameters.Modulus!, .. parameters.Exponent!]))[..27];
        _credentials = new SigningCredentials(new RsaSecurityKey(_rsa) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256);
    }

    public string KeyId { get; }

    public string Create(Dictionary<string, object> claims) =>
        _handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = _credentials,
        });

    /// <summary>Validates a Graph access token; null with a Graph-style reason when it is not acceptable.</summary>
    public AccessTokenPrincipal? Validate(string token, DateTimeOffset now, out string? error)
    {
        error = null;
        if (_validated.TryGetValue(token, out var cached))
        {
            if (cached.ExpiresOn > now)
            {
                return cached;
            }

            error = "Lifetime validation failed, the token is expired.";
            return null;
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            error = "IDX14100: JWT is not well formed, there are no dots (.).";
            return null;
        }
        if (jwt.Alg != SecurityAlgorithms.RsaSha256 || jwt.Kid != KeyId || !VerifySignature(jwt))
        {
            error = "Access token validation failure. Invalid signature.";
            return null;
        }
        var aud = jwt.Audiences.FirstOrDefault();
        if (aud is null || !GraphAudiences.Contains(aud))
        {
            error = "Access token validation failure. Invalid audience.";
            return null;
        }
        var expires = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero);
        if (expires <= now)
        {
            error = "Lifetime validation failed, the token is expired.";
            return null;
        }
        string Claim(string type) => jwt.TryGetPayloadValue<string>(type, out var v) ? v : "";
        HashSet<string> Set(IEnumerable<string> values) => new(values, StringComparer.OrdinalIgnoreCase);
        var principal = new AccessTokenPrincipal(
            Claim("tid"),
            Claim("appid"),
            Claim("oid"),
            Claim("idtyp") == "app",
            Set(jwt.Claims.Where(c => c.Type == "roles").Select(c => c.Value)),
            Set(Claim("scp").Split(' ', StringSplitOptions.RemoveEmptyEntries)),
            jwt.Claims.Where(c => c.Type == "wids").Select(c => c.Value).ToList(),
            expires);
        if (_validated.Count > 50_000)
        {
            _validated.Clear(); // bounded: tokens are few, but benchmarks may mint many
        }

        _validated[token] = principal;
        return principal;
    }

    private bool VerifySignature(JsonWebToken jwt)
    {
        try
        {
            var signed = Encoding.ASCII.GetBytes(jwt.EncodedHeader + "." + jwt.EncodedPayload);
            var signature = Base64UrlEncoder.DecodeBytes(jwt.EncodedSignature);
            return _rsa.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public JsonObject Jwks()
    {
        var p = _rsa.ExportParameters(false);
        return new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["kid"] = KeyId,
                ["x5t"] = KeyId,
                ["alg"] = "RS256",
                ["n"] = ScenarioLoader.Base64UrlEncode(p.Modulus),
                ["e"] = ScenarioLoader.Base64UrlEncode(p.Exponent),
            }),
        };
    }

    public void Dispose() => _rsa.Dispose();
}
