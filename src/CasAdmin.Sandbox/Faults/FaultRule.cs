using System.Text.Json.Serialization;

namespace CasAdmin.Sandbox;

/// <summary>What an injected fault does.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FaultKind>))]
public enum FaultKind
{
    /// <summary>Answer with <see cref="FaultRule.Status"/> (and Retry-After for 429/503 when set) instead of running the request.</summary>
    [JsonStringEnumMemberName("status")] Status,

    /// <summary>Abort the connection without answering.</summary>
    [JsonStringEnumMemberName("reset")] Reset,

    /// <summary>Wait <see cref="FaultRule.DelayMs"/> before handling the request normally (past a client's timeout).</summary>
    [JsonStringEnumMemberName("slow")] Slow,

    /// <summary>Run the request (a write commits), then abort the connection so the client never sees the answer.</summary>
    [JsonStringEnumMemberName("appliedButLost")] AppliedButLost,

    /// <summary>
    /// Run the request normally, then send <see cref="FaultRule.Headers"/> on its answer, replacing any of the same name:
    /// for example an x-ms-throttle-limit-percentage of NaN, Infinity or 1e308 on an answer Graph would have warned on.
    /// </summary>
    [JsonStringEnumMemberName("headers")] Headers,
}

/// <summary>
/// A fault injection rule (POST /_sandbox/faults). A rule matches by method, path pattern (* matches anything, query
/// excluded), app and tenant; it becomes eligible from the <see cref="Nth"/> matching request on, fires at most
/// <see cref="Times"/> times, each time with <see cref="Probability"/>. The first firing rule wins.
/// </summary>
public sealed record FaultRule
{
    /// <summary>Assigned by the sandbox.</summary>
    public string? Id { get; init; }

    public FaultKind Kind { get; init; } = FaultKind.Status;

    /// <summary>HTTP method, or null for any.</summary>
    public string? Method { get; init; }

    /// <summary>Path pattern such as "/v1.0/users*"; inner $batch requests are matched by their full /v1.0 path.</summary>
    public string Path { get; init; } = "*";

    public int Status { get; init; } = 503;

    /// <summary>Retry-After in seconds on the injected response (written in the current Retry-After mode).</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>How many times the rule fires; null = unlimited.</summary>
    public int? Times { get; init; }

    /// <summary>Chance (0–1) of firing on an eligible request; null = always.</summary>
    public double? Probability { get; init; }

    public string? AppId { get; init; }

    public string? TenantId { get; init; }

    /// <summary>First matching request (1-based) the rule may fire on; null = 1.</summary>
    public int? Nth { get; init; }

    /// <summary>Delay for <see cref="FaultKind.Slow"/>.</summary>
    public int DelayMs { get; init; }

    /// <summary>
    /// Response headers sent verbatim, replacing any of the same name: with <see cref="FaultKind.Headers"/> on the real
    /// answer, with <see cref="FaultKind.Status"/> on the injected one (after Retry-After, so a raw "Retry-After" value
    /// such as a date in the year 9999 wins). Values are not checked beyond what HTTP allows: hostile is the point.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
}

/// <summary>Body of PUT /_sandbox/latency: every non-control request waits FixedMs plus a uniform 0..JitterMs.</summary>
public sealed record LatencySettings(int FixedMs, int JitterMs = 0);
