namespace CasAdmin.Sandbox;

/// <summary>Counters for one slice of traffic (all, one endpoint, or one app in one tenant).</summary>
public class StatsCounters
{
    public long Requests { get; set; }

    /// <summary>Responses by HTTP status ("200": 12, "429": 3).</summary>
    public Dictionary<string, long> Statuses { get; set; } = [];

    /// <summary>429 responses served, whether by the throttling buckets or by fault injection.</summary>
    public long TooManyRequests { get; set; }

    /// <summary>Requests that arrived before the Retry-After time advertised to their (app, tenant).</summary>
    public long PrematureRetries { get; set; }

    /// <summary>
    /// The premature retries that resent the very request that was throttled (the same client-request-id): a client's
    /// own fault whatever the timing, unlike other requests, which may simply have been in flight.
    /// </summary>
    public long PrematureResends { get; set; }

    public long ResourceUnits { get; set; }
    public long Writes { get; set; }
    public long TokenRequests { get; set; }
    public long FaultsInjected { get; set; }

    /// <summary>Creates of an object that already existed (same displayName, appId or principal name): must stay 0 for a good client.</summary>
    public long DuplicateCreates { get; set; }

    /// <summary>
    /// Deletes of an object the sandbox had already deleted, sent as a new request (another client-request-id): a
    /// step run twice. A resend of the very request whose answer was lost keeps its id and is not counted. Must stay 0.
    /// </summary>
    public long RepeatedDeletes { get; set; }

    /// <summary>
    /// Writes (POST, PATCH, PUT) that repeat an earlier successful one to the same object with the same body, sent as a
    /// new request (another client-request-id): a step run twice. Must stay 0 for a job that runs once.
    /// </summary>
    public long RepeatedWrites { get; set; }

    internal void Add(int status, int ru, int writes, bool premature, bool tokenRequest, bool fault, bool duplicateCreate = false, bool prematureResend = false,
        bool repeatedDelete = false, bool repeatedWrite = false)
    {
        Requests++;
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Statuses[key] = Statuses.GetValueOrDefault(key) + 1;
        if (status == 429)
        {
            TooManyRequests++;
        }

        if (premature)
        {
            PrematureRetries++;
        }

        if (prematureResend)
        {
            PrematureResends++;
        }

        ResourceUnits += ru;
        Writes += writes;
        if (tokenRequest)
        {
            TokenRequests++;
        }

        if (fault)
        {
            FaultsInjected++;
        }

        if (duplicateCreate)
        {
            DuplicateCreates++;
        }

        if (repeatedDelete)
        {
            RepeatedDeletes++;
        }

        if (repeatedWrite)
        {
            RepeatedWrites++;
        }
    }

    internal T CopyTo<T>(T target) where T : StatsCounters
    {
        target.Requests = Requests;
        target.Statuses = new Dictionary<string, long>(Statuses);
        target.TooManyRequests = TooManyRequests;
        target.PrematureRetries = PrematureRetries;
        target.PrematureResends = PrematureResends;
        target.ResourceUnits = ResourceUnits;
        target.Writes = Writes;
        target.TokenRequests = TokenRequests;
        target.FaultsInjected = FaultsInjected;
        target.DuplicateCreates = DuplicateCreates;
        target.RepeatedDeletes = RepeatedDeletes;
        target.RepeatedWrites = RepeatedWrites;
        return target;
    }
}

/// <summary>Counters of one app in one tenant.</summary>
public sealed class ClientStats : StatsCounters
{
    public string AppId { get; set; } = "";
    public string TenantId { get; set; } = "";
}

/// <summary>GET /_sandbox/stats.</summary>
public sealed class SandboxStats
{
    public StatsCounters Totals { get; set; } = new();

    /// <summary>Keyed by "METHOD /route/template", e.g. "GET /v1.0/users/{id}" or "POST /{tenant}/oauth2/v2.0/token".</summary>
    public Dictionary<string, StatsCounters> Endpoints { get; set; } = [];

    public List<ClientStats> Clients { get; set; } = [];

    /// <summary>Every object that was deleted or written more than once (see <see cref="StatsCounters.RepeatedDeletes"/>), with how often.</summary>
    public List<RepeatedObject> Repeated { get; set; } = [];

    public ClientStats? For(string appId, string tenantId) =>
        Clients.FirstOrDefault(c => c.AppId.Equals(appId, StringComparison.OrdinalIgnoreCase) && c.TenantId.Equals(tenantId, StringComparison.OrdinalIgnoreCase));
}

/// <summary>One request as the sandbox saw it (GET /_sandbox/timeline), for plots.</summary>
public sealed record TimelineEntry(
    double ArrivalMs,
    string Method,
    string Path,
    int Status,
    int Cost,
    double BucketLevel,
    string? AppId,
    string? TenantId,
    bool Premature);

/// <summary>One object that received the same delete or the same write again, as a new request.</summary>
public sealed class RepeatedObject
{
    public string TenantId { get; set; } = "";

    /// <summary>"DELETE", "PATCH", "POST" or "PUT".</summary>
    public string Method { get; set; } = "";

    /// <summary>The object's path as requested, e.g. "/v1.0/servicePrincipals/{id}/appRoleAssignedTo/{id}".</summary>
    public string Path { get; set; } = "";

    /// <summary>How many times it was repeated (the first, successful request not counted).</summary>
    public long Repeats { get; set; }
}
