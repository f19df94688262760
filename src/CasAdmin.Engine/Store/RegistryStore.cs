using System.Collections.Concurrent;
using System.Data.Common;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Engine.Store;

/// <summary>
/// The registry: an SQLite file (the default) or a PostgreSQL database shared by several runners. Repositories
/// are written once against <see cref="DbConnection"/>; each store only decides how a read or a write gets its
/// connection and transaction, how its errors read, and how its schema version is kept.
/// </summary>
internal abstract class RegistryStore
{
    private static readonly ConcurrentDictionary<string, RegistryStore> Opened = new(StringComparer.Ordinal);

    protected RegistryStore(string path, bool readOnly)
    {
        Path = path;
        IsReadOnly = readOnly;
    }

    /// <summary>Where the registry is, for messages: a file path, or a PostgreSQL address without any password.</summary>
    public string Path { get; }

    /// <summary>True when the registry can only be read: reads work, every write fails with StoreReadOnly.</summary>
    public bool IsReadOnly { get; }

    /// <summary>
    /// Opens (creating and migrating when needed) the registry named by a path or a PostgreSQL connection string;
    /// one instance per registry per process. With <paramref name="create"/> false (a read), a file registry in a
    /// folder that does not exist is an error instead of a new, empty registry.
    /// </summary>
    public static RegistryStore Open(string? path = null, TimeSpan? busyTimeout = null, bool create = true)
    {
        var resolved = StoreLocator.Resolve(path);
        if (Opened.TryGetValue(resolved, out var existing))
        {
            return existing;
        }

        RegistryStore store = StoreLocator.IsConnectionString(resolved)
            ? PostgresRegistryStore.Create(resolved)
            : SqliteRegistryStore.Create(resolved, busyTimeout ?? TimeSpan.FromSeconds(30), create || !StoreLocator.IsExplicit(path));
        return Opened.GetOrAdd(resolved, store);
    }

    /// <summary>
    /// True when a read can answer "nothing" without opening anything: a file registry that does not exist yet in a
    /// folder that does. Reads then create nothing (only writes do); a missing folder is still an error (a typo).
    /// </summary>
    internal static bool NotCreatedYet(string? path)
    {
        var resolved = StoreLocator.Resolve(path);
        return !Opened.ContainsKey(resolved) && !StoreLocator.IsConnectionString(resolved) && !File.Exists(resolved) && !Directory.Exists(resolved)
            && Directory.Exists(System.IO.Path.GetDirectoryName(resolved));
    }

    /// <summary>
    /// Forgets the store opened for one registry and closes its pooled connections (tests that change or replace a
    /// registry under the same name). Only that registry: other registries open in the process keep their instances,
    /// and whatever hooks their tests set on them.
    /// </summary>
    internal static void Forget(string? path)
    {
        string resolved;
        try
        {
            resolved = StoreLocator.Resolve(path);
        }
        catch (CasException)
        {
            // A name that cannot be resolved (a refused connection string) was never opened.
            return;
        }

        if (Opened.TryRemove(resolved, out var store))
        {
            store.ClearPool();
        }
    }

    /// <summary>Closes the idle pooled connections of this registry.</summary>
    private protected abstract void ClearPool();

    /// <summary>Fails before any work starts when nothing could be recorded, so no tenant change is left unrecorded.</summary>
    public void EnsureWritable()
    {
        if (IsReadOnly)
        {
            throw ReadOnlyError(Path);
        }
    }

    /// <summary>Runs a read on its own connection.</summary>
    public abstract Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken);

    /// <summary>Runs a write in one transaction: all of it is recorded or none of it, and the call returns once it is durable.</summary>
    public abstract Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken);

    public Task WriteAsync(Func<DbConnection, DbTransaction, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        WriteAsync<bool>(async (c, t, ct) =>
        {
            await write(c, t, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>One attempt of a write, without the store's retries, for winding down after Ctrl+C.</summary>
    public virtual Task WriteOnceAsync(Func<DbConnection, DbTransaction, CancellationToken, Task> write) => WriteAsync(write, CancellationToken.None);

    /// <summary>
    /// A write that winds a run down (journaling a step's failure, letting go of a lease): like any write while the
    /// user has not canceled; once they have, one attempt only, so Ctrl+C with the registry down returns at once
    /// instead of waiting out the store's retries (a lease left behind expires, or is taken over by a rerun here).
    /// </summary>
    public Task WriteWindingDownAsync(Func<DbConnection, DbTransaction, CancellationToken, Task> write, CancellationToken userToken) =>
        userToken.IsCancellationRequested ? WriteOnceAsync(write) : WriteAsync(write, userToken);

    protected static CasException ReadOnlyError(string path) => new(
        ErrorIds.StoreReadOnly, CasErrorCategory.PermissionDenied,
        $"The registry '{path}' is read-only; nothing was changed.",
        "Make the file writable, or point -StorePath or CASADMIN_STORE at a writable registry.", path);
}
