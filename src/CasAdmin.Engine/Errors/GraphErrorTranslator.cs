using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;

namespace CasAdmin.Engine.Errors;

/// <summary>
/// Turns Microsoft Graph failures into <see cref="CasException"/>s by status and error code, never by
/// message text (learn.microsoft.com/graph/errors). The Graph request id is kept for support.
/// </summary>
internal static class GraphErrorTranslator
{
    /// <summary>Microsoft's request form for the Teams protected APIs (learn.microsoft.com/graph/teams-protected-apis).</summary>
    public const string ProtectedApiRequestForm = "https://aka.ms/teamsgraph/requestaccess";

    /// <param name="exception">What the Graph SDK threw.</param>
    /// <param name="target">The object the call was about.</param>
    /// <param name="requiredPermissions">What the call needs, named on a 403 when the connection lacks it.</param>
    /// <param name="heldPermissions">The roles/scopes/directory roles the connection holds.</param>
    /// <param name="protectedApi">The call is a Teams protected API (getAllMessages, chat-message subscriptions).</param>
    public static CasException Translate(
        ApiException exception,
        string? target,
        IReadOnlyCollection<string>? requiredPermissions = null,
        IReadOnlyCollection<string>? heldPermissions = null,
        bool protectedApi = false)
    {
        var status = exception.ResponseStatusCode;
        var odata = exception as ODataError;
        var code = odata?.Error?.Code;
        var requestId = odata?.Error?.InnerError?.RequestId;
        if (requestId is null && exception.ResponseHeaders.TryGetValue("request-id", out var ids))
        {
            requestId = ids.FirstOrDefault();
        }

        CasException Make(string id, CasErrorCategory category, string message, string action) =>
            new(id, category, message, action, target, exception)
            {
                ServiceErrorCode = code ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture),
                StatusCode = status,
                RequestId = requestId,
            };

        if (code is "CredentialInvalidLifetimeAsPerAppPolicy" or "CredentialTypeNotAllowedAsPerAppPolicy")
        {
            // The service's own sentence names the policy; it carries no secret, so it is quoted.
            return Make(ErrorIds.SecretPolicyRefused, CasErrorCategory.SecurityError,
                $"The tenant's app management policy refused the client secret: {odata?.Error?.Message}",
                "Ask for a shorter -SecretLifetime (the policy's maximum), or have the policy allow client secrets for this app.");
        }

        if (status == 400 && odata?.Error?.Details?.Any(d => d.Code == "NoBackingApplicationObject") == true)
        {
            // Entra's answer to POST /servicePrincipals for an app it does not know (or has not replicated yet).
            return new CasException(ErrorIds.AppNotFound, CasErrorCategory.ObjectNotFound,
                $"Microsoft Graph does not know the application {target ?? string.Empty} (NoBackingApplicationObject).",
                "Check the App Id. An app created moments ago may not have replicated yet: CasAdmin waits for the apps it creates itself; otherwise try again shortly.",
                target, exception)
            {
                ServiceErrorCode = "NoBackingApplicationObject",
                StatusCode = status,
                RequestId = requestId,
            };
        }

        // A protected API refuses an app Microsoft has not approved with 403 "Forbidden", though its token carries every
        // permission the call needs (learn.microsoft.com/graph/teams-protected-apis). Told apart from a missing permission
        // by what the token holds, not by the message text.
        if (status == 403 && protectedApi && code != "Authorization_RequestDenied"
            && (requiredPermissions is not { Count: > 0 } || heldPermissions is null || requiredPermissions.Any(p => heldPermissions.Contains(p, StringComparer.OrdinalIgnoreCase))))
        {
            return Make(ErrorIds.ProtectedApiNotApproved, CasErrorCategory.PermissionDenied,
                "Microsoft Graph refused the Teams protected API (chat messages, chat-message subscriptions): Microsoft has not approved this app for it.",
                $"Request access for the app ID with Microsoft's form ({ProtectedApiRequestForm}); Microsoft reviews requests weekly. Then run the command again.");
        }

        if (status == 403 || code == "Authorization_RequestDenied")
        {
            var missing = requiredPermissions?.Where(p => heldPermissions is null || !heldPermissions.Contains(p, StringComparer.OrdinalIgnoreCase)).ToArray();
            var named = missing is { Length: > 0 }
                ? $" The connection lacks: {string.Join(", ", missing)}."
                : requiredPermissions is { Count: > 0 } ? $" It needs: {string.Join(", ", requiredPermissions)}." : string.Empty;
            return Make(ErrorIds.InsufficientPrivileges, CasErrorCategory.PermissionDenied,
                "Microsoft Graph refused the request: insufficient privileges." + named,
                "Grant the missing application permission (with admin consent) or sign in as a Global Administrator, then connect again.");
        }

        if (status == 404 || code is "Request_ResourceNotFound" or "ResourceNotFound" or "itemNotFound")
        {
            return Make(ErrorIds.ResourceNotFound, CasErrorCategory.ObjectNotFound,
                $"Microsoft Graph did not find {target ?? "the object"}.",
                "Check the id. An object created a few seconds ago may not have replicated yet: try again shortly.");
        }

        if (status == 401 || code == "InvalidAuthenticationToken")
        {
            return Make(ErrorIds.AccessTokenInvalid, CasErrorCategory.AuthenticationError,
                "Microsoft Graph rejected the access token.",
                "Create a new access token (New-CasAccessToken) or connect again with Connect-CasTenant.");
        }

        if (status == 402)
        {
            return Make(ErrorIds.PaymentRequired, CasErrorCategory.QuotaExceeded,
                "Microsoft Graph refused the request for licensing reasons (402 Payment Required).",
                "Check the licensing model's prerequisites (about_CasAdmin, 'Licensing models'): model A needs a DLP-capable licence, Evaluation has a monthly quota.");
        }

        if (status == 429)
        {
            return Make(ErrorIds.ThrottledTooLong, CasErrorCategory.LimitsExceeded,
                "Microsoft Graph kept throttling the requests beyond CasAdmin's retry budget.",
                "Run the command again later, lower -ThrottleLimit, or raise the retry budget.");
        }

        if (status is 503 or 504)
        {
            return Make(ErrorIds.ServiceUnavailable, CasErrorCategory.ResourceUnavailable,
                $"Microsoft Graph was unavailable ({status}) beyond CasAdmin's retry budget.",
                "Run the command again; completed work is not repeated.");
        }

        return Make(ErrorIds.GraphRequestFailed, CasErrorCategory.NotSpecified,
            $"Microsoft Graph request failed ({status}{(code is null ? string.Empty : ", " + code)}).",
            "Check the request id in the tenant's logs or contact support with it.");
    }
}
