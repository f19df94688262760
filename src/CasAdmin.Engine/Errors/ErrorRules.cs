namespace CasAdmin.Engine.Errors;

/// <summary>Rules about error ids that more than one layer applies (the cmdlets, the removal runner).</summary>
public static class ErrorRules
{
    /// <summary>
    /// The registry itself cannot record anything (read-only, locked, damaged, too new, unreachable, refused, missing):
    /// every other pipeline item or job would fail alike, so a cmdlet stops at the first and a bulk removal starts no more.
    /// </summary>
    public static bool IsRegistryUnusable(string? errorId) => errorId is
        ErrorIds.StoreReadOnly or ErrorIds.StoreLocked or ErrorIds.StoreCorrupt or ErrorIds.StoreSchemaTooNew or ErrorIds.StoreUnavailable
            or ErrorIds.StoreAccessDenied or ErrorIds.StoreDatabaseMissing;
}

/// <summary>Recommended actions that more than one layer gives for the same situation.</summary>
public static class RecommendedActions
{
    /// <summary>A removal job that stopped at a failed step: it is resumable, or forcible.</summary>
    public const string ResumeOrForceRemoval =
        "Run Remove-CasServiceAccount again to resume (finished steps are not repeated), or with -Force to forcibly remove CasAdmin's data.";

    /// <summary>A removal that failed where nothing foresaw it: rerunning resumes it.</summary>
    public const string ResumeRemoval =
        "Run Remove-CasServiceAccount again to resume (finished steps are not repeated); Get-CasRemovalJob shows the step that failed.";
}
