using System.Text.Json.Nodes;

namespace CasAdmin.Sandbox.Tenants;

/// <summary>
/// One soft-deleted directory object of any kind (application, servicePrincipal, user, group, …), as
/// <c>/directory/deletedItems</c> shows it. The object itself is kept so restore can put it back.
/// </summary>
internal sealed class DeletedDirectoryObject
{
    public required string Id { get; init; }

    /// <summary>Graph type name without namespace: "application", "servicePrincipal", "user", "group".</summary>
    public required string TypeName { get; init; }

    /// <summary>The live object as it was when deleted (Application, ServicePrincipal, DirectoryUser, …).</summary>
    public required object Item { get; init; }

    public required DateTimeOffset DeletedDateTime { get; init; }

    /// <summary>The object's full Graph JSON (as the live resource serializes it); the store adds @odata.type and deletedDateTime.</summary>
    public required Func<JsonObject> Json { get; init; }

    /// <summary>Puts <see cref="Item"/> (and anything removed with it) back into the live collections; null when the kind cannot be restored. Called under the tenant lock.</summary>
    public Action? Restore { get; init; }

    public string? DisplayName { get; init; }

    /// <summary>Its share of the replication lag bound: until it has passed, the object can still be read by id (deletes replicate too).</summary>
    public double ReplicationShare { get; init; }

    /// <summary>The replication lag bound (lagMs) in force when the object was created (or deleted).</summary>
    public int ReplicationBoundMs { get; init; }

    /// <summary>Graph's JSON for the deleted object: the live shape with @odata.type first and deletedDateTime set.</summary>
    public JsonObject ToJson()
    {
        var result = new JsonObject { ["@odata.type"] = $"#microsoft.graph.{TypeName}" };
        foreach (var (k, v) in Json())
        {
            if (k == "@odata.type")
            {
                continue;
            }

            result[k] = v?.DeepClone();
        }
        result["deletedDateTime"] = DeletedDateTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        return result;
    }
}

/// <summary>
/// The tenant's recycle bin, generic over object kind: a DELETE of an application, service principal, user or group
/// moves the object here (<see cref="Add"/>); it stays 30 days, then disappears; GET /directory/deletedItems/{id}
/// reads it, DELETE /directory/deletedItems/{id} purges it, POST …/restore puts it back.
/// Not thread-safe on its own: use it under <see cref="TenantState.Sync"/> like every other tenant collection.
/// </summary>
internal sealed class DeletedItemStore
{
    public static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    private readonly Dictionary<string, DeletedDirectoryObject> _items = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Moves an object (already removed from its live collection by the caller) into deleted items.</summary>
    public void Add(DeletedDirectoryObject item) => _items[item.Id] = item;

    /// <summary>The deleted object, or null when unknown, purged or past the 30-day retention.</summary>
    public DeletedDirectoryObject? Find(string id, DateTimeOffset now)
    {
        if (!_items.TryGetValue(id, out var item))
        {
            return null;
        }

        if (item.DeletedDateTime + Retention > now)
        {
            return item;
        }

        _items.Remove(id);
        return null;
    }

    /// <summary>Deleted objects of one type (e.g. "application"), oldest deletion first; null type = every kind.</summary>
    public List<DeletedDirectoryObject> List(string? typeName, DateTimeOffset now)
    {
        foreach (var expired in _items.Values.Where(i => i.DeletedDateTime + Retention <= now).Select(i => i.Id).ToList())
        {
            _items.Remove(expired);
        }

        return _items.Values
            .Where(i => typeName is null || i.TypeName.Equals(typeName, StringComparison.OrdinalIgnoreCase))
            .OrderBy(i => i.DeletedDateTime).ThenBy(i => i.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Permanently deletes; false when the object is not in deleted items.</summary>
    public bool Purge(string id, DateTimeOffset now) => Find(id, now) is not null && _items.Remove(id);

    /// <summary>Takes the object out of deleted items and runs its restore action; null when it is not there or cannot be restored.</summary>
    public DeletedDirectoryObject? Restore(string id, DateTimeOffset now)
    {
        var item = Find(id, now);
        if (item?.Restore is null)
        {
            return null;
        }

        _items.Remove(id);
        item.Restore();
        return item;
    }

    public int Count => _items.Count;
}
