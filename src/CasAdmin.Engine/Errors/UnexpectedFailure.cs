namespace CasAdmin.Engine.Errors;

/// <summary>
/// A failure nothing translated into a <see cref="CasException"/> (a defect to report), turned into one with a stable
/// id so that scripts can still match it: the cmdlets' catch-all and the removal runner's share this one rule.
/// </summary>
public static class UnexpectedFailure
{
    /// <summary>What to do about a failure no one foresaw, unless the caller knows better.</summary>
    public const string DefaultAction =
        "Run the command again; finished work is not repeated. If it fails again, run it with -Debug and report the error with $Error[0] | Format-List * -Force.";

    /// <summary>
    /// <paramref name="exception"/> as a CasException: <paramref name="errorId"/> (default UnexpectedError), a category
    /// from the exception's type, a message that names what failed, the exception's type and its message only (the
    /// engine never puts a secret into an exception's message), and the exception itself as the inner one for support.
    /// </summary>
    /// <param name="exception">The failure.</param>
    /// <param name="target">What the failure is about (an account, a tenant), as the error's target.</param>
    /// <param name="errorId">The id scripts match; a feature may keep its own (the removal runner's RemovalFailed).</param>
    /// <param name="what">What failed, as the message's subject, for example "The removal". Default: "CasAdmin".</param>
    /// <param name="recommendedAction">What to do; a feature that knows how to resume says so.</param>
    public static CasException Wrap(Exception exception, string? target, string errorId = ErrorIds.UnexpectedError, string what = "CasAdmin", string recommendedAction = DefaultAction)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var category = exception switch
        {
            HttpRequestException or IOException or TimeoutException => CasErrorCategory.ConnectionError,
            ObjectDisposedException or InvalidOperationException => CasErrorCategory.InvalidOperation,
            UnauthorizedAccessException => CasErrorCategory.PermissionDenied,
            _ => CasErrorCategory.NotSpecified,
        };
        return new CasException(errorId, category, $"{what} failed unexpectedly: {exception.GetType().Name}: {exception.Message}", recommendedAction, target, exception);
    }
}
