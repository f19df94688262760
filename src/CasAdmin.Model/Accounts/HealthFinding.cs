namespace CasAdmin.Engine.Accounts;

/// <summary>How one health check came out.</summary>
public enum HealthStatus
{
    Pass = 1,
    Warning,
    Fail,
    Unknown,
}

/// <summary>One finding of Test-CasServiceAccount, with what to do about it.</summary>
public sealed record CasHealthFinding(Guid AccountId, CasService Service, string TenantId, string Check, HealthStatus Status, string Message, string? RecommendedAction);
