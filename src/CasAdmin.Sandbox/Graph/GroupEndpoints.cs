using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// GET/POST /groups, GET/DELETE /groups/{id}, GET /groups/{id}/members (polymorphic: @odata.type on each member),
/// POST /groups/{id}/members/$ref, DELETE /groups/{id}/members/{memberId}/$ref. Deleted groups go to deleted items.
/// </summary>
internal static class GroupEndpoints
{
    public static readonly GraphPermission Read = new(
        ["Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
        ["Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"]);

    public static readonly GraphPermission ReadMembers = new(
        ["GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
        ["GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"]);

    public static readonly GraphPermission Write = new(
        ["Group.ReadWrite.All", "Directory.ReadWrite.All"],
        ["Group.ReadWrite.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"]);

    public static void Map(GraphRouter r)
    {
        r.MapGet("/groups", RequestCost.Read(1), Read, List);
        r.Map("POST", "/groups", RequestCost.Write(), Write, call => Task.FromResult(Create(call)));
        r.MapGet("/groups/{id}/members", RequestCost.Read(3), ReadMembers, Members);
        r.Map("POST", "/groups/{id}/members/$ref", RequestCost.Write(), Write, call => Task.FromResult(AddMember(call)));
        r.Map("DELETE", "/groups/{id}/members/{memberId}/$ref", RequestCost.Write(), Write, call => Task.FromResult(RemoveMember(call)));
        r.MapGet("/groups/{id}", RequestCost.Read(1), Read, call =>
        {
            JsonObject json;
            lock (call.Tenant.Sync)
            {
                json = Json(Find(call.Tenant, call.Values["id"]));
            }

            return GraphCall.Ok(ODataPaging.Entity(call.Request, "groups", json, "group"));
        });
        r.Map("DELETE", "/groups/{id}", RequestCost.Write(), Write, call => Task.FromResult(Delete(call)));
    }

    private static DirectoryGroup Find(TenantState t, string id) => t.Groups.TryGetValue(id, out var g) ? g : throw GraphException.NotFound(id);

    private static GraphResponse List(GraphCall call)
    {
        List<JsonObject> all;
        lock (call.Tenant.Sync)
        {
            all = call.Tenant.Groups.Values.OrderBy(g => g.CreatedDateTime).ThenBy(g => g.Id, StringComparer.Ordinal).Select(Json).ToList();
        }

        return GraphCall.Ok(ODataPaging.Page(call.Request, "groups", "group", offset => ApplicationEndpoints.Filter(call, all).Skip(offset)));
    }

    private static GraphResponse Create(GraphCall call)
    {
        var body = GraphBodies.Body(call);
        var displayName = GraphBodies.String(body, "displayName");
        var nickname = GraphBodies.String(body, "mailNickname");
        var mailEnabled = GraphBodies.Bool(body, "mailEnabled");
        var securityEnabled = GraphBodies.Bool(body, "securityEnabled");
        if (string.IsNullOrWhiteSpace(displayName))
        {
            throw Invalid("displayName");
        }

        if (string.IsNullOrWhiteSpace(nickname) || nickname.Any(c => char.IsWhiteSpace(c) || c is '@' or '(' or ')' or '\\' or '[' or ']' or '"' or ';' or ':' or '<' or '>' or ','))
        {
            throw Invalid("mailNickname");
        }

        if (mailEnabled is null)
        {
            throw Invalid("mailEnabled");
        }

        if (securityEnabled is null)
        {
            throw Invalid("securityEnabled");
        }

        var groupTypes = GraphBodies.Strings(body, "groupTypes") ?? [];
        var unified = groupTypes.Contains("Unified", StringComparer.OrdinalIgnoreCase);
        if (mailEnabled == true && !unified)
        {
            throw new GraphException(400, "Request_BadRequest", "Cannot create a mail-enabled security groups and or distribution list.");
        }

        var t = call.Tenant;
        var now = call.Runtime.Time.GetUtcNow();
        var group = new DirectoryGroup
        {
            Id = Guid.NewGuid().ToString(),
            DisplayName = displayName,
            Description = GraphBodies.String(body, "description"),
            MailNickname = nickname,
            MailEnabled = mailEnabled.Value,
            SecurityEnabled = securityEnabled.Value,
            Visibility = GraphBodies.String(body, "visibility") ?? (unified ? "Public" : null),
            IsAssignableToRole = GraphBodies.Bool(body, "isAssignableToRole"),
            Mail = unified ? $"{nickname}@{t.Domain}" : null,
            CreatedDateTime = now,
        };
        group.GroupTypes.AddRange(groupTypes);
        bool duplicate;
        JsonObject json;
        lock (t.Sync)
        {
            foreach (var reference in GraphBodies.Strings(body, "members@odata.bind") ?? [])
            {
                var id = ReferenceId(reference);
                if (DirectoryObject(t, id) is null)
                {
                    throw new GraphException(400, "Request_BadRequest", $"Invalid object identifier '{id}'.");
                }

                if (!group.Members.Contains(id, StringComparer.OrdinalIgnoreCase))
                {
                    group.Members.Add(id);
                }
            }
            foreach (var reference in GraphBodies.Strings(body, "owners@odata.bind") ?? [])
            {
                var id = ReferenceId(reference);
                if (DirectoryObject(t, id) is null)
                {
                    throw new GraphException(400, "Request_BadRequest", $"Invalid object identifier '{id}'.");
                }
            }
            // Entra allows two groups with one name; a client that creates the same group twice is what the stats must show.
            duplicate = t.Groups.Values.Any(g => g.DisplayName.Equals(displayName, StringComparison.OrdinalIgnoreCase));
            t.Groups[group.Id] = group;
            json = Json(group);
        }
        var response = GraphBodies.Created(call, "groups", json, group.Id);
        response.DuplicateCreate = duplicate;
        return response;
    }

    private static GraphResponse Delete(GraphCall call)
    {
        var t = call.Tenant;
        var now = call.Runtime.Time.GetUtcNow();
        lock (t.Sync)
        {
            var group = Find(t, call.Values["id"]);
            t.Groups.Remove(group.Id);
            // Memberships of the group in other groups and directory roles it was assigned go with it.
            var memberOf = t.Groups.Values.Where(g => g.Members.Remove(group.Id)).ToList();
            t.RoleAssignments.RemoveAll(a => a.PrincipalId.Equals(group.Id, StringComparison.OrdinalIgnoreCase));
            t.DeletedItems.Add(new DeletedDirectoryObject
            {
                Id = group.Id,
                TypeName = "group",
                Item = group,
                DisplayName = group.DisplayName,
                DeletedDateTime = now,
                Json = () => Json(group),
                Restore = () =>
                {
                    t.Groups[group.Id] = group;
                    foreach (var g in memberOf.Where(g => t.Groups.ContainsKey(g.Id) && !g.Members.Contains(group.Id)))
                    {
                        g.Members.Add(group.Id);
                    }
                },
            });
        }
        return GraphBodies.NoContent();
    }

    private static GraphResponse Members(GraphCall call)
    {
        var t = call.Tenant;
        List<JsonObject> members;
        lock (t.Sync)
        {
            var group = Find(t, call.Values["id"]);
            members = group.Members.Select(id => DirectoryObject(t, id)).OfType<JsonObject>().ToList();
        }
        var select = ODataPaging.Select(call.Request);
        var page = ODataPaging.Page(call.Request, "directoryObjects", "directoryObject",
            offset => ApplicationEndpoints.Filter(call, members).Skip(offset).Select(m => ProjectLenient(m, select)));
        return GraphCall.Ok(page);
    }

    private static GraphResponse AddMember(GraphCall call)
    {
        var body = GraphBodies.Body(call);
        var reference = GraphBodies.String(body, "@odata.id") ?? throw Invalid("@odata.id");
        var id = ReferenceId(reference);
        var t = call.Tenant;
        lock (t.Sync)
        {
            var group = Find(t, call.Values["id"]);
            if (DirectoryObject(t, id) is null)
            {
                throw GraphException.NotFound(id);
            }

            if (group.Members.Contains(id, StringComparer.OrdinalIgnoreCase))
            {
                throw new GraphException(400, "Request_BadRequest", "One or more added object references already exist for the following modified properties: 'members'.");
            }
            group.Members.Add(id);
        }
        return GraphBodies.NoContent();
    }

    private static GraphResponse RemoveMember(GraphCall call)
    {
        var t = call.Tenant;
        lock (t.Sync)
        {
            var group = Find(t, call.Values["id"]);
            var memberId = call.Values["memberId"];
            if (group.Members.RemoveAll(m => m.Equals(memberId, StringComparison.OrdinalIgnoreCase)) == 0)
            {
                throw GraphException.NotFound(memberId);
            }
        }
        return GraphBodies.NoContent();
    }

    /// <summary>A user, service principal or group by object id, as its Graph JSON with @odata.type first; null when there is none. Call under the lock.</summary>
    public static JsonObject? DirectoryObject(TenantState t, string id)
    {
        if (t.Users.Find(id) is { } u && u.Id.Equals(id, StringComparison.OrdinalIgnoreCase))
        {
            return Typed("user", GraphJson.User(u));
        }

        if (t.ServicePrincipals.TryGetValue(id, out var sp))
        {
            return Typed("servicePrincipal", GraphJson.ServicePrincipal(sp));
        }

        if (t.Groups.TryGetValue(id, out var g))
        {
            return Typed("group", Json(g));
        }

        return null;
    }

    private static JsonObject Typed(string type, JsonObject json)
    {
        var result = new JsonObject { ["@odata.type"] = $"#microsoft.graph.{type}" };
        foreach (var (k, v) in json)
        {
            result[k] = v?.DeepClone();
        }

        return result;
    }

    /// <summary>$select over mixed member types: each member keeps the selected properties it has (Graph omits the others).</summary>
    private static JsonObject ProjectLenient(JsonObject full, IReadOnlyList<string>? select)
    {
        if (select is null)
        {
            return full;
        }

        var result = new JsonObject { ["@odata.type"] = full["@odata.type"]?.DeepClone() };
        foreach (var name in select)
        {
            var match = full.FirstOrDefault(kv => kv.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (match.Key is not null)
            {
                result[match.Key] = match.Value?.DeepClone();
            }
        }
        return result;
    }

    /// <summary>The object id at the end of an @odata.bind / @odata.id reference ("https://graph.microsoft.com/v1.0/directoryObjects/{id}").</summary>
    private static string ReferenceId(string reference)
    {
        var trimmed = reference.TrimEnd('/');
        var id = trimmed[(trimmed.LastIndexOf('/') + 1)..];
        return Guid.TryParse(id, out var g) ? g.ToString() : throw new GraphException(400, "Request_BadRequest", $"Invalid object identifier '{id}'.");
    }

    private static GraphException Invalid(string property) =>
        new(400, "Request_BadRequest", $"Invalid value specified for property '{property}' of resource 'Group'.");

    public static JsonObject Json(DirectoryGroup g) => new()
    {
        ["id"] = g.Id,
        ["deletedDateTime"] = null,
        ["classification"] = null,
        ["createdDateTime"] = GraphJson.Date(g.CreatedDateTime),
        ["creationOptions"] = new JsonArray(),
        ["description"] = g.Description,
        ["displayName"] = g.DisplayName,
        ["expirationDateTime"] = null,
        ["groupTypes"] = new JsonArray([.. g.GroupTypes.Select(x => (JsonNode?)JsonValue.Create(x))]),
        ["isAssignableToRole"] = g.IsAssignableToRole,
        ["mail"] = g.Mail,
        ["mailEnabled"] = g.MailEnabled,
        ["mailNickname"] = g.MailNickname,
        ["membershipRule"] = null,
        ["membershipRuleProcessingState"] = null,
        ["onPremisesDomainName"] = null,
        ["onPremisesLastSyncDateTime"] = null,
        ["onPremisesNetBiosName"] = null,
        ["onPremisesSamAccountName"] = null,
        ["onPremisesSecurityIdentifier"] = null,
        ["onPremisesSyncEnabled"] = null,
        ["preferredDataLocation"] = null,
        ["preferredLanguage"] = null,
        ["proxyAddresses"] = g.Mail is null ? new JsonArray() : new JsonArray($"SMTP:{g.Mail}"),
        ["renewedDateTime"] = GraphJson.Date(g.CreatedDateTime),
        ["resourceBehaviorOptions"] = new JsonArray(),
        ["resourceProvisioningOptions"] = new JsonArray(),
        ["securityEnabled"] = g.SecurityEnabled,
        ["securityIdentifier"] = SecurityIdentifier(g.Id),
        ["theme"] = null,
        ["visibility"] = g.Visibility,
        ["onPremisesProvisioningErrors"] = new JsonArray(),
        ["serviceProvisioningErrors"] = new JsonArray(),
    };

    /// <summary>Entra's SID for cloud objects: S-1-12-1 followed by the object id's four 32-bit words.</summary>
    private static string SecurityIdentifier(string id)
    {
        var b = Guid.Parse(id).ToByteArray();
        return $"S-1-12-1-{BitConverter.ToUInt32(b, 0)}-{BitConverter.ToUInt32(b, 4)}-{BitConverter.ToUInt32(b, 8)}-{BitConverter.ToUInt32(b, 12)}";
    }
}
