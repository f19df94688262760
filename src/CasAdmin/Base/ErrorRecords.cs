using System.Globalization;
using System.Management.Automation;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Base;

/// <summary>Turns engine exceptions into the <see cref="ErrorRecord"/>s that scripts match on.</summary>
internal static class ErrorRecords
{
    /// <summary>
    /// <c>FullyQualifiedErrorId</c> = the engine's ErrorId (PowerShell appends <c>,CommandType</c>), the category
    /// mapped by name, the item as target (else the exception's own target), and the recommended action.
    /// </summary>
    public static ErrorRecord FromCasException(CasException exception, object? targetObject)
    {
        var record = new ErrorRecord(exception, exception.ErrorId, MapCategory(exception.Category), targetObject ?? exception.Target);
        record.ErrorDetails = new ErrorDetails(exception.Message)
        {
            RecommendedAction = exception.RecommendedAction ?? string.Empty,
        };
        return record;
    }

    /// <summary>CasErrorCategory members are named after ErrorCategory members; an unknown name is NotSpecified.</summary>
    public static ErrorCategory MapCategory(CasErrorCategory category) =>
        Enum.TryParse<ErrorCategory>(category.ToString(), ignoreCase: false, out var mapped) ? mapped : ErrorCategory.NotSpecified;

    /// <summary>The ids support asks for, as one debug line; null when the failure carries none. Never a secret.</summary>
    public static string? SupportLine(CasException exception)
    {
        var parts = new List<string>(5);
        Add("ServiceErrorCode", exception.ServiceErrorCode);
        Add("StatusCode", exception.StatusCode?.ToString(CultureInfo.InvariantCulture));
        Add("RequestId", exception.RequestId);
        Add("TraceId", exception.TraceId);
        Add("CorrelationId", exception.CorrelationId);
        return parts.Count == 0 ? null : $"{exception.ErrorId}: {string.Join(", ", parts)}";

        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                parts.Add(name + "=" + value);
            }
        }
    }
}
