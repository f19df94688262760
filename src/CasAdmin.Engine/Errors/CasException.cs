namespace CasAdmin.Engine.Errors;

/// <summary>
/// The one exception the engine lets out. It says what happened in the administrator's words, what to do
/// about it, and carries the ids support needs. It never carries a secret value.
/// </summary>
public class CasException : Exception
{
    public CasException(
        string errorId,
        CasErrorCategory category,
        string message,
        string? recommendedAction = null,
        string? target = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(errorId);
        ErrorId = errorId;
        Category = category;
        RecommendedAction = recommendedAction;
        Target = target;
    }

    /// <summary>Stable PascalCase id, one of <see cref="ErrorIds"/>.</summary>
    public string ErrorId { get; }

    public CasErrorCategory Category { get; }

    /// <summary>What the administrator should do next.</summary>
    public string? RecommendedAction { get; }

    /// <summary>What the error is about: an account, an app id, a tenant.</summary>
    public string? Target { get; init; }

    /// <summary>The code the service returned, e.g. <c>AADSTS7000215</c> or <c>Authorization_RequestDenied</c>.</summary>
    public string? ServiceErrorCode { get; init; }

    /// <summary>HTTP status of the failed call, when there was one.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Microsoft Graph <c>request-id</c>, for support cases.</summary>
    public string? RequestId { get; init; }

    /// <summary>Entra ID trace id, for support cases.</summary>
    public string? TraceId { get; init; }

    /// <summary>Entra ID correlation id, for support cases.</summary>
    public string? CorrelationId { get; init; }

    internal static CasException InvalidArgument(string message, string recommendedAction, string? target = null) =>
        new(ErrorIds.InvalidArgument, CasErrorCategory.InvalidArgument, message, recommendedAction, target);
}
