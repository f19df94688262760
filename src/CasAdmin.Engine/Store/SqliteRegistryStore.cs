using System.Data.Common;
using System.Globalization;
using CasAdmin.Engine.Errors;
using Microsoft.Data.Sqlite;

namespace CasAdmin.Engine.Store;

/// <summary>
/// The registry on an SQLite file: WAL journal, <c>synchronous=FULL</c>, <c>BEGIN IMMEDIATE</c> for every
/// write, forward migrations. A locked, read-only, corrupt or newer-schema file becomes a clear
/// <see cref="CasException"/> and is left exactly as it was.
/// </summary>
internal sealed class SqliteRegistryStore : RegistryStore
{
    private readonly string connectionString;
    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingWrite> queue = new();
    private int draining;
    private static readonly AsyncLocal<bool> InsideWrite = new();

    // Enough to share one commit among every parallel job, small enough to keep a transaction short.
    private const int MaxBatch = 256;

    private SqliteRegistryStore(string path, bool readOnly, TimeSpan busyTimeout)
        : base(path, readOnly)
    {
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = true,

            // Microsoft.Data.Sqlite retries SQLITE_BUSY until this timeout; past it the file is reported locked.
            DefaultTimeout = Math.Max(1, (int)busyTimeout.TotalSeconds),
        }.ToString();
    }

    /// <summary>Forgets pooled connections (tests that replace a file under the same path).</summary>
    private protected override void ClearPool()
    {
        using var connection = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(connection);
    }

    public static SqliteRegistryStore Create(string path, TimeSpan busyTimeout, bool create)
    {
        var exists = File.Exists(path);
        var readOnly = exists && IsMarkedReadOnly(path);
        if (!exists && !create && !Directory.Exists(System.IO.Path.GetDirectoryName(path)))
        {
            // A read never creates: a typo in -StorePath must not look like an empty registry.
            throw new CasException(ErrorIds.StoreUnavailable, CasErrorCategory.ObjectNotFound,
                $"There is no registry at '{path}': its folder does not exist. Nothing was created.",
                "Check -StorePath or the CASADMIN_STORE environment variable for a typo; a registry is created by the first command that records something (Register-CasServiceAccount, New-CasTeamsChatAccount).", path);
        }

        if (!exists)
        {
            try
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CasException(ErrorIds.StoreUnavailable, CasErrorCategory.WriteError,
                    $"The registry folder for '{path}' cannot be created.",
                    "Choose a writable location with -StorePath or the CASADMIN_STORE environment variable.", path, ex);
            }
        }

        var store = new SqliteRegistryStore(path, readOnly, busyTimeout);
        store.Initialise(exists);
        return store;
    }

    /// <summary>Runs a read on its own connection.</summary>
    public override async Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return await read(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, Path);
        }
    }

    /// <summary>
    /// Runs a write in a <c>BEGIN IMMEDIATE</c> transaction: all of it is recorded or none of it, and the call returns
    /// only once it is durable. Writes of this process are group-committed: a commit thread runs every queued write in
    /// one transaction with a savepoint each, so parallel jobs share one fsync instead of queuing on SQLite's write
    /// lock (a failing write rolls back to its savepoint and fails alone).
    /// </summary>
    public override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        if (IsReadOnly)
        {
            throw ReadOnlyError(Path);
        }

        if (InsideWrite.Value)
        {
            // The leader is running this very write; waiting for another would wait for ourselves.
            throw new InvalidOperationException("A registry write may not start another write; use the connection and transaction it was given.");
        }

        var pending = new PendingWrite<T>(write, cancellationToken);
        queue.Enqueue(pending);
        EnsureDraining();
        return await pending.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Makes sure a commit thread is running. Commits block (SQLite's calls and the fsync are synchronous), so they
    /// get a thread of their own: a job never lends its thread-pool thread to lead everyone else's writes, and many
    /// jobs writing at once do not starve the pool their Graph calls complete on.
    /// </summary>
    private void EnsureDraining()
    {
        if (Interlocked.CompareExchange(ref draining, 1, 0) == 0)
        {
            // UnsafeStart: the thread serves every caller, so it carries none's execution context (observer, scope).
            new Thread(Drain) { IsBackground = true, Name = "CasAdmin registry commits" }.UnsafeStart();
        }
    }

    private void Drain()
    {
        while (true)
        {
            var batch = new List<PendingWrite>(MaxBatch);
            while (true)
            {
                batch.Clear();
                while (batch.Count < MaxBatch && queue.TryDequeue(out var next))
                {
                    batch.Add(next);
                }

                if (batch.Count == 0)
                {
                    break;
                }

                try
                {
                    CommitBatchAsync(batch).GetAwaiter().GetResult();
                }
                catch (Exception ex)
                {
                    // CommitBatchAsync reports a store failure to each write itself; anything else must still reach the
                    // callers, not end this thread and with it the host process (a PowerShell session).
                    foreach (var write in batch)
                    {
                        write.Fail(ex);
                    }
                }
            }

            Volatile.Write(ref draining, 0);

            // A write queued between the last dequeue and the release above still needs a commit thread: this one,
            // unless another caller started one meanwhile.
            if (queue.IsEmpty || Interlocked.CompareExchange(ref draining, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private async Task CommitBatchAsync(List<PendingWrite> batch)
    {
        var done = new List<PendingWrite>(batch.Count);
        try
        {
            await using var connection = await OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
            await using var transaction = connection.BeginTransaction(deferred: false);
            foreach (var write in batch)
            {
                if (write.Token.IsCancellationRequested)
                {
                    write.Cancel();
                    continue;
                }

                transaction.Save("w");
                try
                {
                    await write.RunAsync(connection, transaction).ConfigureAwait(false);
                    transaction.Release("w");
                    done.Add(write);
                }
                catch (Exception ex)
                {
                    transaction.Rollback("w");
                    transaction.Release("w");
                    write.Fail(ex is SqliteException sql ? Translate(sql, Path) : ex);
                }
            }

            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            Interlocked.Increment(ref StoreCounters.Commits);
        }
        catch (Exception ex)
        {
            // Nothing of this batch was committed: every write still waiting fails with the store's reason.
            var error = ex is SqliteException sql ? Translate(sql, Path) : ex;
            foreach (var write in batch)
            {
                write.Fail(error);
            }

            return;
        }

        foreach (var write in done)
        {
            write.Complete();
        }
    }

    private abstract class PendingWrite(CancellationToken token)
    {
        public CancellationToken Token { get; } = token;

        public abstract Task RunAsync(DbConnection connection, DbTransaction transaction);

        public abstract void Complete();

        public abstract void Fail(Exception error);

        public abstract void Cancel();
    }

    private sealed class PendingWrite<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> write, CancellationToken token) : PendingWrite(token)
    {
        private readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T result = default!;

        public Task<T> Task => completion.Task;

        public override async Task RunAsync(DbConnection connection, DbTransaction transaction)
        {
            InsideWrite.Value = true;
            try
            {
                result = await write(connection, transaction, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                InsideWrite.Value = false;
            }
        }

        public override void Complete() => completion.TrySetResult(result);

        public override void Fail(Exception error) => completion.TrySetException(error);

        public override void Cancel() => completion.TrySetCanceled(Token);
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var pragma = connection.CreateCommand();
            pragma.CommandText = IsReadOnly
                ? "PRAGMA foreign_keys = ON;"
                : "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private void Initialise(bool existed)
    {
        try
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();

            // Read first: a corrupt file or a newer schema must be refused before anything is written to it.
            var version = UserVersion(connection);
            if (version > Schema.CurrentVersion)
            {
                throw new CasException(ErrorIds.StoreSchemaTooNew, CasErrorCategory.InvalidData,
                    $"The registry '{Path}' was written by a newer CasAdmin (schema {version}; this version knows {Schema.CurrentVersion}).",
                    "Update the CasAdmin module, or point -StorePath at another registry.", Path);
            }

            if (existed && version > 0)
            {
                QuickCheck(connection);
            }

            if (IsReadOnly)
            {
                if (version < Schema.CurrentVersion)
                {
                    throw new CasException(ErrorIds.StoreReadOnly, CasErrorCategory.PermissionDenied,
                        $"The registry '{Path}' is read-only and needs an upgrade (schema {version} to {Schema.CurrentVersion}).",
                        "Make the file writable once so CasAdmin can upgrade it.", Path);
                }

                return;
            }

            Execute(connection, "PRAGMA journal_mode = WAL;");
            if (version < Schema.CurrentVersion)
            {
                Migrate(connection);
            }
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, Path);
        }
    }

    private static void Migrate(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction(deferred: false);

        // Read again inside the write lock: another process may have migrated meanwhile.
        var version = UserVersion(connection);
        foreach (var migration in Schema.Migrations.Where(m => m.Version > version))
        {
            Schema.CheckBeforeMigratingAsync(connection, transaction, migration, "'" + connection.DataSource + "'", CancellationToken.None).GetAwaiter().GetResult();
            Execute(connection, migration.Sql);
            Execute(connection, "PRAGMA user_version = " + migration.Version.ToString(CultureInfo.InvariantCulture) + ";");
        }

        transaction.Commit();
    }

    private static void QuickCheck(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA quick_check(1);";
        var result = command.ExecuteScalar() as string;
        if (!string.Equals(result, "ok", StringComparison.OrdinalIgnoreCase))
        {
            throw new SqliteException("quick_check: " + result, 11);
        }
    }

    private static long UserVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static bool IsMarkedReadOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return File.GetAttributes(path).HasFlag(FileAttributes.ReadOnly);
        }

        // Checked from the mode bits so that the owner's intent holds even for root, who may write anyway.
        return !File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserWrite);
    }

    internal static CasException Translate(SqliteException ex, string path) => (ex.SqliteErrorCode & 0xFF) switch
    {
        5 or 6 => new CasException(ErrorIds.StoreLocked, CasErrorCategory.ResourceUnavailable,
            $"The registry '{path}' is locked by another process; nothing was changed.",
            "Wait for the other CasAdmin session or runbook to finish, then run the command again.", path, ex),
        8 => new CasException(ErrorIds.StoreReadOnly, CasErrorCategory.PermissionDenied,
            $"The registry '{path}' is read-only; nothing was changed.",
            "Make the file writable, or point -StorePath or CASADMIN_STORE at a writable registry.", path, ex),
        11 or 26 => new CasException(ErrorIds.StoreCorrupt, CasErrorCategory.InvalidData,
            $"The registry '{path}' is damaged or is not a CasAdmin registry; it was left untouched.",
            "Restore the file from a backup, or move it aside so CasAdmin starts a new registry (Find-CasServiceAccount can rediscover accounts).", path, ex),
        14 => new CasException(ErrorIds.StoreUnavailable, CasErrorCategory.ResourceUnavailable,
            $"The registry '{path}' cannot be opened.",
            "Check that the folder exists and is accessible, or choose another path with -StorePath.", path, ex),
        _ => new CasException(ErrorIds.StoreUnavailable, CasErrorCategory.NotSpecified,
            $"The registry '{path}' failed (SQLite error {ex.SqliteErrorCode}); the change was not recorded.",
            "Run the command again; if it keeps failing, check the file and the disk.", path, ex),
    };
}
