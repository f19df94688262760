using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CasAdmin.Engine.Tests.Store;

public sealed class RegistryStoreTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static async Task<long> ScalarAsync(RegistryStore store, string sql) =>
        await store.ReadAsync(async (c, ct) =>
        {
            using var command = c.CreateCommand();
            command.CommandText = sql;
            return (long)(await command.ExecuteScalarAsync(ct))!;
        }, CancellationToken.None);

    [Fact]
    public async Task Open_NewFile_CreatesCurrentSchemaInWalMode()
    {
        var path = folder.File("new.db");
        var store = RegistryStore.Open(path);

        Assert.Equal(Schema.CurrentVersion, await ScalarAsync(store, "PRAGMA user_version;"));
        var mode = await store.ReadAsync(async (c, ct) =>
        {
            using var command = c.CreateCommand();
            command.CommandText = "PRAGMA journal_mode;";
            return (string)(await command.ExecuteScalarAsync(ct))!;
        }, CancellationToken.None);
        Assert.Equal("wal", mode);
        Assert.Equal(2L, await ScalarAsync(store, "PRAGMA synchronous;")); // FULL
    }

    [Fact]
    public async Task Write_ThatThrows_RecordsNothing()
    {
        var store = RegistryStore.Open(folder.File("atomic.db"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(async (c, t, ct) =>
        {
            using var insert = c.CreateCommand();
            insert.Transaction = t;
            insert.CommandText = "INSERT INTO notifications (tenant_id, level, message, created) VALUES ('t', 'Info', 'm', 'now');";
            await insert.ExecuteNonQueryAsync(ct);
            throw new InvalidOperationException("boom");
        }, CancellationToken.None));

        Assert.Equal(0L, await ScalarAsync(store, "SELECT COUNT(*) FROM notifications;"));
    }

    [Fact]
    public void Open_FileThatIsNotADatabase_FailsWithStoreCorruptAndLeavesItUntouched()
    {
        var path = folder.File("garbage.db");
        var garbage = Enumerable.Range(0, 8192).Select(i => (byte)(i * 7)).ToArray();
        File.WriteAllBytes(path, garbage);

        var error = Assert.Throws<CasException>(() => RegistryStore.Open(path));

        Assert.Equal(ErrorIds.StoreCorrupt, error.ErrorId);
        Assert.NotNull(error.RecommendedAction);
        Assert.Equal(garbage, File.ReadAllBytes(path));
    }

    [Fact]
    public void Open_NewerSchema_FailsWithStoreSchemaTooNewAndLeavesItUntouched()
    {
        var path = folder.File("future.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE TABLE future (x); PRAGMA user_version = {Schema.CurrentVersion + 5};";
            command.ExecuteNonQuery();
        }

        var before = File.ReadAllBytes(path);

        var error = Assert.Throws<CasException>(() => RegistryStore.Open(path));

        Assert.Equal(ErrorIds.StoreSchemaTooNew, error.ErrorId);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task Write_ToReadOnlyFile_FailsWithStoreReadOnlyAndChangesNothing()
    {
        var path = folder.File("readonly.db");
        RegistryStore.Open(path);
        RegistryStore.Forget(path);
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(path, FileAttributes.ReadOnly);
        }
        else
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        }

        var before = File.ReadAllBytes(path);

        var store = RegistryStore.Open(path);
        var error = await Assert.ThrowsAsync<CasException>(() => store.WriteAsync((c, t, ct) => Task.CompletedTask, CancellationToken.None));

        Assert.Equal(ErrorIds.StoreReadOnly, error.ErrorId);
        Assert.Equal(0L, await ScalarAsync(store, "SELECT COUNT(*) FROM service_accounts;"));
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task Write_WhileAnotherProcessHoldsTheWriteLock_FailsWithStoreLocked()
    {
        var path = folder.File("locked.db");
        RegistryStore.Open(path);
        RegistryStore.Forget(path);
        var store = RegistryStore.Open(path, busyTimeout: TimeSpan.FromSeconds(1));

        using var holder = new SqliteConnection($"Data Source={path};Pooling=False");
        holder.Open();
        using var hold = holder.BeginTransaction(deferred: false);

        var error = await Assert.ThrowsAsync<CasException>(() => store.WriteAsync(async (c, t, ct) =>
        {
            using var insert = c.CreateCommand();
            insert.Transaction = t;
            insert.CommandText = "INSERT INTO notifications (tenant_id, level, message, created) VALUES ('t', 'Info', 'm', 'now');";
            await insert.ExecuteNonQueryAsync(ct);
        }, CancellationToken.None));

        Assert.Equal(ErrorIds.StoreLocked, error.ErrorId);
        hold.Rollback();
        Assert.Equal(0L, await ScalarAsync(store, "SELECT COUNT(*) FROM notifications;"));
    }

    [Fact]
    public void Locator_PrefersExplicitPathThenEnvironment()
    {
        var explicitPath = folder.File("explicit.db");
        Assert.Equal(explicitPath, StoreLocator.Resolve(explicitPath));
        Assert.EndsWith(StoreLocator.FileName, StoreLocator.Resolve(null));
    }
}
