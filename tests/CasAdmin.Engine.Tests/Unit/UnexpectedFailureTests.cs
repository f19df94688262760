using CasAdmin.Engine.Errors;

namespace CasAdmin.Engine.Tests.Unit;

/// <summary>The one rule for failures nothing translated, shared by the cmdlets and the removal runner.</summary>
public sealed class UnexpectedFailureTests
{
    [Theory]
    [InlineData(typeof(IOException), CasErrorCategory.ConnectionError)]
    [InlineData(typeof(HttpRequestException), CasErrorCategory.ConnectionError)]
    [InlineData(typeof(TimeoutException), CasErrorCategory.ConnectionError)]
    [InlineData(typeof(InvalidOperationException), CasErrorCategory.InvalidOperation)]
    [InlineData(typeof(ObjectDisposedException), CasErrorCategory.InvalidOperation)]
    [InlineData(typeof(UnauthorizedAccessException), CasErrorCategory.PermissionDenied)]
    [InlineData(typeof(FormatException), CasErrorCategory.NotSpecified)]
    public void Wrap_KeepsAStableId_AndACategoryFromTheExceptionsType(Type type, CasErrorCategory category)
    {
        var exception = (Exception)Activator.CreateInstance(type, "disk full")!;

        var wrapped = UnexpectedFailure.Wrap(exception, "account-1");

        Assert.Equal((ErrorIds.UnexpectedError, category, "account-1"), (wrapped.ErrorId, wrapped.Category, wrapped.Target));
        Assert.Equal($"CasAdmin failed unexpectedly: {type.Name}: {exception.Message}", wrapped.Message);
        Assert.Equal(UnexpectedFailure.DefaultAction, wrapped.RecommendedAction);
        Assert.Same(exception, wrapped.InnerException);
    }

    [Fact]
    public void Wrap_ForAFeature_KeepsItsOwnIdSubjectAndAction()
    {
        var wrapped = UnexpectedFailure.Wrap(new IOException("gone"), "job-1", ErrorIds.RemovalFailed, "The removal", "Run Remove-CasServiceAccount again.");

        Assert.Equal((ErrorIds.RemovalFailed, CasErrorCategory.ConnectionError), (wrapped.ErrorId, wrapped.Category));
        Assert.Equal("The removal failed unexpectedly: IOException: gone", wrapped.Message);
        Assert.Equal("Run Remove-CasServiceAccount again.", wrapped.RecommendedAction);
    }
}
