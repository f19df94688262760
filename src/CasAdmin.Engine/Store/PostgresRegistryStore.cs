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
/// transaction, so running one again is safe); then it becomes a clear <see cref="CasException"/>. A COMMIT whose
/// answer was lost is the one case a re-check cannot tell apart from a rival's write (the job's lease already let go,
/// the account already registered, the audit row already there): every write carries a write id, recorded in its own
/// transaction, and a retry first asks whether that id committed.
/// </summary>
internal sealed class PostgresRegistryStore : RegistryStore
{
    // Any number that no other application of the database uses for its advisory locks: it serialises migrations.
    private const long MigrationLock = 0x436173_41646D696E;

    // Which writes committed, for the retry of one whose COMMIT went unanswered. Not part of the registry's versioned
    // schema: it is this store's own bookkeeping, and rows older than a day are dropped (a retry comes within minutes).
    private const string WritesTable = "casadmin_writes";

    private ResiliencePipeline retry = BuildRetry(TimeProvider.System);

    /// <summary>Test hook: runs right after a write's COMMIT; throwing here is that COMMIT's answer being lost.</summary>
    internal Func<NpgsqlConnection, Task>? AfterCommit { get; set; }

    /// <summary>Tests: the clock of the retry delays (a fake one that never moves makes every retry wait for ever).</summary>
    internal void UseRetryClock(TimeProvider clock) => retry = BuildRetry(clock);

    private static ResiliencePipeline BuildRetry(TimeProvider clock) => new ResiliencePipelineBuilder { TimeProvider = clock }
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
        : base(Describe(builder), readOnly: false)
    {
        ConnectTimeout = builder.Timeout;
        source = NpgsqlDataSource.Create(builder);
    }

    /// <summary>Seconds a connection attempt may take (the string's Timeout=, else ten).</summary>
    internal int ConnectTimeout { get; }

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

        // An unreachable server is reported after ten seconds rather than fifteen, unless the string sets a timeout
        // (even Npgsql's own default of 15: written is written).
        if (!given.Contains("Timeout"))
        {
            builder.Timeout = 10;
        }

        if (!given.Contains("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
        }

        if (!given.Contains("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }
    }

    private protected override void ClearPool() => source.Clear();

    public override async Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            return await retry.ExecuteAsync(async token =>
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
        var writeId = Guid.NewGuid().ToString("N");
        var sentCommit = false;
        T? committed = default;
        try
        {
            return await retry.ExecuteAsync(async token =>
            {
                await using var connection = await source.OpenConnectionAsync(token).ConfigureAwait(false);

                // An earlier attempt sent COMMIT and lost the answer: if it did commit, its result is the write's result,
                // and running the write again would meet its own work as a rival's (LeaseLost, ServiceAccountExists).
                if (sentCommit && await connection.ScalarAsync(null, $"SELECT 1 FROM {WritesTable} WHERE write_id = $w", token, ("$w", writeId)).ConfigureAwait(false) is not null)
                {
                    return committed!;
                }

                await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);

                // Once started, a write runs to its end like SQLite's: a canceled caller does not leave half a journal entry.
                var result = await write(connection, transaction, CancellationToken.None).ConfigureAwait(false);

                // The write id and the COMMIT in one round trip (one of about eleven per removal job saved). Npgsql reads
                // the transaction's end from the server's answer: the transaction object is then complete, and its
                // disposal sends nothing. Whether the pair arrived or not, a retry asks for the id first.
                (committed, sentCommit) = (result, true);
                await connection.ExecuteAsync(transaction, $"INSERT INTO {WritesTable} (write_id) VALUES ($w); COMMIT", CancellationToken.None, ("$w", writeId)).ConfigureAwait(false);
                Interlocked.Increment(ref StoreCounters.Commits);
                if (AfterCommit is { } hook)
                {
                    await hook(connection).ConfigureAwait(false);
                }

                return result;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Translate(ex, Path);
        }
    }

    /// <summary>One attempt, no retries, at most a few seconds: winding down after Ctrl+C, when the registry may be down.</summary>
    public override async Task WriteOnceAsync(Func<DbConnection, DbTransaction, CancellationToken, Task> write)
    {
        using var budget = new CancellationTokenSource(OnceBudget);
        try
        {
            await using var connection = await source.OpenConnectionAsync(budget.Token).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(budget.Token).ConfigureAwait(false);
            await write(connection, transaction, budget.Token).ConfigureAwait(false);
            await transaction.CommitAsync(budget.Token).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw Translate(ex, Path);
        }
    }

    private static readonly TimeSpan OnceBudget = TimeSpan.FromSeconds(5);

    /// <summary>The table of committed write ids (created once, under the migration lock), and rows older than a day dropped.</summary>
    private static async Task EnsureWritesTableAsync(NpgsqlConnection connection)
    {
        if (await connection.ScalarAsync(null, $"SELECT to_regclass('{WritesTable}') IS NOT NULL", CancellationToken.None).ConfigureAwait(false) is not true)
        {
            await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
            await connection.ExecuteAsync(transaction, "SELECT pg_advisory_xact_lock($k)", CancellationToken.None, ("$k", MigrationLock)).ConfigureAwait(false);
            await connection.ExecuteAsync(transaction, $"CREATE TABLE IF NOT EXISTS {WritesTable} (write_id TEXT PRIMARY KEY, written TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())", CancellationToken.None).ConfigureAwait(false);
            await transaction.CommitAsync().ConfigureAwait(false);
        }

        await connection.ExecuteAsync(null, $"DELETE FROM {WritesTable} WHERE written < clock_timestamp() - interval '1 day'", CancellationToken.None).ConfigureAwait(false);
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
                await EnsureWritesTableAsync(connection).ConfigureAwait(false);
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
            await EnsureWritesTableAsync(connection).ConfigureAwait(false);
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
