using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>POST /users, PATCH /users/{id | userPrincipalName}, DELETE /users/{id | userPrincipalName} (to deleted items).</summary>
internal static class UserWriteEndpoints
{
    public static readonly GraphPermission Write = new(
        ["User.ReadWrite.All", "Directory.ReadWrite.All"],
        ["User.ReadWrite.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"]);

    private static readonly HashSet<string> ReadOnly = new(StringComparer.OrdinalIgnoreCase) { "id", "createdDateTime", "deletedDateTime", "userType", "onPremisesSyncEnabled" };

    public static void Map(GraphRouter r)
    {
        r.Map("POST", "/users", RequestCost.Write(), Write, call => Task.FromResult(Create(call)));
        r.Map("PATCH", "/users/{id}", RequestCost.Write(), Write, call => Task.FromResult(Update(call)));
        r.Map("DELETE", "/users/{id}", RequestCost.Write(), Write, call => Task.FromResult(Delete(call)));
    }

    private static GraphResponse Create(GraphCall call)
    {
        var body = GraphBodies.Body(call);
        var accountEnabled = GraphBodies.Bool(body, "accountEnabled") ?? throw Invalid("accountEnabled");
        var displayName = GraphBodies.String(body, "displayName");
        var nickname = GraphBodies.String(body, "mailNickname");
        var upn = GraphBodies.String(body, "userPrincipalName");
        if (string.IsNullOrWhiteSpace(displayName))
        {
            throw Invalid("displayName");
        }

        if (string.IsNullOrWhiteSpace(nickname))
        {
            throw Invalid("mailNickname");
        }

        if (string.IsNullOrWhiteSpace(upn))
        {
            throw Invalid("userPrincipalName");
        }

        var password = GraphBodies.Get(body, "passwordProfile") is JsonObject profile ? GraphBodies.String(profile, "password") : null;
        if (string.IsNullOrEmpty(password))
        {
            throw Invalid("passwordProfile");
        }

        var t = call.Tenant;
        CheckDomain(t, upn);
        var now = call.Runtime.Time.GetUtcNow();
        var user = new DirectoryUser
        {
            Id = Guid.NewGuid().ToString(),
            UserPrincipalName = upn,
            DisplayName = displayName,
            MailNickname = nickname,
            AccountEnabled = accountEnabled,
            Password = password,
            CreatedDateTime = now,
        };
        Apply(user, body, skipIdentity: true);
        JsonObject json;
        lock (t.Sync)
        {
            if (t.Users.Find(upn) is not null)
            {
                var conflict = GraphErrors.Create(call.Request, 400, "Request_BadRequest", "Another object with the same value for property userPrincipalName already exists.", now);
                conflict.DuplicateCreate = true;
                return conflict;
            }
            t.Users.Add(user);
            json = GraphJson.User(user);
        }
        return GraphBodies.Created(call, "users", Project(json, GraphJson.UserDefaultProperties), user.Id);
    }

    private static GraphResponse Update(GraphCall call)
    {
        var body = GraphBodies.Body(call);
        var t = call.Tenant;
        lock (t.Sync)
        {
            var user = t.Users.Find(call.Values["id"]) ?? throw GraphException.NotFound(call.Values["id"]);
            var previous = user.UserPrincipalName;
            if (GraphBodies.String(body, "userPrincipalName") is { } upn && !upn.Equals(previous, StringComparison.OrdinalIgnoreCase))
            {
                CheckDomain(t, upn);
                if (t.Users.Find(upn) is not null)
                {
                    throw new GraphException(400, "Request_BadRequest", "Another object with the same value for property userPrincipalName already exists.");
                }
            }
            Apply(user, body, skipIdentity: false);
            t.Users.Save(user, previous);
        }
        return GraphBodies.NoContent();
    }

    private static GraphResponse Delete(GraphCall call)
    {
        var t = call.Tenant;
        var now = call.Runtime.Time.GetUtcNow();
        lock (t.Sync)
        {
            var user = t.Users.Remove(call.Values["id"]) ?? throw GraphException.NotFound(call.Values["id"]);
            // Directory roles end with the account; group memberships come back on restore, as in Entra.
            t.RoleAssignments.RemoveAll(a => a.PrincipalId.Equals(user.Id, StringComparison.OrdinalIgnoreCase));
            var memberOf = t.Groups.Values.Where(g => g.Members.RemoveAll(m => m.Equals(user.Id, StringComparison.OrdinalIgnoreCase)) > 0).ToList();
            t.DeletedItems.Add(new DeletedDirectoryObject
            {
                Id = user.Id,
                TypeName = "user",
                Item = user,
                DisplayName = user.DisplayName,
                DeletedDateTime = now,
                Json = () => GraphJson.User(user),
                Restore = () =>
                {
                    t.Users.Restore(user);
                    foreach (var g in memberOf.Where(g => t.Groups.ContainsKey(g.Id) && !g.Members.Contains(user.Id)))
                    {
                        g.Members.Add(user.Id);
                    }
                },
            });
        }
        return GraphBodies.NoContent();
    }

    /// <summary>Copies the writable user properties in the body; unknown or read-only ones are a 400 like Graph's.</summary>
    private static void Apply(DirectoryUser u, JsonObject body, bool skipIdentity)
    {
        foreach (var (key, _) in body)
        {
            if (key.StartsWith('@') || key.Contains("@odata.", StringComparison.Ordinal))
            {
                continue;
            }

            if (ReadOnly.Contains(key))
            {
                throw new GraphException(400, "Request_BadRequest", $"Property '{key}' is read-only and cannot be set.");
            }

            switch (key.ToLowerInvariant())
            {
                case "accountenabled": u.AccountEnabled = GraphBodies.Bool(body, key) ?? throw Invalid(key); break;
                case "displayname": u.DisplayName = NonEmpty(body, key); break;
                case "userprincipalname":
                    if (!skipIdentity)
                    {
                        u.UserPrincipalName = NonEmpty(body, key);
                    }

                    break;
                case "mailnickname": u.MailNickname = NonEmpty(body, key); break;
                case "passwordprofile":
                    if (GraphBodies.Get(body, key) is JsonObject p && GraphBodies.String(p, "password") is { Length: > 0 } pw)
                    {
                        u.Password = pw;
                    }
                    else if (!skipIdentity)
                    {
                        throw Invalid(key);
                    }

                    break;
                case "givenname": u.GivenName = GraphBodies.String(body, key); break;
                case "surname": u.Surname = GraphBodies.String(body, key); break;
                case "jobtitle": u.JobTitle = GraphBodies.String(body, key); break;
                case "department": u.Department = GraphBodies.String(body, key); break;
                case "officelocation": u.OfficeLocation = GraphBodies.String(body, key); break;
                case "mobilephone": u.MobilePhone = GraphBodies.String(body, key); break;
                case "usagelocation": u.UsageLocation = GraphBodies.String(body, key); break;
                case "preferredlanguage": u.PreferredLanguage = GraphBodies.String(body, key); break;
                case "mail": u.Mail = GraphBodies.String(body, key); break;
                case "businessphones": _ = GraphBodies.Strings(body, key); break;
                default: throw new GraphException(400, "Request_BadRequest", $"Property '{key}' does not exist as a declared property or extension property.");
            }
        }
    }

    private static string NonEmpty(JsonObject body, string key)
    {
        var value = GraphBodies.String(body, key);
        return string.IsNullOrWhiteSpace(value) ? throw Invalid(key) : value;
    }

    private static void CheckDomain(TenantState t, string upn)
    {
        var at = upn.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || !upn[(at + 1)..].Equals(t.Domain, StringComparison.OrdinalIgnoreCase))
        {
            throw new GraphException(400, "Request_BadRequest",
                "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.");
        }
    }

    private static JsonObject Project(JsonObject full, IReadOnlyList<string> properties)
    {
        var result = new JsonObject();
        foreach (var name in properties)
        {
            result[name] = full[name]?.DeepClone();
        }

        return result;
    }

    private static GraphException Invalid(string property) =>
        new(400, "Request_BadRequest", $"Invalid value specified for property '{property}' of resource 'User'.");
}
