using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>
/// Runs a leased job's unfinished steps in order, each journaled before and after its work; a step that fails ends
/// the job Failed (resumable), or with -Force and a failure it may step past, in forced removal.
/// </summary>
internal sealed class RemovalStepRunner(IRemovalProbe probe)
{
    /// <summary>Runs the job's unfinished steps; true when the job succeeded (its last write also released the lease).</summary>
    /// <param name="x">The job and all its steps need.</param>
    /// <param name="parentActivityId">The batch's progress activity.</param>
    /// <param name="token">Stops the work: the lease is ending, or the user canceled.</param>
    /// <param name="userToken">The user's Ctrl+C alone: a failure is still journaled until then.</param>
    public async Task<bool> RunAsync(RemovalContext x, int parentActivityId, CancellationToken token, CancellationToken userToken)
    {
        var steps = x.Job.Steps;
        using var progress = new ProgressTracker(x.Observer, $"Removing the {x.Account.Service} account of {x.Account.TenantDomain ?? x.Account.TenantId}", steps.Count, parentActivityId);
        var pending = Enumerable.Range(0, steps.Count).Where(i => steps[i].Status is not (RemovalStepStatus.Succeeded or RemovalStepStatus.Skipped)).ToList();
        if (pending.Count == 0)
        {
            await x.Journal.SucceedAsync(token).ConfigureAwait(false);
            return false;
        }

        // Each step's end is journaled together with the next one's start (or the job's success).
        await x.Journal.StartStepAsync(steps[pending[0]].Ordinal, token).ConfigureAwait(false);
        for (var p = 0; p < pending.Count; p++)
        {
            var i = pending[p];
            var step = steps[i];
            var next = p + 1 < pending.Count ? steps[pending[p + 1]].Ordinal : (int?)null;
            var kind = RemovalPlan.KindOf(step.Name);
            progress.Report(i, step.Name, $"{step.Name} (about {StepClock.Estimate(RemovalJobStatus.Running, steps.Skip(i).ToList())} s left)", force: true);
            var started = DateTimeOffset.UtcNow;
            StepOutcome outcome;
            CasException? failure;
            try
            {
                probe.BeforeStep(x.Account, kind);
                outcome = await RemovalSteps.RunAsync(kind, x, token).ConfigureAwait(false);
                failure = null;
            }
            catch (CasException cas) when (cas.ErrorId != ErrorIds.LeaseLost)
            {
                outcome = null!;
                failure = cas;
            }
            catch (Exception other) when (other is not (OperationCanceledException or CasException))
            {
                // Not foreseen (HttpRequestException, IOException, ObjectDisposedException…): still this step's failure, journaled like any other.
                outcome = null!;
                failure = UnexpectedFailure.Wrap(other, x.Account.AccountId.ToString(), ErrorIds.RemovalFailed, "The removal", RecommendedActions.ResumeRemoval);
            }

            if (failure is { } ex)
            {
                // Journal the failure even when the operation was canceled meanwhile (then with one attempt only: Ctrl+C
                // with the registry down must not wait out the store's retries).
                await x.Journal.FailStepAsync(step.Ordinal, ex.ErrorId, ex.Message, userToken).ConfigureAwait(false);
                if (x.Options.Force && RemovalSteps.IsForceable(ex))
                {
                    await ForceAsync(x, i, ex, token).ConfigureAwait(false);
                    return false;
                }

                await x.Journal.FailAsync(ex.ErrorId, ex.Message, ex.RecommendedAction ?? RecommendedActions.ResumeOrForceRemoval, userToken).ConfigureAwait(false);
                return false;
            }

            StepClock.Record(step.Name, DateTimeOffset.UtcNow - started);
            await x.Journal.FinishStepAsync(step.Ordinal, outcome.Status, outcome.Detail, outcome.Remaining, token, nextOrdinal: next, jobSucceeded: next is null).ConfigureAwait(false);
            x.Observer.Verbose($"{x.Account.Service} {x.Account.TenantDomain ?? x.Account.TenantId}: {step.Name}: {outcome.Detail}");
            probe.AfterStep(x.Job.JobId, kind);
        }

        return true;
    }

    /// <summary>Forced removal: the tenant steps not done are listed as remaining changes, then CasAdmin's own data goes.</summary>
    private static async Task ForceAsync(RemovalContext x, int failedAt, CasException why, CancellationToken token)
    {
        x.Observer.Warning($"Forcing removal of CasAdmin's data for the {x.Account.Service} account: {why.Message}");
        var pending = x.Job.Steps.Skip(failedAt)
            .Select(s => RemovalPlan.KindOf(s.Name))
            .Where(RemovalPlan.TouchesTenant)
            .Select(k => RemovalSteps.Pending(x, k, why.Message))
            .ToArray();

        // Steps after the failure that touch the tenant are not attempted.
        var skipped = x.Job.Steps.Skip(failedAt + 1).Where(s => RemovalPlan.TouchesTenant(RemovalPlan.KindOf(s.Name))).Select(s => s.Ordinal).ToArray();
        await x.Journal.LeaveUndoneAsync(pending, skipped, token).ConfigureAwait(false);

        foreach (var step in x.Job.Steps.Where(s => RemovalPlan.KindOf(s.Name) is StepKind.RemoveLocalData or StepKind.ListRemainingChanges))
        {
            await x.Journal.StartStepAsync(step.Ordinal, token).ConfigureAwait(false);
            var outcome = await RemovalSteps.RunAsync(RemovalPlan.KindOf(step.Name), x, token).ConfigureAwait(false);
            await x.Journal.FinishStepAsync(step.Ordinal, outcome.Status, outcome.Detail, outcome.Remaining, token).ConfigureAwait(false);
        }

        await x.Journal.EndForcedAsync(why.ErrorId, why.Message, "Clean up what stayed in the tenant: Get-CasCleanupItem -JobId " + x.Job.JobId, token).ConfigureAwait(false);
    }
}
