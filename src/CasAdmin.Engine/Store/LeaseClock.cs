using System.Data.Common;

namespace CasAdmin.Engine.Store;

/// <summary>
/// The clock leases are written and judged by. On PostgreSQL it is the server's, one clock for every runner: a runner
/// whose own clock runs ahead would otherwise see a live lease as expired and take it, and one whose clock lags would
/// hold a lease the others see as expired. On SQLite (one machine) it is this machine's.
/// </summary>
internal static class LeaseClock
{
    /// <summary>
    /// The clock as one more column of a statement that runs anyway (named lease_clock; read it with
    /// <see cref="Read"/>): the server's on PostgreSQL, none on SQLite, where this machine's clock is read instead.
    /// Saves a round trip of its own. clock_timestamp(), not now(): now() is the transaction's start, which a wait for a
    /// row lock leaves behind.
    /// </summary>
    public static string Column(DbConnection c) => c is Npgsql.NpgsqlConnection ? "clock_timestamp() AS lease_clock" : "NULL AS lease_clock";

    /// <summary>The time of a row read with <see cref="Column"/>.</summary>
    public static DateTimeOffset Read(DbDataReader r, TimeProvider clock)
    {
        var i = r.GetOrdinal("lease_clock");
        return r.IsDBNull(i) ? clock.GetUtcNow() : FromServer(r.GetValue(i));
    }

    /// <summary>
    /// An expression for "the lease clock's now plus <c>$duration</c>" as the stored ISO text, or null on SQLite (where
    /// the caller computes it from this machine's clock). The text is the round-trip format
    /// <see cref="SqlExtensions.Iso(DateTimeOffset)"/> writes (seven fraction digits, +00:00), so it compares alike.
    /// </summary>
    public static string? UntilExpression(DbConnection c) =>
        c is Npgsql.NpgsqlConnection ? AsStoredText("clock_timestamp() + $duration") : null;

    /// <summary>"The lease clock's now" as the stored ISO text: the server's on PostgreSQL, else <c>$now</c> (the caller's parameter).</summary>
    public static string NowExpression(DbConnection c) =>
        c is Npgsql.NpgsqlConnection ? AsStoredText("clock_timestamp()") : "$now";

    private static string AsStoredText(string timestamp) =>
        $"to_char(({timestamp}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"0+00:00\"')";

    private static DateTimeOffset FromServer(object? value) =>
        value switch
        {
            DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
            DateTimeOffset o => o.ToUniversalTime(),
            _ => throw new InvalidOperationException($"PostgreSQL answered clock_timestamp() with {value?.GetType().Name ?? "null"}."),
        };
}
