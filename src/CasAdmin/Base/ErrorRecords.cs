using System.Globalization;
using System.Management.Automation;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Base;

/// <summary>Turns engine exceptions into the <see cref="ErrorRecord"/>s that scripts match on.</summary>
internal static class ErrorRecords
{
    /// <summary>The id of a failed removal job that names no engine error (not expected; kept stable for scripts).</summary>
    internal const string RemovalFailed = "RemovalFailed";

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

    /// <summary>
    /// The error of a removal job that ended Failed (a step failed, or the account could not be verified): the job's
    /// ErrorId (else the failed step's), its message and recommended action. The job records no category, so it is
    /// derived from the id here.
    /// </summary>
    public static CasException FromFailedRemovalJob(CasRemovalJob job)
    {
        var failedStep = job.Steps.FirstOrDefault(s => s.Status == RemovalStepStatus.Failed);
        var errorId = job.ErrorId ?? failedStep?.ErrorId ?? RemovalFailed;
        var message = job.Error ?? failedStep?.Error ?? $"The removal of the {job.Service} account of {job.TenantDomain ?? job.TenantId} failed at step '{job.CurrentStep}'.";
        var action = job.RecommendedAction ?? RecommendedActions.ResumeOrForceRemoval;
        return new CasException(errorId, CategoryOf(errorId), message, action, job.JobId.ToString());
    }

    private static CasErrorCategory CategoryOf(string errorId) => errorId switch
    {
        ErrorIds.GlobalAdministratorRequired or ErrorIds.PimActivationRequired or ErrorIds.AdminPermissionMissing
            or ErrorIds.InsufficientPrivileges or ErrorIds.AdminConsentMissing => CasErrorCategory.PermissionDenied,
        ErrorIds.ResourceNotFound or ErrorIds.ServiceAccountNotFound or ErrorIds.AppNotFound => CasErrorCategory.ObjectNotFound,
        ErrorIds.ThrottledTooLong or ErrorIds.TenantThrottled => CasErrorCategory.LimitsExceeded,
        ErrorIds.ServiceUnavailable or ErrorIds.LeaseLost or ErrorIds.RemovalInProgress => CasErrorCategory.ResourceUnavailable,
        ErrorIds.InvalidClientSecret or ErrorIds.SecretExpired or ErrorIds.SignInExpired or ErrorIds.AccessTokenInvalid => CasErrorCategory.AuthenticationError,
        _ => CasErrorCategory.InvalidOperation,
    };

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
