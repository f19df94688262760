using System.Security.Cryptography;
using System.Text;

namespace CasAdmin.Sandbox.Tenants;

/// <summary>Name-derived GUIDs, so a scenario seeds the same ids on every run and machine.</summary>
internal static class DeterministicIds
{
    public static string Guid(params string[] parts)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("/", parts)));
        var g = bytes.AsSpan(0, 16).ToArray();
        g[7] = (byte)((g[7] & 0x0F) | 0x50); // version 5-like (name based)
        g[8] = (byte)((g[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(g).ToString();
    }

    /// <summary>A deterministic opaque token (secrets, headers) derived from names.</summary>
    public static string Token(int length, params string[] parts)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes("token/" + string.Join("/", parts)));
        var s = Convert.ToBase64String(bytes).Replace('+', '~').Replace('/', '_').TrimEnd('=');
        return s.Length > length ? s[..length] : s;
    }
}
