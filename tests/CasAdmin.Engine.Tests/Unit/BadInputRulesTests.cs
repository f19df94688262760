using System.Net.Sockets;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Provisioning;
using CasAdmin.Engine.Store;
using Microsoft.Identity.Client;

namespace CasAdmin.Engine.Tests.Unit;

/// <summary>The rules that turn bad input and transport failures into CasAdmin errors, without a network.</summary>
public sealed class BadInputRulesTests
{
    private static readonly DateTimeOffset December2026 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1)]
    [InlineData(730)]
    [InlineData(3653)] // ten calendar years from 2026-12-01 (three leap days)
    public void SecretLifetime_UpToTenCalendarYears_IsAccepted(int days) =>
        TeamsChatAppProvisioner.ValidateSecretLifetime(TimeSpan.FromDays(days), December2026);

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(3654)]
    [InlineData(4000)]
    public void SecretLifetime_ZeroNegativeOrPastTenYears_IsInvalidArgument(int days)
    {
        var error = Assert.Throws<CasException>(() => TeamsChatAppProvisioner.ValidateSecretLifetime(TimeSpan.FromDays(days), December2026));

        Assert.Equal(ErrorIds.InvalidArgument, error.ErrorId);
        Assert.Contains("2036-12-01", error.Message, StringComparison.Ordinal);
        Assert.Contains("-SecretLifetime", error.RecommendedAction, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("   ", false)]
    [InlineData("\t\r\n ", false)]
    [InlineData(" x ", true)]
    [InlineData("secret", true)]
    public void SecureStrings_HasValue_TreatsBlankLikeEmpty(string value, bool expected)
    {
        Assert.Equal(expected, SecureStrings.HasValue(SandboxFixture.Secure(value)));
        Assert.False(SecureStrings.HasValue(null));
    }

    [Fact]
    public void MsalWrappingAConnectionFailure_IsTenantUnreachable_NamingTheEndpoint()
    {
        var inner = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused));
        var msal = new MsalServiceException("unknown_error", "An error occurred sending the request.", inner);

        var error = EntraErrorTranslator.Translate(msal, "app-1", "contoso.example", SignInPurpose.Connection, "login.microsoftonline.com");

        Assert.Equal(ErrorIds.TenantUnreachable, error.ErrorId);
        Assert.Equal(CasErrorCategory.ConnectionError, error.Category);
        Assert.Contains("login.microsoftonline.com", error.Message, StringComparison.Ordinal);
        Assert.Equal("contoso.example", error.Target);
    }

    [Fact]
    public void MsalRequestTimeout_IsRequestTimedOut()
    {
        var msal = new MsalServiceException(MsalError.RequestTimeout, "Request to the endpoint timed out.", new TaskCanceledException());

        var error = EntraErrorTranslator.Translate(msal, "app-1", "contoso.example", SignInPurpose.Connection, "login.microsoftonline.us");

        Assert.Equal(ErrorIds.RequestTimedOut, error.ErrorId);
        Assert.Equal(CasErrorCategory.OperationTimeout, error.Category);
        Assert.Contains("login.microsoftonline.us", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpRequestError.NameResolutionError, "TenantUnreachable")]
    [InlineData(HttpRequestError.ConnectionError, "TenantUnreachable")]
    [InlineData(HttpRequestError.SecureConnectionError, "SecureConnectionFailed")]
    [InlineData(HttpRequestError.ResponseEnded, "TenantUnreachable")]
    public void RawHttpRequestException_ByItsHttpRequestError(HttpRequestError kind, string expected)
    {
        var error = NetworkErrors.TryTranslate(new HttpRequestException(kind, "text that is never read"), "graph.microsoft.com", "A Microsoft Graph request", "users", CancellationToken.None);

        Assert.NotNull(error);
        Assert.Equal(expected, error.ErrorId);
        Assert.Contains("graph.microsoft.com", error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(error.RecommendedAction));
    }

    [Fact]
    public void CallerCancellation_IsNeverTranslated()
    {
        using var canceled = new CancellationTokenSource();
        canceled.Cancel();

        Assert.Null(NetworkErrors.TryTranslate(new TaskCanceledException(), "graph.microsoft.com", "x", null, canceled.Token));
        Assert.Null(NetworkErrors.TryTranslate(new InvalidOperationException(), "graph.microsoft.com", "x", null, CancellationToken.None));
    }

    [Theory]
    [InlineData(7000215)]
    [InlineData(7000222)]
    public void SecretErrors_AtSignIn_AdviseTheSignInApp_ForServiceAccounts_TheRotation(int code)
    {
        MsalServiceException Failure() => new("invalid_client", $"AADSTS{code}: x")
        {
            ResponseBody = $$"""{"error":"invalid_client","error_codes":[{{code}}]}""",
        };

        var signIn = EntraErrorTranslator.Translate(Failure(), "app-1", "t", SignInPurpose.Connection);
        var serviceAccount = EntraErrorTranslator.Translate(Failure(), "app-1", "t", SignInPurpose.ServiceAccount);

        Assert.DoesNotContain("Update-CasServiceAccountSecret", signIn.RecommendedAction, StringComparison.Ordinal);
        Assert.Contains("Connect-CasTenant", signIn.RecommendedAction, StringComparison.Ordinal);
        Assert.Contains("Update-CasServiceAccountSecret", serviceAccount.RecommendedAction, StringComparison.Ordinal);
    }
}
