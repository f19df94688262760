using System.Globalization;
using System.Text.Json.Nodes;

namespace CasAdmin.Sandbox.Identity;

/// <summary>An Entra ID token-endpoint error, serialized exactly as login.microsoftonline.com does.</summary>
internal sealed class EntraError(int status, string error, int code, string description) : Exception(description)
{
    public int Status { get; } = status;
    public string Error { get; } = error;
    public int Code { get; } = code;
    public string Description { get; } = description;

    public JsonObject ToJson(string correlationId, DateTimeOffset now)
    {
        var traceId = Guid.NewGuid().ToString();
        var timestamp = now.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["error"] = Error,
            ["error_description"] = $"AADSTS{Code}: {Description} Trace ID: {traceId} Correlation ID: {correlationId} Timestamp: {timestamp}"
                .Replace(" Trace ID:", "\r\nTrace ID:", StringComparison.Ordinal)
                .Replace(" Correlation ID:", "\r\nCorrelation ID:", StringComparison.Ordinal)
                .Replace(" Timestamp:", "\r\nTimestamp:", StringComparison.Ordinal),
            ["error_codes"] = new JsonArray(Code),
            ["timestamp"] = timestamp,
            ["trace_id"] = traceId,
            ["correlation_id"] = correlationId,
            ["error_uri"] = $"https://login.microsoftonline.com/error?code={Code}",
        };
    }

    public static EntraError TenantNotFound(string tenant) => new(400, "invalid_request", 90002,
        $"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.");

    public static EntraError AppNotFound(string appId, string tenantName) => new(400, "unauthorized_client", 700016,
        $"Application with identifier '{appId}' was not found in the directory '{tenantName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.");

    public static EntraError AppDisabled(string appId, string name) => new(400, "unauthorized_client", 7000112,
        $"Application '{appId}'({name}) is disabled.");

    public static EntraError InvalidSecret(string appId) => new(401, "invalid_client", 7000215,
        $"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{appId}'.");

    public static EntraError SecretExpired(string appId) => new(401, "invalid_client", 7000222,
        $"The provided client secret keys for app '{appId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.");

    public static EntraError CredentialMissing() => new(401, "invalid_client", 7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");

    public static EntraError Assertion(int code, string description) => new(401, "invalid_client", code, description);

    public static EntraError InvalidScope(string scope) => new(400, "invalid_scope", 70011,
        $"The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid.");

    public static EntraError ConsentRequired(string appId, string name) => new(400, "invalid_grant", 65001,
        $"The user or administrator has not consented to use the application with ID '{appId}' named '{name}'. Send an interactive authorization request for this user and resource.");

    public static EntraError UserDisabled() => new(400, "invalid_grant", 50057,
        "The user account is disabled. The account has been disabled by an administrator.");

    public static EntraError InvalidGrant(int code, string description) => new(400, "invalid_grant", code, description);

    public static EntraError BadRequest(int code, string description) => new(400, "invalid_request", code, description);
}
