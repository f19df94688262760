using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace CasAdmin.Engine.Store;

/// <summary>
/// Small conveniences over ADO.NET so repositories read as SQL plus parameters, on either store. The SQL is written
/// once, in the subset both SQLite and PostgreSQL understand; the two spellings that differ are adapted here:
/// <c>$name</c> parameters (PostgreSQL reads <c>$1</c> as positional, so they become <c>@name</c>) and row locks
/// (<c>FOR UPDATE</c>, which SQLite has no need for: <c>BEGIN IMMEDIATE</c> already holds the whole file).
/// </summary>
internal static partial class SqlExtensions
{
    public static DbCommand Command(this DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var sqlite = connection is SqliteConnection;
        Interlocked.Increment(ref StoreCounters.Statements);
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sqlite ? RowLock().Replace(sql, string.Empty) : Parameter().Replace(sql, "@$1");
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = sqlite ? name : "@" + name.TrimStart('$', '@');
            p.Value = value ?? DBNull.Value;

            // Every nullable parameter is text (ids, names, ISO timestamps): a typed null lets PostgreSQL infer
            // "$x IS NULL OR column = $x" instead of refusing an unknown type.
            if (value is null)
            {
                p.DbType = DbType.String;
            }

            command.Parameters.Add(p);
        }

        return command;
    }

    /// <summary>
    /// Statements of one transaction sent in one round trip where the provider batches (Npgsql's DbBatch), one after
    /// another where it does not (Microsoft.Data.Sqlite has no batches; there a statement is no round trip anyway).
    /// Each statement counts as one in <see cref="StoreCounters.Statements"/>; the rows each changed come back in order.
    /// </summary>
    public static async Task<int[]> ExecuteBatchAsync(this DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken,
        params (string Sql, (string Name, object? Value)[] Parameters)[] statements)
    {
        var changed = new int[statements.Length];
        if (!connection.CanCreateBatch || connection is SqliteConnection)
        {
            for (var i = 0; i < statements.Length; i++)
            {
                changed[i] = await connection.ExecuteAsync(transaction, statements[i].Sql, cancellationToken, statements[i].Parameters).ConfigureAwait(false);
            }

            return changed;
        }

        await using var batch = connection.CreateBatch();
        batch.Transaction = transaction;
        foreach (var (sql, parameters) in statements)
        {
            Interlocked.Increment(ref StoreCounters.Statements);
            var command = batch.CreateBatchCommand();
            command.CommandText = Parameter().Replace(sql, "@$1");
            foreach (var (name, value) in parameters)
            {
                var p = command.CreateParameter();
                p.ParameterName = "@" + name.TrimStart('$', '@');
                p.Value = value ?? DBNull.Value;
                if (value is null)
                {
                    p.DbType = DbType.String;
                }

                command.Parameters.Add(p);
            }

            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < statements.Length; i++)
        {
            changed[i] = batch.BatchCommands[i].RecordsAffected;
        }

        return changed;
    }

    public static async Task<int> ExecuteAsync(this DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.Command(transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<List<T>> QueryAsync<T>(this DbConnection connection, DbTransaction? transaction, string sql, Func<DbDataReader, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.Command(transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(map(reader));
        }

        return rows;
    }

    public static async Task<object?> ScalarAsync(this DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.Command(transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value is int i ? (long)i : value;
    }

    public static string? Text(this DbDataReader reader, string column)
    {
        var i = reader.GetOrdinal(column);
        return reader.IsDBNull(i) ? null : reader.GetString(i);
    }

    public static long Long(this DbDataReader reader, string column) => Convert.ToInt64(reader.GetValue(reader.GetOrdinal(column)), CultureInfo.InvariantCulture);

    public static DateTimeOffset? Time(this DbDataReader reader, string column) =>
        reader.Text(column) is { } s ? DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;

    /// <summary>Timestamps are stored as round-trip ISO 8601 in UTC so they sort and compare as text.</summary>
    public static string Iso(this DateTimeOffset value) => value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    public static string? Iso(this DateTimeOffset? value) => value?.Iso();

    [GeneratedRegex(@"\$([A-Za-z_][A-Za-z0-9_]*)", RegexOptions.CultureInvariant)]
    private static partial Regex Parameter();

    [GeneratedRegex(@"\s+FOR UPDATE(\s+SKIP LOCKED)?", RegexOptions.CultureInvariant)]
    private static partial Regex RowLock();
}

/// <summary>
/// What this process sent its registry, for the benchmark's cost figures (a statement and a commit are the registry's
/// unit of work; the count is two interlocked increments, cheap next to either).
/// </summary>
internal static class StoreCounters
{
    /// <summary>Statements run through <see cref="SqlExtensions.Command"/>: every query and change a repository makes.</summary>
    public static long Statements;

    /// <summary>Write transactions committed (on SQLite one group commit can carry many writes).</summary>
    public static long Commits;
}
