using CasAdmin.Engine.Errors;
using Microsoft.Identity.Client;

namespace CasAdmin.Engine.Tests.Unit;

public sealed class EntraErrorTranslatorTests
{
    private static MsalServiceException Failure(int code, string error = "invalid_client") =>
        new(error, $"AADSTS{code}: something went wrong.")
        {
            ResponseBody = $$"""{"error":"{{error}}","error_description":"AADSTS{{code}}: text","error_codes":[{{code}}],"trace_id":"trace-1","correlation_id":"corr-1"}""",
        };

    [Theory]
    [InlineData(7000215, "InvalidClientSecret")]
    [InlineData(7000222, "SecretExpired")]
    [InlineData(700016, "AppNotFound")]
    [InlineData(700011, "AppNotFound")]
    [InlineData(7000112, "AppDisabled")]
    [InlineData(65001, "AdminConsentMissing")]
    [InlineData(90094, "AdminConsentMissing")]
    [InlineData(90095, "AdminConsentMissing")]
    [InlineData(650056, "PermissionNotConfigured")]
    [InlineData(650057, "PermissionNotConfigured")]
    [InlineData(90002, "TenantNotFound")]
    [InlineData(50011, "ReplyUrlMismatch")]
    [InlineData(50076, "MfaRequired")]
    [InlineData(50079, "MfaRequired")]
    [InlineData(53003, "BlockedByConditionalAccess")]
    [InlineData(70011, "InvalidScope")]
    [InlineData(50173, "SignInExpired")]
    [InlineData(70008, "SignInExpired")]
    [InlineData(700082, "SignInExpired")]
    [InlineData(90055, "TenantThrottled")]
    [InlineData(50196, "TenantThrottled")]
    [InlineData(700027, "CertificateNotRegistered")]
    public void Translate_KnownAadstsNumber_GivesItsErrorIdAndKeepsTraceIds(int code, string expected)
    {
        var error = EntraErrorTranslator.Translate(Failure(code), "app-1", "contoso.example");

        Assert.Equal(expected, error.ErrorId);
        Assert.Equal($"AADSTS{code}", error.ServiceErrorCode);
        Assert.Equal("trace-1", error.TraceId);
        Assert.Equal("corr-1", error.CorrelationId);
        Assert.False(string.IsNullOrWhiteSpace(error.RecommendedAction));
        Assert.Equal(expected is "TenantNotFound" or "TenantThrottled" ? "contoso.example" : "app-1", error.Target);
    }

    [Fact]
    public void Translate_InvalidSecret_SaysTheSecretIdWasProbablyPasted()
    {
        var error = EntraErrorTranslator.Translate(Failure(7000215), "app-1", "t");

        Assert.Contains("secret ID", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("app-1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_NumberOnlyInMessage_StillMatchesByNumber()
    {
        var ex = new MsalServiceException("invalid_client", "AADSTS7000222: The provided client secret keys are expired.");

        Assert.Equal(ErrorIds.SecretExpired, EntraErrorTranslator.Translate(ex, "a", "t").ErrorId);
    }

    [Fact]
    public void Translate_UnknownNumber_GivesSignInFailedWithTheCode()
    {
        var error = EntraErrorTranslator.Translate(Failure(12345), "a", "t");

        Assert.Equal(ErrorIds.SignInFailed, error.ErrorId);
        Assert.Equal("AADSTS12345", error.ServiceErrorCode);
    }

    [Fact]
    public void Translate_Canceled_GivesSignInCanceled()
    {
        var ex = new MsalClientException(MsalError.AuthenticationCanceledError, "canceled");

        Assert.Equal(ErrorIds.SignInCanceled, EntraErrorTranslator.Translate(ex, "a", "t").ErrorId);
    }
}
