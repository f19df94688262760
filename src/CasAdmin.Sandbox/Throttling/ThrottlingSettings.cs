using System.Text.Json.Serialization;

namespace CasAdmin.Sandbox;

/// <summary>How a 429 tells the client when to come back.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RetryAfterMode>))]
public enum RetryAfterMode
{
    /// <summary>Retry-After as delta seconds (Graph's behaviour).</summary>
    [JsonStringEnumMemberName("seconds")] Seconds,

    /// <summary>Retry-After as an HTTP date.</summary>
    [JsonStringEnumMemberName("date")] Date,

    /// <summary>No Retry-After header: the client must back off on its own.</summary>
    [JsonStringEnumMemberName("absent")] Absent,
}

/// <summary>Body of PUT /_sandbox/throttling; null members keep their current value.</summary>
public sealed record ThrottlingSettings
{
    public bool? Enabled { get; init; }

    /// <summary>Multiplies every bucket capacity and refill rate (1.0 = Graph's documented limits).</summary>
    public double? Scale { get; init; }

    public RetryAfterMode? RetryAfterMode { get; init; }
}
