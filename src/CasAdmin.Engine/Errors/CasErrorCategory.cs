namespace CasAdmin.Engine.Errors;

/// <summary>
/// The category of a <see cref="CasException"/>. Member names match
/// <c>System.Management.Automation.ErrorCategory</c> so the cmdlet layer maps them by name
/// without the engine referencing PowerShell.
/// </summary>
public enum CasErrorCategory
{
    NotSpecified,
    AuthenticationError,
    PermissionDenied,
    ObjectNotFound,
    InvalidArgument,
    InvalidOperation,
    InvalidData,
    ResourceUnavailable,
    ResourceExists,
    LimitsExceeded,
    ConnectionError,
    OperationStopped,
    SecurityError,
    QuotaExceeded,
    NotEnabled,
    NotInstalled,
    ReadError,
    WriteError,
    OperationTimeout,
}
