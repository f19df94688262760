using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Identity.Client;

namespace CasAdmin.Engine.Errors;

/// <summary>
/// Turns MSAL failures into <see cref="CasException"/>s by AADSTS number (learn.microsoft.com/entra/identity-platform/reference-error-codes). MSAL keeps the
/// number only in the response body (<c>error_codes</c>) and the message, never in <c>ErrorCode</c>, so
/// the body is read first and the message is scanned for the number only as a fallback.
/// </summary>
internal static partial class EntraErrorTranslator
{
    private sealed record Entry(string ErrorId, CasErrorCategory Category, string Message, string Action, bool TenantIsTarget = false, string? SignInAction = null);

    private static readonly Dictionary<int, Entry> Table = Build();

    private static Dictionary<int, Entry> Build()
    {
        var t = new Dictionary<int, Entry>();
        void Add(Entry e, params int[] codes)
        {
            foreach (var c in codes)
            {
                t[c] = e;
            }
        }

        Add(new(ErrorIds.InvalidClientSecret, CasErrorCategory.AuthenticationError,
            "The client secret is not valid for app {app}. Often the secret ID was copied instead of the secret value.",
            "Copy the secret's Value (not its Secret ID) from the app's 'Certificates & secrets' page, or create a new secret with Update-CasServiceAccountSecret -Rotate.",
            SignInAction: "Copy the sign-in app's secret Value (not its Secret ID) from Entra ID (App registrations > the app > Certificates & secrets), or create a new client secret there, and run Connect-CasTenant again with it."),
            7000215);
        Add(new(ErrorIds.SecretExpired, CasErrorCategory.AuthenticationError,
            "The client secret of app {app} has expired.",
            "Rotate the secret with Update-CasServiceAccountSecret -Rotate, or supply a current secret value.",
            SignInAction: "Create a new client secret for the sign-in app in Entra ID (App registrations > the app > Certificates & secrets) and run Connect-CasTenant again with it; a certificate (-CertificatePath) or a managed identity does not expire like a secret."),
            7000222);
        Add(new(ErrorIds.CertificateNotRegistered, CasErrorCategory.AuthenticationError,
            "App {app} did not accept the certificate: it is not registered on the app, its registration has expired, or the signature did not match.",
            "Upload the certificate's public key (.cer) to the app in Entra ID (App registrations > the app > Certificates & secrets), or sign in with the certificate that is registered there."),
            700027);
        Add(new(ErrorIds.AppNotFound, CasErrorCategory.ObjectNotFound,
            "App {app} was not found in tenant {tenant}.",
            "Check the App Id and the tenant, and that the app has a service principal in this tenant (it gets one when it is consented or created there). "
            + "An app created in another session moments ago may not have replicated yet: run the command again in a minute."),
            700016, 700011);
        Add(new(ErrorIds.AppDisabled, CasErrorCategory.NotEnabled,
            "App {app} is disabled in tenant {tenant}.",
            "Enable the app's service principal (Enterprise applications > Properties > Enabled for users to sign in)."),
            7000112);
        Add(new(ErrorIds.AdminConsentMissing, CasErrorCategory.PermissionDenied,
            "App {app} has not been granted admin consent in tenant {tenant}.",
            "Grant admin consent for the app's permissions (New-CasTeamsChatApp -GrantAdminConsent, or open the admin-consent URL as a Global Administrator)."),
            65001, 90094, 90095);
        Add(new(ErrorIds.PermissionNotConfigured, CasErrorCategory.InvalidData,
            "App {app} requests a permission or resource it is not configured for.",
            "Fix the app's required permissions, then grant admin consent again."),
            650056, 650057);
        Add(new(ErrorIds.TenantNotFound, CasErrorCategory.ObjectNotFound,
            "Tenant {tenant} was not found.",
            "Check the tenant id or domain, and the -Environment (a US Government or China tenant is not in the Global cloud).", TenantIsTarget: true),
            90002);
        Add(new(ErrorIds.ReplyUrlMismatch, CasErrorCategory.InvalidData,
            "The redirect URI sent for app {app} does not match any registered on the app.",
            "Register the exact redirect URI on the app (for sign-in from CasAdmin: http://localhost)."),
            50011);
        Add(new(ErrorIds.MfaRequired, CasErrorCategory.AuthenticationError,
            "Multi-factor authentication is required for this sign-in.",
            "Sign in interactively (Connect-CasTenant without -UseDeviceCode, or with it from a device that can complete MFA)."),
            50076, 50079);
        Add(new(ErrorIds.BlockedByConditionalAccess, CasErrorCategory.SecurityError,
            "The sign-in was blocked by a Conditional Access policy in tenant {tenant}.",
            "Check the tenant's Conditional Access policies and sign-in logs for this sign-in."),
            53003);
        Add(new(ErrorIds.InvalidScope, CasErrorCategory.InvalidArgument,
            "The requested scope is not valid for this kind of sign-in.",
            "App-only sign-in uses the scope https://graph.microsoft.com/.default."),
            70011);
        Add(new(ErrorIds.SignInExpired, CasErrorCategory.AuthenticationError,
            "The sign-in is no longer valid (the grant was revoked or the refresh token expired).",
            "Sign in again with Connect-CasTenant."),
            50173, 70008, 700082);
        Add(new(ErrorIds.TenantThrottled, CasErrorCategory.LimitsExceeded,
            "Entra ID is throttling sign-ins for tenant {tenant}.",
            "Wait a few minutes and try again; CasAdmin caches tokens, so repeated sign-ins are not needed.", TenantIsTarget: true),
            90055, 50196);
        return t;
    }

    /// <param name="exception">What MSAL threw.</param>
    /// <param name="appId">The app that signed in.</param>
    /// <param name="tenant">The tenant signed in to.</param>
    /// <param name="purpose">Whose credential it was: the connection's sign-in app, or a service account's app; the advice differs.</param>
    /// <param name="endpoint">The sign-in host, named when it could not be reached.</param>
    public static CasException Translate(MsalException exception, string? appId, string? tenant, SignInPurpose purpose = SignInPurpose.ServiceAccount, string? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (NetworkErrors.TryTranslate(exception, endpoint, "Sign-in", tenant ?? appId, CancellationToken.None) is { } network)
        {
            return network;
        }

        if (exception is MsalClientException { ErrorCode: MsalError.AuthenticationCanceledError })
        {
            return new CasException(ErrorIds.SignInCanceled, CasErrorCategory.OperationStopped,
                "The sign-in was canceled.", "Run Connect-CasTenant again and complete the sign-in.", tenant, exception);
        }

        var service = exception as MsalServiceException;
        var body = ParseBody(service?.ResponseBody);
        var code = body.Code ?? FirstCodeInMessage(exception.Message);
        var target = appId ?? tenant;

        if (code is int number && Table.TryGetValue(number, out var entry))
        {
            var action = purpose == SignInPurpose.Connection && entry.SignInAction is not null ? entry.SignInAction : entry.Action;
            return new CasException(entry.ErrorId, entry.Category, Fill(entry.Message, appId, tenant), action, entry.TenantIsTarget ? tenant ?? target : target, exception)
            {
                ServiceErrorCode = "AADSTS" + number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                StatusCode = service?.StatusCode,
                TraceId = body.TraceId,
                CorrelationId = body.CorrelationId ?? service?.CorrelationId,
            };
        }

        var codeText = code is int n ? $"AADSTS{n}" : service?.ErrorCode ?? exception.ErrorCode;
        return new CasException(ErrorIds.SignInFailed, CasErrorCategory.AuthenticationError,
            $"Sign-in to tenant {tenant ?? "(unknown)"} failed ({codeText}).",
            "Check the tenant, app id and credential; the Entra ID trace id identifies this sign-in in the tenant's sign-in logs.",
            target, exception)
        {
            ServiceErrorCode = codeText,
            StatusCode = service?.StatusCode,
            TraceId = body.TraceId,
            CorrelationId = body.CorrelationId ?? service?.CorrelationId,
        };
    }

    private static string Fill(string template, string? appId, string? tenant) =>
        template.Replace("{app}", appId ?? "(unknown)", StringComparison.Ordinal)
                .Replace("{tenant}", tenant ?? "(unknown)", StringComparison.Ordinal);

    private static (int? Code, string? TraceId, string? CorrelationId) ParseBody(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return (null, null, null);
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            int? code = null;
            if (root.TryGetProperty("error_codes", out var codes) && codes.ValueKind == JsonValueKind.Array && codes.GetArrayLength() > 0
                && codes[0].TryGetInt32(out var first))
            {
                code = first;
            }

            return (code, Text(root, "trace_id"), Text(root, "correlation_id"));
        }
        catch (JsonException)
        {
            return (null, null, null);
        }

        static string? Text(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    private static int? FirstCodeInMessage(string message)
    {
        var m = AadstsNumber().Match(message);
        return m.Success && int.TryParse(m.Groups[1].ValueSpan, out var n) ? n : null;
    }

    [GeneratedRegex(@"AADSTS(\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex AadstsNumber();
}

/// <summary>Whose credential a sign-in used; it decides what the administrator is told to fix.</summary>
internal enum SignInPurpose
{
    /// <summary>A service account's app (provisioning, New-CasAccessToken, Test-CasServiceAccount): Update-CasServiceAccountSecret fixes it.</summary>
    ServiceAccount,

    /// <summary>The app Connect-CasTenant signs in with: only Entra ID (or another credential) fixes it.</summary>
    Connection,
}
