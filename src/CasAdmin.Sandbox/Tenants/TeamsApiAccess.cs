using System.Collections.Concurrent;

namespace CasAdmin.Sandbox.Tenants;

/// <summary>
/// How Graph treats the Teams APIs today, with the knobs that bring back what changed.
/// Metering: since 25 August 2025 the Teams APIs are no longer metered (learn.microsoft.com/graph/teams-licenses,
/// /graph/metered-api-list), so getAllMessages without a model never answers 402; <see cref="MeteredEvaluation"/>
/// (PUT /_sandbox/teams {"meteredEvaluation": true}) restores the historical Evaluation Mode quota for tests of old behaviour.
/// Protected APIs (learn.microsoft.com/graph/teams-protected-apis): getAllMessages and chat-message subscriptions with
/// application permissions need Microsoft's approval of the app id. Approved by default: the sandbox cannot know whether
/// the customer filed the request form, and the walkthrough stands for an administrator who did; a test (or a person)
/// withdraws the approval of one app, or of every app, through PUT /_sandbox/teams.
/// </summary>
internal sealed class TeamsApiAccess
{
    private readonly ConcurrentDictionary<string, bool> _apps = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The historical Evaluation Mode quota (500 messages per month per app per tenant, then 402). Off by default.</summary>
    public bool MeteredEvaluation { get; set; }

    /// <summary>Whether an app without an entry of its own is approved for the protected APIs. True by default.</summary>
    public bool ProtectedApiApprovedByDefault { get; set; } = true;

    public bool IsProtectedApiApproved(string appId) => _apps.TryGetValue(appId, out var approved) ? approved : ProtectedApiApprovedByDefault;

    /// <summary>Sets one app's approval; null returns it to the default.</summary>
    public void SetProtectedApiApproval(string appId, bool? approved)
    {
        if (approved is { } a)
        {
            _apps[appId] = a;
        }
        else
        {
            _apps.TryRemove(appId, out _);
        }
    }

    public IReadOnlyDictionary<string, bool> Apps => new Dictionary<string, bool>(_apps, StringComparer.OrdinalIgnoreCase);

    public void Reset()
    {
        _apps.Clear();
        MeteredEvaluation = false;
        ProtectedApiApprovedByDefault = true;
    }
}
