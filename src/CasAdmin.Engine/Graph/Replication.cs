using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;
using Polly;
using Polly.Retry;

namespace CasAdmin.Engine.Graph;

/// <summary>
/// Entra ID is eventually consistent ("Designing for Eventual Consistency for Microsoft Entra", Identity blog, March
/// 2026): right after a create, the next call may not see it. CasAdmin waits — with bounded, jittered backoff, within a
/// budget (default five minutes, <see cref="Within"/>) — for exactly these signals, and only about objects and secrets
/// it created itself (<see cref="ReplicationLedger"/>): 404 on its new object, 400 NoBackingApplicationObject for its
/// new app, AADSTS700016 for its new app or principal, AADSTS7000215 for its new secret, and a token without the roles
/// it just consented. Anywhere else the same answers are real errors and fail at once. Each wait shows as a progress
/// record ("Waiting for Entra ID to replicate the new app…") and a Verbose line, through the operation's observer.
/// </summary>
internal static class Replication
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);
    private static readonly AsyncLocal<TimeSpan?> CurrentTimeout = new();

    /// <summary>The wait budget of the operation on this async flow.</summary>
    public static TimeSpan Timeout => CurrentTimeout.Value ?? DefaultTimeout;

    /// <summary>Sets the wait budget (e.g. a cmdlet's -ReplicationTimeout) for the operation on this async flow; null keeps the current one.</summary>
    public static IDisposable Within(TimeSpan? timeout)
    {
        var previous = CurrentTimeout.Value;
        if (timeout is { } t)
        {
            CurrentTimeout.Value = t;
        }

        return new Restore(previous);
    }

    /// <summary>A -ReplicationTimeout is more than zero and at most a day.</summary>
    public static void Validate(TimeSpan? timeout)
    {
        if (timeout is { } t && (t <= TimeSpan.Zero || t > TimeSpan.FromDays(1)))
        {
            throw CasException.InvalidArgument(
                string.Create(CultureInfo.InvariantCulture, $"The replication timeout {t} is not valid: it must be more than zero and at most one day."),
                "Give -ReplicationTimeout a number of minutes or a TimeSpan such as (New-TimeSpan -Minutes 10).", t.ToString());
        }
    }

    /// <summary>True for the answers Entra gives about an object (or secret) that has not replicated yet.</summary>
    public static bool IsReplicationSignal(Exception ex) => ex is CasException c && (
        c.ErrorId == ErrorIds.ResourceNotFound
        || c.ServiceErrorCode == NoBackingApplicationObject
        || c.ServiceErrorCode is "AADSTS700016" or "AADSTS7000215");

    public const string NoBackingApplicationObject = nameof(NoBackingApplicationObject);

    /// <summary>Runs a call about an object this operation has just created, waiting while any replication signal answers.</summary>
    public static Task<T> AfterCreateAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        AfterCreateAsync(call, "what CasAdmin just created", IsReplicationSignal, cancellationToken);

    /// <summary>
    /// Runs <paramref name="call"/>, waiting while <paramref name="isSignal"/> says its failure is replication; after the
    /// budget, <see cref="ErrorIds.ReplicationTimeout"/> names <paramref name="what"/>.
    /// </summary>
    public static async Task<T> AfterCreateAsync<T>(Func<CancellationToken, Task<T>> call, string what, Func<Exception, bool> isSignal, CancellationToken cancellationToken)
    {
        var budget = Timeout;
        var time = TimeProvider.System;
        var started = time.GetTimestamp();
        var observer = OperationScope.Observer;
        ProgressTracker? progress = null;
        TimeSpan Elapsed() => time.GetElapsedTime(started);

        var pipeline = new ResiliencePipelineBuilder<T>()
            .AddRetry(new RetryStrategyOptions<T>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && isSignal(e) && Elapsed() < budget),
                MaxRetryAttempts = int.MaxValue,
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(NextDelay(args.AttemptNumber, budget - Elapsed())),
                OnRetry = args =>
                {
                    progress ??= new ProgressTracker(observer, $"Waiting for Entra ID to replicate {what}…", total: null);
                    var reason = Describe(args.Outcome.Exception);
                    var status = string.Create(CultureInfo.InvariantCulture,
                        $"{reason}; waited {Elapsed().TotalSeconds:0} s of {budget.TotalSeconds:0} s");
                    progress.Report(args.AttemptNumber + 1, status, force: true);
                    observer.Verbose(string.Create(CultureInfo.InvariantCulture,
                        $"Waiting for Entra ID to replicate {what}: {reason}. Trying again in {args.RetryDelay.TotalSeconds:0.#} s (attempt {args.AttemptNumber + 2})."));
                    return default;
                },
            })
            .Build();
        try
        {
            var result = await pipeline.ExecuteAsync(static async (state, ct) => await state(ct).ConfigureAwait(false), call, cancellationToken).ConfigureAwait(false);
            if (progress is not null)
            {
                observer.Verbose(string.Create(CultureInfo.InvariantCulture, $"Entra ID has replicated {what} (after {Elapsed().TotalSeconds:0} s)."));
            }

            return result;
        }
        catch (Exception ex) when (isSignal(ex) && Elapsed() >= budget)
        {
            throw TimedOut(what, budget, ex);
        }
        finally
        {
            progress?.Dispose();
        }
    }

    /// <summary>Waits until <paramref name="check"/> holds (e.g. a fresh token carries the roles just consented); false answers are retried like a signal.</summary>
    public static Task UntilAsync(Func<CancellationToken, Task<bool>> check, string what, Func<string> stillMissing, CancellationToken cancellationToken) =>
        AfterCreateAsync(async ct => await check(ct).ConfigureAwait(false) ? true : throw new NotYetReplicatedException(stillMissing()),
            what, static e => e is NotYetReplicatedException || IsReplicationSignal(e), cancellationToken);

    internal static CasException TimedOut(string what, TimeSpan budget, Exception last)
    {
        var minutes = budget.TotalMinutes >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{budget.TotalMinutes:0.#} minute(s)")
            : string.Create(CultureInfo.InvariantCulture, $"{budget.TotalSeconds:0.#} second(s)");
        var target = (last as CasException)?.Target;
        return new CasException(ErrorIds.ReplicationTimeout, CasErrorCategory.OperationTimeout,
            $"Entra ID had not replicated {what} after {minutes} (last answer: {Describe(last)}). What was created is kept.",
            "Run the same command again in a few minutes: it finds what it created and continues without creating anything twice. "
            + "To wait longer in one run, pass -ReplicationTimeout (e.g. (New-TimeSpan -Minutes 15)).",
            target, last)
        {
            ServiceErrorCode = (last as CasException)?.ServiceErrorCode,
            StatusCode = (last as CasException)?.StatusCode,
            RequestId = (last as CasException)?.RequestId,
            TraceId = (last as CasException)?.TraceId,
            CorrelationId = (last as CasException)?.CorrelationId,
        };
    }

    private static TimeSpan NextDelay(int attempt, TimeSpan remaining)
    {
        // Exponential with ±20 % jitter, at most MaxDelay: replicas catch up within seconds, so polls stay a few seconds apart.
        var exponential = FirstDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 10));
        var jittered = Math.Min(MaxDelay.TotalMilliseconds, exponential * (0.8 + (0.4 * Random.Shared.NextDouble())));
        return TimeSpan.FromMilliseconds(Math.Max(0, Math.Min(jittered, remaining.TotalMilliseconds)));
    }

    private static string Describe(Exception? ex) => ex switch
    {
        NotYetReplicatedException n => n.Message,
        CasException { ServiceErrorCode: NoBackingApplicationObject } => "Graph does not know the app yet (400 NoBackingApplicationObject)",
        CasException { ServiceErrorCode: "AADSTS700016" } => "Entra ID does not know the app yet (AADSTS700016)",
        CasException { ServiceErrorCode: "AADSTS7000215" } => "Entra ID does not accept the new secret yet (AADSTS7000215)",
        CasException { ErrorId: ErrorIds.ResourceNotFound } => "Graph does not find it yet (404)",
        CasException c => c.ErrorId,
        null => "no answer",
        _ => ex.GetType().Name,
    };

    private sealed class Restore(TimeSpan? previous) : IDisposable
    {
        public void Dispose() => CurrentTimeout.Value = previous;
    }

    private sealed class NotYetReplicatedException(string message) : Exception(message);
}

/// <summary>
/// What this process created in Entra ID, and when: the evidence that a replication signal is about CasAdmin's own new
/// object and not a real error. Shared by every runspace of the process (the engine is). Kept in memory only: a secret
/// is held as its SHA-256, never its value.
/// </summary>
internal sealed class ReplicationLedger
{
    public static readonly ReplicationLedger Shared = new();

    /// <summary>
    /// The ledger's name for a connection's tenant: its Graph host and tenant id. Two sandboxes in one process (a test
    /// run, or a sandbox stopped and started again) serve the same tenant ids, and what one of them created is not the other's.
    /// </summary>
    public static string TenantOf(CasConnection connection) =>
        connection.Context.Endpoints.GraphEndpoint.GetLeftPart(UriPartial.Authority) + "|" + connection.TenantId;

    private readonly ConcurrentDictionary<string, DateTimeOffset> created = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, (string ObjectId, string AppId)> appsByName = new(StringComparer.OrdinalIgnoreCase);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public void App(string tenantId, string appId, string objectId, string displayName)
    {
        Mark(Key(tenantId, "app", appId));
        appsByName[Key(tenantId, "name", displayName)] = (objectId, appId);
    }

    public void ServicePrincipal(string tenantId, string appId) => Mark(Key(tenantId, "sp", appId));

    public void Secret(string tenantId, string appId, string secret) => Mark(Key(tenantId, "secret", appId + "|" + Hash(secret)));

    public void Consent(string tenantId, string appId, IEnumerable<string> roles)
    {
        foreach (var role in roles)
        {
            Mark(Key(tenantId, "role", appId + "|" + role));
        }
    }

    /// <summary>
    /// What CasAdmin's registry says it created at <paramref name="at"/> in another session (New-CasTeamsChatApp's audit
    /// record): the app, its principal and, when <paramref name="consentedRoles"/> are given, their consent.
    /// </summary>
    public void Recorded(string tenantId, string appId, DateTimeOffset at, IEnumerable<string> consentedRoles)
    {
        created.TryAdd(Key(tenantId, "app", appId), at);
        created.TryAdd(Key(tenantId, "sp", appId), at);
        foreach (var role in consentedRoles)
        {
            created.TryAdd(Key(tenantId, "role", appId + "|" + role), at);
        }
    }

    /// <summary>Forgets an app in every sandbox or cloud that serves the tenant (tests: another session of the same process).</summary>
    internal void Forget(string tenantId, string appId)
    {
        // Keys begin with the tenant's scope (TenantOf: Graph host, then tenant id).
        foreach (var key in created.Keys.Where(k => k.Contains("|" + tenantId + "|", StringComparison.OrdinalIgnoreCase) && k.Contains("|" + appId, StringComparison.OrdinalIgnoreCase)))
        {
            created.TryRemove(key, out _);
        }

        foreach (var name in appsByName.Where(n => string.Equals(n.Value.AppId, appId, StringComparison.OrdinalIgnoreCase)).Select(n => n.Key))
        {
            appsByName.TryRemove(name, out _);
        }
    }

    public bool IsNewApp(string tenantId, string appId) => Recent(Key(tenantId, "app", appId));

    public bool IsNewServicePrincipal(string tenantId, string appId) => Recent(Key(tenantId, "sp", appId));

    public bool IsNewSecret(string tenantId, string appId, string secret) => Recent(Key(tenantId, "secret", appId + "|" + Hash(secret)));

    public bool IsNewConsent(string tenantId, string appId, string role) => Recent(Key(tenantId, "role", appId + "|" + role));

    /// <summary>The app this process created under that name, within the wait budget: a rerun uses it instead of creating another.</summary>
    public (string ObjectId, string AppId)? AppNamed(string tenantId, string displayName) =>
        appsByName.TryGetValue(Key(tenantId, "name", displayName), out var app) && IsNewApp(tenantId, app.AppId) ? app : null;

    private void Mark(string key) => created[key] = Time.GetUtcNow();

    private bool Recent(string key) => created.TryGetValue(key, out var at) && Time.GetUtcNow() - at < Replication.Timeout;

    private static string Key(string tenantId, string kind, string id) => tenantId + "|" + kind + "|" + id;

    private static string Hash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
