using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace CasAdmin.Sandbox.Identity;

internal enum DeviceCodeState { Pending, Approved, Denied }

internal sealed class DeviceCodeEntry
{
    public required string DeviceCode { get; init; }
    public required string UserCode { get; init; }
    public required string TenantId { get; init; }
    public required string ClientId { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    public required DateTimeOffset ExpiresOn { get; init; }
    public DeviceCodeState State { get; set; }
    public string? UserId { get; set; }
}

internal sealed record AuthorizationCodeEntry(
    string TenantId, string ClientId, string RedirectUri, IReadOnlyList<string> Scopes, string UserId,
    string? CodeChallenge, string? CodeChallengeMethod, string? Nonce, DateTimeOffset ExpiresOn);

internal sealed record RefreshTokenEntry(string TenantId, string ClientId, string UserId, IReadOnlyList<string> Scopes, DateTimeOffset ExpiresOn);

/// <summary>Pending user sign-ins (device codes, authorization codes) and issued refresh tokens; all in memory.</summary>
internal sealed class IdentityFlows
{
    private readonly ConcurrentDictionary<string, DeviceCodeEntry> _deviceCodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AuthorizationCodeEntry> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RefreshTokenEntry> _refreshTokens = new(StringComparer.Ordinal);
    private volatile string? _interactiveUser;

    /// <summary>UPN that /authorize signs in (PUT /_sandbox/interactive); null = show a page instead.</summary>
    public string? InteractiveUser { get => _interactiveUser; set => _interactiveUser = value; }

    public DeviceCodeEntry NewDeviceCode(string tenantId, string clientId, IReadOnlyList<string> scopes, DateTimeOffset expiresOn)
    {
        // Entra user codes are 9 characters of unambiguous upper-case letters and digits.
        const string alphabet = "BCDFGHJKLMNPQRSTVWXZ23456789";
        var userCode = string.Create(9, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
            }
        });
        var entry = new DeviceCodeEntry
        {
            DeviceCode = Opaque(96), UserCode = userCode, TenantId = tenantId, ClientId = clientId, Scopes = scopes, ExpiresOn = expiresOn,
        };
        _deviceCodes[entry.DeviceCode] = entry;
        return entry;
    }

    public DeviceCodeEntry? FindDeviceCode(string deviceCode) => _deviceCodes.GetValueOrDefault(deviceCode);

    public DeviceCodeEntry? FindByUserCode(string userCode) =>
        _deviceCodes.Values.FirstOrDefault(d => d.UserCode.Equals(userCode, StringComparison.OrdinalIgnoreCase));

    public void RemoveDeviceCode(string deviceCode) => _deviceCodes.TryRemove(deviceCode, out _);

    public string NewAuthorizationCode(AuthorizationCodeEntry entry)
    {
        var code = "1.A" + Opaque(180);
        _codes[code] = entry;
        return code;
    }

    /// <summary>Codes are single use: taking one removes it.</summary>
    public AuthorizationCodeEntry? TakeAuthorizationCode(string code) => _codes.TryRemove(code, out var e) ? e : null;

    public string NewRefreshToken(RefreshTokenEntry entry)
    {
        var token = "1.A" + Opaque(300);
        _refreshTokens[token] = entry;
        return token;
    }

    public RefreshTokenEntry? FindRefreshToken(string token) => _refreshTokens.GetValueOrDefault(token);

    public void Clear()
    {
        _deviceCodes.Clear();
        _codes.Clear();
        _refreshTokens.Clear();
        _interactiveUser = null;
    }

    private static string Opaque(int length)
    {
        var bytes = RandomNumberGenerator.GetBytes(length * 3 / 4 + 3);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_').TrimEnd('=')[..length];
    }
}
