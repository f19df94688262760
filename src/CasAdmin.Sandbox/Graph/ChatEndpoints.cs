using System.Globalization;
using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// Teams chats over the tenant's lazily computed <see cref="ChatDirectory"/>: GET /users/{id}/chats, GET /chats/{id},
/// GET /chats/{id}/members (also under /users/{id}/chats/{id}), GET /users/{id}/chats/getAllMessages[()] with or without
/// model=A|B. Unmetered since 25 August 2025 (learn.microsoft.com/graph/teams-licenses): no 402 unless the historical
/// Evaluation Mode quota is switched back on (<see cref="TeamsApiAccess.MeteredEvaluation"/>). getAllMessages is a
/// protected API: an app without Microsoft's approval gets 403 (<see cref="RequireProtectedApiApproval"/>).
/// Throttled in the Teams family (30 rps per app per tenant; 200 rps for getAllMessages; both scaled).
/// </summary>
internal static class ChatEndpoints
{
    public const int MaxPageSize = 50;

    public static readonly GraphPermission ListChats = new(
        ["Chat.ReadBasic.All", "Chat.Read.All", "Chat.ReadWrite.All"],
        ["Chat.ReadBasic", "Chat.Read", "Chat.ReadWrite"]);

    public static readonly GraphPermission ReadMembers = new(
        ["ChatMember.Read.All", "ChatMember.ReadWrite.All", "Chat.ReadBasic.All", "Chat.Read.All", "Chat.ReadWrite.All"],
        ["ChatMember.Read", "ChatMember.ReadWrite", "Chat.ReadBasic", "Chat.Read", "Chat.ReadWrite"]);

    public static readonly GraphPermission ReadMessages = new(["Chat.Read.All", "Chat.ReadWrite.All"], []);

    public static void Map(GraphRouter r)
    {
        // getAllMessages before /users/{id}/chats/{chatId}: both shapes (the SDK sends "getAllMessages()").
        r.MapGet("/users/{id}/chats/getAllMessages()", RequestCost.TeamsGetAllMessages, ReadMessages, GetAllMessages);
        r.MapGet("/users/{id}/chats/getAllMessages", RequestCost.TeamsGetAllMessages, ReadMessages, GetAllMessages);
        r.MapGet("/users/{id}/chats", RequestCost.TeamsRead(), ListChats, List);
        r.MapGet("/users/{id}/chats/{chatId}", RequestCost.TeamsRead(), ListChats, call => Single(call, call.Values["chatId"]));
        r.MapGet("/users/{id}/chats/{chatId}/members", RequestCost.TeamsRead(), ReadMembers, call => Members(call, call.Values["chatId"]));
        r.MapGet("/chats/{chatId}", RequestCost.TeamsRead(), ListChats, call => Single(call, call.Values["chatId"]));
        r.MapGet("/chats/{chatId}/members", RequestCost.TeamsRead(), ReadMembers, call => Members(call, call.Values["chatId"]));
    }

    private static (ChatDirectory Chats, int? UserIndex, DirectoryUser User) Resolve(GraphCall call)
    {
        var user = UserEndpoints.Find(call.Tenant, call.Values["id"]) ?? throw GraphException.NotFound(call.Values["id"]);
        if (!call.Principal.IsApp && !user.Id.Equals(call.Principal.ObjectId, StringComparison.OrdinalIgnoreCase))
        {
            // Delegated callers read only their own chats.
            throw new GraphException(403, "Forbidden", "Requested API is not supported in delegated context for another user.");
        }
        var chats = call.Tenant.Teams.Chats;
        return (chats, chats.UserIndex(user.Id), user);
    }

    /// <summary>Teams chat lists page at most 50 items.</summary>
    private static void ValidateTop(GraphCall call)
    {
        if (call.Request.Query.TryGetValue("$top", out var raw)
            && (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var top) || top < 1 || top > MaxPageSize))
        {
            throw GraphException.BadRequest($"Invalid page size specified: '{raw}'. Must be between 1 and {MaxPageSize} inclusive.");
        }
    }

    private static GraphResponse List(GraphCall call)
    {
        var (chats, index, user) = Resolve(call);
        ValidateTop(call);
        var tenantId = call.Tenant.Id;
        IEnumerable<JsonObject> Source(int offset) =>
            ApplicationEndpoints.Filter(call, (index is { } u ? chats.ChatsOf(u) : []).Select(k => ChatJson(chats, tenantId, k))).Skip(offset);
        return GraphCall.Ok(ODataPaging.Page(call.Request, $"users('{user.Id}')/chats", "chat", Source, defaultPageSize: 20));
    }

    private static int Chat(ChatDirectory chats, string chatId) => chats.Parse(chatId) ?? throw new GraphException(404, "NotFound", $"Chat '{chatId}' was not found.");

    private static GraphResponse Single(GraphCall call, string chatId)
    {
        var chats = call.Tenant.Teams.Chats;
        var k = Chat(chats, chatId);
        if (call.Values.ContainsKey("id"))
        {
            RequireMember(call, chats, k);
        }

        return GraphCall.Ok(ODataPaging.Entity(call.Request, "chats", ChatJson(chats, call.Tenant.Id, k), "chat"));
    }

    private static void RequireMember(GraphCall call, ChatDirectory chats, int k)
    {
        var (_, index, _) = Resolve(call);
        if (index is not { } u || !chats.Members(k).Contains(u))
        {
            throw new GraphException(404, "NotFound", $"Chat '{chats.ChatId(k)}' was not found.");
        }
    }

    private static GraphResponse Members(GraphCall call, string chatId)
    {
        var chats = call.Tenant.Teams.Chats;
        var k = Chat(chats, chatId);
        if (call.Values.ContainsKey("id"))
        {
            RequireMember(call, chats, k);
        }

        var t = call.Tenant;
        var members = chats.Members(k).Select(i =>
        {
            var id = chats.UserId(i);
            var user = UserEndpoints.Find(t, id);
            return new JsonObject
            {
                ["@odata.type"] = "#microsoft.graph.aadUserConversationMember",
                ["id"] = chats.MembershipId(k, i),
                ["roles"] = new JsonArray("owner"),
                ["displayName"] = user?.DisplayName,
                ["visibleHistoryStartDateTime"] = "0001-01-01T00:00:00Z",
                ["userId"] = id,
                ["email"] = user?.Mail,
                ["tenantId"] = t.Id,
            };
        }).ToList();
        return GraphCall.Ok(ODataPaging.Page(call.Request, $"chats('{chatId}')/members", "conversationMember", offset => ApplicationEndpoints.Filter(call, members).Skip(offset)));
    }

    private static GraphResponse GetAllMessages(GraphCall call)
    {
        if (!call.Principal.IsApp)
        {
            throw new GraphException(403, "Forbidden", "Requested API is not supported in delegated context.");
        }

        var model = call.Request.Query.GetValueOrDefault("model");
        if (model is not null && !model.Equals("A", StringComparison.OrdinalIgnoreCase) && !model.Equals("B", StringComparison.OrdinalIgnoreCase))
        {
            throw GraphException.BadRequest($"Invalid model '{model}'. Supported values are 'A' and 'B'.");
        }
        RequireProtectedApiApproval(call);
        var (chats, index, _) = Resolve(call);
        ValidateTop(call);
        var t = call.Tenant;
        var now = call.Runtime.Time.GetUtcNow();
        var appId = call.Principal.AppId;
        var metered = model is null && call.Runtime.TeamsApis.MeteredEvaluation;
        if (metered)
        {
            lock (t.Sync)
            {
                if (t.Teams.EvaluationUsed(appId, now) >= TeamsChatState.EvaluationMonthlyQuota)
                {
                    throw EvaluationExceeded(appId);
                }
            }
        }
        IEnumerable<JsonObject> Source(int offset) =>
            ApplicationEndpoints.Filter(call, (index is { } u ? chats.ChatsOf(u) : [])
                .SelectMany(k => Enumerable.Range(0, chats.MessageCount(k)).Select(m => MessageJson(chats, t, k, m)))).Skip(offset);
        var page = ODataPaging.Page(call.Request, "Collection(chatMessage)", "chatMessage", Source, defaultPageSize: 20);
        if (metered)
        {
            var returned = page["value"]!.AsArray().Count;
            lock (t.Sync)
            {
                t.Teams.AddEvaluationUse(appId, now, Math.Max(1, returned));
            }
        }
        return GraphCall.Ok(page);
    }

    /// <summary>
    /// The 403 Graph gives an app-only caller of a protected Teams API (learn.microsoft.com/graph/teams-protected-apis) whose
    /// app id Microsoft has not approved. Microsoft's pages do not print the body; code and message are the ones Graph
    /// returns in the field, as quoted by vendors' troubleshooting pages (e.g. support.activenav.com, "Requesting Extra
    /// Approval for Protected APIs from Microsoft").
    /// </summary>
    public static void RequireProtectedApiApproval(GraphCall call)
    {
        if (call.Principal.IsApp && !call.Runtime.TeamsApis.IsProtectedApiApproved(call.Principal.AppId))
        {
            throw new GraphException(403, "Forbidden",
                "Invoked API requires Protected API access in application-only context when not using Resource Specific Consent. Visit https://docs.microsoft.com/en-us/graph/teams-protected-apis for more details.");
        }
    }

    public static GraphException EvaluationExceeded(string appId) => new(402, "PaymentRequired",
        $"Evaluation mode capacity has been exceeded for application '{appId}' this month. Use a licensing model (model=A or model=B) to continue.");

    public static JsonObject ChatJson(ChatDirectory chats, string tenantId, int k)
    {
        var id = chats.ChatId(k);
        var oneOnOne = chats.IsOneOnOne(k);
        var created = chats.ChatCreated(k);
        return new JsonObject
        {
            ["id"] = id,
            ["topic"] = oneOnOne ? null : $"Project {k % 97 + 1}",
            ["createdDateTime"] = Stamp(created),
            ["lastUpdatedDateTime"] = Stamp(chats.MessageCreated(k, chats.MessageCount(k) - 1)),
            ["chatType"] = oneOnOne ? "oneOnOne" : "group",
            ["webUrl"] = $"https://teams.microsoft.com/l/chat/{Uri.EscapeDataString(id)}/0?tenantId={tenantId}",
            ["tenantId"] = tenantId,
            ["isHiddenForAllMembers"] = false,
            ["onlineMeetingInfo"] = null,
            ["viewpoint"] = null,
        };
    }

    public static JsonObject MessageJson(ChatDirectory chats, TenantState t, int k, int m)
    {
        var created = chats.MessageCreated(k, m);
        var sender = chats.UserId(chats.MessageSender(k, m));
        var user = UserEndpoints.Find(t, sender);
        var id = created.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var chatId = chats.ChatId(k);
        return new JsonObject
        {
            ["id"] = id,
            ["replyToId"] = null,
            ["etag"] = id,
            ["messageType"] = "message",
            ["createdDateTime"] = Stamp(created),
            ["lastModifiedDateTime"] = Stamp(created),
            ["lastEditedDateTime"] = null,
            ["deletedDateTime"] = null,
            ["subject"] = null,
            ["summary"] = null,
            ["chatId"] = chatId,
            ["importance"] = "normal",
            ["locale"] = "en-us",
            ["webUrl"] = null,
            ["channelIdentity"] = null,
            ["policyViolation"] = null,
            ["eventDetail"] = null,
            ["from"] = new JsonObject
            {
                ["application"] = null,
                ["device"] = null,
                ["user"] = new JsonObject
                {
                    ["@odata.type"] = "#microsoft.graph.teamworkUserIdentity",
                    ["id"] = sender,
                    ["displayName"] = user?.DisplayName,
                    ["userIdentityType"] = "aadUser",
                    ["tenantId"] = t.Id,
                },
            },
            ["body"] = new JsonObject { ["contentType"] = "text", ["content"] = chats.MessageText(k, m) },
            ["attachments"] = new JsonArray(),
            ["mentions"] = new JsonArray(),
            ["reactions"] = new JsonArray(),
        };
    }

    private static string Stamp(DateTimeOffset d) => d.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
