using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using CasAdmin.Engine.Errors;
using Npgsql;
using Polly;
using Polly.Retry;

namespace CasAdmin.Engine.Store;

/// <summary>
/// The registry on PostgreSQL, shared by runners on several machines. The same schema and repositories as the
/// SQLite file; writes are plain READ COMMITTED transactions that take row locks (<c>FOR UPDATE</c>) where two
/// runners could race for the same row (a job's lease, an account's removal, a registration). A dropped connection
/// or a restarting server is retried for a while (every write re-checks what it depends on inside its own
/// transaction, so running one again is safe); then it becomes a clear <see cref="CasException"/>.
/// </summary>
internal sealed class PostgresRegistryStore : RegistryStore
{
    // Any number that no other application of the database uses for its advisory locks: it serialises migrations.
    private const long MigrationLock = 0x436173_41646D696E;

    private static readonly ResiliencePipeline Retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            // A server restart takes seconds: about half a minute of backoff rides it out without hiding an outage.
            MaxRetryAttempts = 10,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(5),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception switch
            {
                // A concurrent registration won the unique index: run once more, and the check inside the transaction sees it.
                PostgresException { SqlState: "23505" } => args.AttemptNumber < 1,
                PostgresException { SqlState: "57P01" or "57P02" or "57P03" } => true,
                NpgsqlException npgsql => npgsql.IsTransient,
                _ => false,
            }),
        })
        .Build();

    private readonly NpgsqlDataSource source;

    private PostgresRegistryStore(NpgsqlConnectionStringBuilder builder)
        : base(Describe(builder), readOnly: false) =>
        source = NpgsqlDataSource.Create(builder);

    public static PostgresRegistryStore Create(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "CasAdmin" };
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw CasException.InvalidArgument($"The registry's PostgreSQL connection string is not valid: {ex.Message}",
                "Pass it as Host=server;Port=5432;Database=casadmin;Username=user (the password in PGPASSWORD or a PGPASSFILE).", "StorePath");
        }

        if (builder.Timeout == new NpgsqlConnectionStringBuilder().Timeout)
        {
            // An unreachable server is reported after ten seconds rather than fifteen, unless the string says otherwise.
            builder.Timeout = 10;
        }

        Tune(builder, connectionString);
        var store = new PostgresRegistryStore(builder);
        try
        {
            store.InitialiseAsync().GetAwaiter().GetResult();
        }
        catch
        {
            store.source.Dispose();
            throw;
        }

        return store;
    }

    /// <summary>
    /// A runner sends the same few dozen statements thousands of times: prepared once per connection, the server skips
    /// parsing and planning them. CasAdmin changes no session state (its only advisory lock ends with its transaction),
    /// so a pooled connection needs no reset, which would also drop the prepared statements. Either setting the
    /// connection string gives wins.
    /// </summary>
    internal static void Tune(NpgsqlConnectionStringBuilder builder, string connectionString)
    {
        // Npgsql's builder answers every keyword it knows as present; the plain one holds only what was written.
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", string.Empty, StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!given.Contains("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
        }

        if (!given.Contains("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }
    }

    internal static void ClearPools() => NpgsqlConnection.ClearAllPools();

    public override async Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            return await Retry.ExecuteAsync(async token =>
            {
                await using var connection = await source.OpenConnectionAsync(token).ConfigureAwait(false);
                return await read(connection, token).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Translate(ex, Path);
        }
    }

    public override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        try
        {
            return await Retry.ExecuteAsync(async token =>
            {
                await using var connection = await source.OpenConnectionAsync(token).ConfigureAwait(false);
                await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);

                // Once started, a write runs to its end like SQLite's: a canceled caller does not leave half a journal entry.
                var result = await write(connection, transaction, CancellationToken.None).ConfigureAwait(false);
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                return result;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Translate(ex, Path);
        }
    }

    /// <summary>Reads the schema version first and refuses a newer one before anything is written; then migrates under an advisory lock.</summary>
    private async Task InitialiseAsync()
    {
        try
        {
            await using var connection = await source.OpenConnectionAsync().ConfigureAwait(false);
            var version = await VersionAsync(connection, null).ConfigureAwait(false);
            if (version > Schema.CurrentVersion)
            {
                throw TooNew(version);
            }

            if (version == Schema.CurrentVersion)
            {
                return;
            }

            await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
            await connection.ExecuteAsync(transaction, "SELECT pg_advisory_xact_lock($k)", CancellationToken.None, ("$k", MigrationLock)).ConfigureAwait(false);
            await connection.ExecuteAsync(transaction, "CREATE TABLE IF NOT EXISTS casadmin_schema (version BIGINT NOT NULL)", CancellationToken.None).ConfigureAwait(false);

            // Read again under the lock: another runner may have migrated meanwhile.
            version = await VersionAsync(connection, transaction).ConfigureAwait(false);
            if (version > Schema.CurrentVersion)
            {
                throw TooNew(version);
            }

            foreach (var migration in Schema.Migrations.Where(m => m.Version > version))
            {
                await Schema.CheckBeforeMigratingAsync(connection, transaction, migration, Path, CancellationToken.None).ConfigureAwait(false);
                await connection.ExecuteAsync(transaction, Schema.ForPostgres(migration.Sql), CancellationToken.None).ConfigureAwait(false);
            }

            await connection.ExecuteAsync(transaction, "DELETE FROM casadmin_schema", CancellationToken.None).ConfigureAwait(false);
            await connection.ExecuteAsync(transaction, "INSERT INTO casadmin_schema (version) VALUES ($v)", CancellationToken.None, ("$v", (long)Schema.CurrentVersion)).ConfigureAwait(false);
            await transaction.CommitAsync().ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw Translate(ex, Path);
        }
    }

    private static async Task<long> VersionAsync(NpgsqlConnection connection, DbTransaction? transaction)
    {
        if (await connection.ScalarAsync(transaction, "SELECT to_regclass('casadmin_schema') IS NOT NULL", CancellationToken.None).ConfigureAwait(false) is not true)
        {
            return 0;
        }

        return await connection.ScalarAsync(transaction, "SELECT MAX(version) FROM casadmin_schema", CancellationToken.None).ConfigureAwait(false) is { } v
            ? Convert.ToInt64(v, CultureInfo.InvariantCulture)
            : 0;
    }

    private CasException TooNew(long version) => new(ErrorIds.StoreSchemaTooNew, CasErrorCategory.InvalidData,
        $"The registry {Path} was written by a newer CasAdmin (schema {version}; this version knows {Schema.CurrentVersion}); nothing was changed.",
        "Update the CasAdmin module on this runner, or point -StorePath at another registry.", Path);

    /// <summary>A readable address for messages: never the password (there is none in the string), never the whole string.</summary>
    private static string Describe(NpgsqlConnectionStringBuilder b) =>
        $"postgresql://{(b.Username is { Length: > 0 } u ? u + "@" : string.Empty)}{b.Host}:{b.Port.ToString(CultureInfo.InvariantCulture)}/{b.Database ?? b.Username}";

    internal static CasException Translate(NpgsqlException ex, string where) => ex switch
    {
        PostgresException { SqlState: "28P01" or "28000" } => new CasException(ErrorIds.StoreAccessDenied, CasErrorCategory.AuthenticationError,
            $"PostgreSQL refused the sign-in to the registry {where} (wrong user name or password); nothing was changed.",
            "Check the user name in -StorePath or CASADMIN_STORE and the password in PGPASSWORD or the PGPASSFILE.", where, ex),
        PostgresException { SqlState: "42501" } => new CasException(ErrorIds.StoreAccessDenied, CasErrorCategory.PermissionDenied,
            $"The PostgreSQL user may not change the registry {where}; nothing was changed.",
            "Grant the user the rights on the registry's tables (or use its owner), then run the command again.", where, ex),
        PostgresException { SqlState: "25006" } => new CasException(ErrorIds.StoreReadOnly, CasErrorCategory.PermissionDenied,
            $"The registry {where} is read-only (a standby or a read-only transaction); nothing was changed.",
            "Point -StorePath or CASADMIN_STORE at the primary server.", where, ex),
        PostgresException { SqlState: "3D000" } => new CasException(ErrorIds.StoreDatabaseMissing, CasErrorCategory.ObjectNotFound,
            $"The database of the registry {where} does not exist; nothing was created.",
            "Create it once (createdb, or CREATE DATABASE) and give the runners' user its ownership; CasAdmin then creates its tables.", where, ex),
        PostgresException p => new CasException(ErrorIds.StoreUnavailable, CasErrorCategory.NotSpecified,
            $"The registry {where} failed (PostgreSQL {p.SqlState}); the change was not recorded.",
            "Run the command again; if it keeps failing, ask the database's administrator (the server log names the cause).", where, ex),
        _ when ex.InnerException is SocketException or TimeoutException or IOException || ex.IsTransient => new CasException(ErrorIds.StoreUnavailable, CasErrorCategory.ConnectionError,
            $"The PostgreSQL server of the registry {where} cannot be reached; nothing was changed.",
            "Check the host and port in -StorePath or CASADMIN_STORE, that the server runs, and that a firewall lets this machine in.", where, ex),
        _ => new CasException(ErrorIds.StoreAccessDenied, CasErrorCategory.AuthenticationError,
            $"PostgreSQL refused the connection to the registry {where}: {ex.Message} Nothing was changed.",
            "Check the user name in -StorePath or CASADMIN_STORE and the password in PGPASSWORD or the PGPASSFILE.", where, ex),
    };
}
