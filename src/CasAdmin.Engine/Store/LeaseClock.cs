using System.Data.Common;

namespace CasAdmin.Engine.Store;

/// <summary>
/// The clock leases are written and judged by. On PostgreSQL it is the server's, one clock for every runner: a runner
/// whose own clock runs ahead would otherwise see a live lease as expired and take it, and one whose clock lags would
/// hold a lease the others see as expired. On SQLite (one machine) it is this machine's.
/// </summary>
internal static class LeaseClock
{
    public static async Task<DateTimeOffset> NowAsync(DbConnection c, DbTransaction? t, TimeProvider clock, CancellationToken ct)
    {
        if (c is not Npgsql.NpgsqlConnection)
        {
            return clock.GetUtcNow();
        }

        // clock_timestamp(), not now(): now() is the transaction's start, which a wait for a row lock leaves behind.
        var value = await c.ScalarAsync(t, "SELECT clock_timestamp()", ct).ConfigureAwait(false);
        return value switch
        {
            DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
            DateTimeOffset o => o.ToUniversalTime(),
            _ => throw new InvalidOperationException($"PostgreSQL answered clock_timestamp() with {value?.GetType().Name ?? "null"}."),
        };
    }
}
