using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// /directory/deletedItems over the tenant's <see cref="DeletedItemStore"/>, for every kind of object moved there:
/// GET /directory/deletedItems/{id}, GET /directory/deletedItems/microsoft.graph.{application|servicePrincipal|user|group},
/// DELETE /directory/deletedItems/{id} (purge, 204), POST /directory/deletedItems/{id}/restore. Permissions depend on the
/// object's kind (checked in the handlers).
/// </summary>
internal static class DeletedItemsEndpoints
{
    private static readonly GraphPermission AppRead = ApplicationEndpoints.Read;
    private static readonly GraphPermission AppWrite = ApplicationWriteEndpoints.Write;

    /// <summary>Read and write permissions per kind; unknown kinds fall back to Directory.Read.All / Directory.ReadWrite.All.</summary>
    private static readonly Dictionary<string, (GraphPermission Read, GraphPermission Write)> Kinds = new(StringComparer.OrdinalIgnoreCase)
    {
        ["application"] = (AppRead, AppWrite),
        ["servicePrincipal"] = (AppRead, AppWrite),
        ["user"] = (
            new(["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"], ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.AccessAsUser.All"]),
            new(["User.DeleteRestore.All", "User.ReadWrite.All", "Directory.ReadWrite.All"], ["User.DeleteRestore.All", "User.ReadWrite.All", "Directory.AccessAsUser.All"])),
        ["group"] = (
            new(["Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"], ["Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.AccessAsUser.All"]),
            new(["Group.ReadWrite.All", "Directory.ReadWrite.All"], ["Group.ReadWrite.All", "Directory.AccessAsUser.All"])),
    };

    private static readonly (GraphPermission Read, GraphPermission Write) Fallback = (
        new(["Directory.Read.All", "Directory.ReadWrite.All"], ["Directory.Read.All", "Directory.AccessAsUser.All"]),
        new(["Directory.ReadWrite.All"], ["Directory.AccessAsUser.All"]));

    public static void Map(GraphRouter r)
    {
        // Typed lists first: "microsoft.graph.application" would otherwise match {id}.
        foreach (var kind in Kinds.Keys)
        {
            r.MapGet($"/directory/deletedItems/microsoft.graph.{kind}", RequestCost.Read(1), null, call => List(call, kind));
        }
        r.MapGet("/directory/deletedItems/{id}", RequestCost.Read(1), null, Get);
        r.Map("DELETE", "/directory/deletedItems/{id}", RequestCost.Write(), null, call => Task.FromResult(Purge(call)));
        r.Map("POST", "/directory/deletedItems/{id}/restore", RequestCost.Write(), null, call => Task.FromResult(Restore(call)));
    }

    private static (GraphPermission Read, GraphPermission Write) For(string typeName) => Kinds.GetValueOrDefault(typeName, Fallback);

    private static GraphResponse List(GraphCall call, string kind)
    {
        GraphBodies.Demand(call, For(kind).Read);
        List<JsonObject> items;
        lock (call.Tenant.Sync)
        {
            items = call.Tenant.DeletedItems.List(kind, call.Runtime.Time.GetUtcNow()).Select(i => i.ToJson()).ToList();
        }

        return GraphCall.Ok(ODataPaging.Page(call.Request, $"directory/deletedItems/microsoft.graph.{kind}", kind, offset => ApplicationEndpoints.Filter(call, items).Skip(offset)));
    }

    private static GraphResponse Get(GraphCall call)
    {
        var id = call.Values["id"];
        DeletedDirectoryObject? item;
        JsonObject? json = null;
        lock (call.Tenant.Sync)
        {
            item = call.Tenant.DeletedItems.Find(id, call.Runtime.Time.GetUtcNow());
            if (item is not null)
            {
                json = item.ToJson();
            }
        }
        if (item is null)
        {
            throw GraphException.NotFound(id);
        }

        GraphBodies.Demand(call, For(item.TypeName).Read);
        return GraphCall.Ok(ODataPaging.Entity(call.Request, "directory/deletedItems", json!, item.TypeName));
    }

    private static GraphResponse Purge(GraphCall call)
    {
        var id = call.Values["id"];
        var now = call.Runtime.Time.GetUtcNow();
        lock (call.Tenant.Sync)
        {
            var item = call.Tenant.DeletedItems.Find(id, now) ?? throw GraphException.NotFound(id);
            GraphBodies.Demand(call, For(item.TypeName).Write);
            call.Tenant.DeletedItems.Purge(id, now);
        }
        return GraphBodies.NoContent();
    }

    private static GraphResponse Restore(GraphCall call)
    {
        var id = call.Values["id"];
        var now = call.Runtime.Time.GetUtcNow();
        JsonObject json;
        string typeName;
        lock (call.Tenant.Sync)
        {
            var item = call.Tenant.DeletedItems.Find(id, now) ?? throw GraphException.NotFound(id);
            GraphBodies.Demand(call, For(item.TypeName).Write);
            if (item.Restore is null)
            {
                throw GraphException.BadRequest($"Objects of type '{item.TypeName}' cannot be restored.");
            }

            call.Tenant.DeletedItems.Restore(id, now);
            json = item.Json();
            typeName = item.TypeName;
        }
        json["@odata.type"] = $"#microsoft.graph.{typeName}";
        return GraphCall.Ok(ODataPaging.Entity(call.Request, "directory/deletedItems", json, typeName));
    }
}
