using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// POST /applications, PATCH/DELETE /applications/{id}, POST …/addPassword and …/removePassword. A DELETE moves the
/// app (and its home-tenant service principal) to deleted items. A new app, and a secret added here, replicate after
/// their own delay (<see cref="ReplicationLag"/>): until then the app reads 404 and the secret gets AADSTS7000215 at the
/// token endpoint. Removed secrets stop working at once (AADSTS7000215).
/// </summary>
internal static class ApplicationWriteEndpoints
{
    public static readonly GraphPermission Write = new(
        ["Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.ReadWrite.All"],
        ["Application.ReadWrite.All", "Directory.AccessAsUser.All"]);

    private static readonly TimeSpan DefaultSecretLifetime = TimeSpan.FromDays(730);
    private static readonly HashSet<string> Audiences = new(StringComparer.Ordinal) { "AzureADMyOrg", "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount" };
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-";

    public static void Map(GraphRouter r)
    {
        r.Map("POST", "/applications", RequestCost.Write(), Write, call => Task.FromResult(Create(call)));
        r.Map("PATCH", "/applications/{id}", RequestCost.Write(), Write, call => Task.FromResult(Update(call)));
        r.Map("DELETE", "/applications/{id}", RequestCost.Write(), Write, call => Task.FromResult(Delete(call)));
        r.Map("POST", "/applications/{id}/addPassword", RequestCost.Write(), Write, call => Task.FromResult(AddPassword(call)));
        r.Map("POST", "/applications/{id}/removePassword", RequestCost.Write(), Write, call => Task.FromResult(RemovePassword(call)));
    }

    private static GraphResponse Create(GraphCall call)
    {
        var body = GraphBodies.Body(call);
        var displayName = GraphBodies.String(body, "displayName");
        if (string.IsNullOrWhiteSpace(displayName))
        {
            throw GraphException.BadRequest("Property 'displayName' is required for resource 'application'.");
        }

        var now = call.Runtime.Time.GetUtcNow();
        var appId = Guid.NewGuid().ToString();
        var app = new Application
        {
            Id = Guid.NewGuid().ToString(),
            AppId = appId,
            DisplayName = displayName,
            HomeTenantId = call.Tenant.Id,
            CreatedDateTime = now,
            ReplicationShare = ReplicationLag.Draw(),
            ReplicationBoundMs = call.Runtime.Replication.LagMs,
        };
        Apply(app, body);
        bool duplicate;
        JsonObject json;
        lock (call.Tenant.Sync)
        {
            duplicate = call.Tenant.Applications.Values.Any(a => a.DisplayName.Equals(displayName, StringComparison.OrdinalIgnoreCase));
            call.Tenant.Applications[app.Id] = app;
            json = GraphJson.Application(app);
        }
        var response = GraphBodies.Created(call, "applications", json, $"{app.Id}/Microsoft.DirectoryServices.Application");
        response.DuplicateCreate = duplicate;
        return response;
    }

    private static GraphResponse Update(GraphCall call)
    {
        var body = GraphBodies.Body(call);
        if (GraphBodies.Has(body, "passwordCredentials"))
        {
            throw GraphException.BadRequest("Property 'passwordCredentials' is read-only and cannot be set. Use addPassword.");
        }

        lock (call.Tenant.Sync)
        {
            var app = GraphBodies.Application(call, call.Values["id"]);
            if (GraphBodies.String(body, "displayName") is { } name)
            {
                if (string.IsNullOrWhiteSpace(name))
                {
                    throw GraphException.BadRequest("Property 'displayName' cannot be empty.");
                }

                app.DisplayName = name;
            }
            Apply(app, body);
        }
        return GraphBodies.NoContent();
    }

    private static GraphResponse Delete(GraphCall call)
    {
        lock (call.Tenant.Sync)
        {
            var app = GraphBodies.Application(call, call.Values["id"]);
            DirectoryRecycler.DeleteApplication(call.Tenant, app, call.Runtime.Time.GetUtcNow(), call.Runtime.Replication.LagMs);
        }
        return GraphBodies.NoContent();
    }

    private static GraphResponse AddPassword(GraphCall call)
    {
        var body = call.Request.Body as JsonObject ?? [];
        var requested = GraphBodies.Get(body, "passwordCredential") as JsonObject ?? [];
        var now = call.Runtime.Time.GetUtcNow();
        var start = GraphBodies.Date(requested, "startDateTime") ?? now;
        var end = GraphBodies.Date(requested, "endDateTime") ?? start + DefaultSecretLifetime;
        if (end <= start)
        {
            throw GraphException.BadRequest("Invalid value specified for property 'endDateTime' of resource 'PasswordCredential': it must be later than startDateTime.");
        }

        var credential = new PasswordCredential
        {
            KeyId = Guid.NewGuid().ToString(),
            DisplayName = GraphBodies.String(requested, "displayName"),
            SecretText = NewSecret(),
            StartDateTime = start,
            EndDateTime = end,
            AddedDateTime = now,
            ReplicationShare = ReplicationLag.Draw(),
            ReplicationBoundMs = call.Runtime.Replication.LagMs,
        };
        lock (call.Tenant.Sync)
        {
            var app = GraphBodies.Application(call, call.Values["id"]);
            var policy = call.Tenant.AppManagementPolicy;
            if (policy.PasswordLifetimeLimit(app.CreatedDateTime) is { } max && end - start > max)
            {
                return LifetimeRefused(call, now);
            }
            if (app.PasswordCredentials.Count >= 100)
            {
                throw GraphException.BadRequest("The number of password credentials on the application exceeds the maximum allowed.");
            }

            app.PasswordCredentials.Add(credential);
        }
        return GraphCall.Ok(new JsonObject
        {
            ["@odata.context"] = $"{call.Request.BaseUrl}v1.0/$metadata#microsoft.graph.passwordCredential",
            ["customKeyIdentifier"] = null,
            ["displayName"] = credential.DisplayName,
            ["endDateTime"] = GraphJson.Date(credential.EndDateTime),
            ["hint"] = credential.Hint,
            ["keyId"] = credential.KeyId,
            ["secretText"] = credential.SecretText,
            ["startDateTime"] = GraphJson.Date(credential.StartDateTime),
        });
    }

    private static GraphResponse LifetimeRefused(GraphCall call, DateTimeOffset now)
    {
        var r = GraphErrors.Create(call.Request, 400, "CredentialInvalidLifetimeAsPerAppPolicy",
            $"Credential lifetime exceeds the max value allowed as per assigned policy '{AppManagementPolicy.DefaultId}'.", now);
        r.Body!["error"]!["details"] = new JsonArray(new JsonObject { ["code"] = "InvalidKeyEndDate", ["target"] = "EndDate" });
        return r;
    }

    private static GraphResponse RemovePassword(GraphCall call)
    {
        var body = GraphBodies.Body(call);
        var keyId = GraphBodies.String(body, "keyId") ?? throw GraphException.BadRequest("Property 'keyId' is required.");
        lock (call.Tenant.Sync)
        {
            var app = GraphBodies.Application(call, call.Values["id"]);
            var removed = app.PasswordCredentials.RemoveAll(p => p.KeyId.Equals(keyId, StringComparison.OrdinalIgnoreCase));
            if (removed == 0)
            {
                throw new GraphException(400, "invalidRequest", $"No password credential found with keyId '{keyId}'.");
            }
        }
        return GraphBodies.NoContent();
    }

    /// <summary>Properties POST and PATCH share.</summary>
    private static void Apply(Application app, JsonObject body)
    {
        if (GraphBodies.String(body, "signInAudience") is { } audience)
        {
            if (!Audiences.Contains(audience))
            {
                throw GraphException.BadRequest($"Invalid value specified for property 'signInAudience' of resource 'Application'.");
            }

            app.SignInAudience = audience;
        }
        if (GraphBodies.Has(body, "description"))
        {
            app.Description = GraphBodies.String(body, "description");
        }

        if (GraphBodies.Has(body, "notes"))
        {
            app.Notes = GraphBodies.String(body, "notes");
        }

        if (GraphBodies.Bool(body, "isFallbackPublicClient") is { } fallback)
        {
            app.IsFallbackPublicClient = fallback;
        }

        if (GraphBodies.Strings(body, "tags") is { } tags)
        {
            Replace(app.Tags, tags);
        }

        if (GraphBodies.Get(body, "web") is JsonObject web && GraphBodies.Strings(web, "redirectUris") is { } webUris)
        {
            Replace(app.WebRedirectUris, Uris(webUris));
        }

        if (GraphBodies.Get(body, "publicClient") is JsonObject pc && GraphBodies.Strings(pc, "redirectUris") is { } pcUris)
        {
            Replace(app.PublicClientRedirectUris, Uris(pcUris));
        }

        if (GraphBodies.Get(body, "requiredResourceAccess") is { } rra)
        {
            if (rra is not JsonArray list)
            {
                throw GraphException.BadRequest("Invalid value for property 'requiredResourceAccess'.");
            }

            var parsed = new List<RequiredResourceAccess>();
            foreach (var item in list.OfType<JsonObject>())
            {
                var resourceAppId = GraphBodies.RequiredGuid(item, "resourceAppId");
                var access = new List<ResourceAccess>();
                if (GraphBodies.Get(item, "resourceAccess") is JsonArray entries)
                {
                    foreach (var e in entries.OfType<JsonObject>())
                    {
                        var type = GraphBodies.String(e, "type");
                        if (type is not ("Role" or "Scope"))
                        {
                            throw GraphException.BadRequest("Invalid value specified for property 'type' of resource 'ResourceAccess'.");
                        }

                        access.Add(new ResourceAccess(GraphBodies.RequiredGuid(e, "id"), type));
                    }
                }
                parsed.Add(new RequiredResourceAccess(resourceAppId, access));
            }
            app.RequiredResourceAccess.Clear();
            app.RequiredResourceAccess.AddRange(parsed);
        }
    }

    private static List<string> Uris(List<string> uris)
    {
        foreach (var u in uris)
        {
            if (!Uri.TryCreate(u, UriKind.Absolute, out _))
            {
                throw GraphException.BadRequest($"Invalid value specified for property 'redirectUris' of resource 'Application': '{u}'.");
            }
        }
        return uris;
    }

    private static void Replace(List<string> target, IEnumerable<string> values)
    {
        target.Clear();
        target.AddRange(values);
    }

    /// <summary>An Entra-looking client secret: 40 characters, "8Q~" at positions 3–5 like real ones, first 3 = the hint.</summary>
    public static string NewSecret()
    {
        Span<char> chars = stackalloc char[40];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = SecretAlphabet[RandomNumberGenerator.GetInt32(i < 3 ? 62 : SecretAlphabet.Length)];
        }

        chars[3] = '8';
        chars[4] = 'Q';
        chars[5] = '~';
        return new string(chars);
    }
}
