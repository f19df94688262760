using System.Net.Http.Headers;

namespace CasAdmin.Engine.Resilience;

/// <summary>Reads Retry-After as delta seconds or as an HTTP date.</summary>
internal static class RetryAfter
{
    /// <summary>
    /// The wait the service asked for, or null when it did not say. A date is measured against the
    /// response's own Date header when present, so a skewed local clock does not shorten the wait.
    /// </summary>
    public static TimeSpan? Read(HttpResponseHeaders headers, DateTimeOffset now)
    {
        var value = headers.RetryAfter;
        if (value is null)
        {
            return null;
        }

        if (value.Delta is TimeSpan delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (value.Date is DateTimeOffset date)
        {
            var reference = headers.Date ?? now;
            var wait = date - reference;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }
}
