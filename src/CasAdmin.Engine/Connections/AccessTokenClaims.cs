using System.Text.Json;
using CasAdmin.Engine.Errors;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CasAdmin.Engine.Connections;

/// <summary>What a connection is allowed to do, read from its access token's claims (not validated: Graph validates).</summary>
internal sealed record ConnectionIdentity(
    string TenantId,
    string? Account,
    string? AppId,
    IReadOnlyList<string> DirectoryRoles,
    IReadOnlyList<string> Permissions,
    DateTimeOffset ExpiresOn,
    bool IsAppOnly,
    string? ObjectId)
{
    public static ConnectionIdentity FromAccessToken(string accessToken)
    {
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(accessToken);
        }
        catch (ArgumentException ex)
        {
            throw new CasException(ErrorIds.AccessTokenInvalid, CasErrorCategory.InvalidArgument,
                "The access token is not a JSON Web Token.",
                "Supply a Microsoft Graph access token (a JWT, three base64url parts separated by dots).", innerException: ex);
        }

        var tenant = Claim(jwt, "tid") ?? throw new CasException(ErrorIds.AccessTokenInvalid, CasErrorCategory.InvalidArgument,
            "The access token has no tenant (tid) claim.", "Supply a Microsoft Graph access token issued by Entra ID.");
        var scopes = Claim(jwt, "scp")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        var roles = Multi(jwt, "roles");
        var wids = Multi(jwt, "wids");
        var account = Claim(jwt, "upn") ?? Claim(jwt, "preferred_username") ?? Claim(jwt, "unique_name");
        var app = Claim(jwt, "appid") ?? Claim(jwt, "azp");
        var appOnly = scopes.Length == 0 && account is null;
        return new ConnectionIdentity(
            tenant,
            account,
            app,
            DirectoryRoleNames.FromWids(wids),
            roles.Concat(scopes).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToArray(),
            jwt.ValidTo == DateTime.MinValue ? DateTimeOffset.MaxValue : new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero),
            appOnly,
            Claim(jwt, "oid"));
    }

    private static string? Claim(JsonWebToken jwt, string name) =>
        jwt.TryGetPayloadValue<object>(name, out var value) ? value?.ToString() : null;

    private static string[] Multi(JsonWebToken jwt, string name)
    {
        if (!jwt.TryGetPayloadValue<object>(name, out var value) || value is null)
        {
            return [];
        }

        return value switch
        {
            string s => [s],
            IEnumerable<object> items => items.Select(i => i?.ToString()).OfType<string>().ToArray(),
            JsonElement { ValueKind: JsonValueKind.Array } array => array.EnumerateArray().Select(e => e.GetString()).OfType<string>().ToArray(),
            _ => [value.ToString()!],
        };
    }
}
