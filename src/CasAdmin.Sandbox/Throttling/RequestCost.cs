namespace CasAdmin.Sandbox.Throttling;

/// <summary>Which documented limit family a Graph resource belongs to.</summary>
internal enum BucketFamily
{
    /// <summary>Not throttled (the $batch envelope; its inner requests are).</summary>
    None,

    /// <summary>Identity and access: resource units per app per tenant, writes, and the per-app global limits.</summary>
    IdentityAndAccess,

    /// <summary>Teams: about 30 requests per second per app per tenant.</summary>
    Teams,

    /// <summary>GET /users/{id}/chats/getAllMessages: 200 requests per second per app per tenant.</summary>
    TeamsGetAllMessages,
}

/// <summary>What a route declares: its base cost in resource units (learn.microsoft.com/graph/throttling-limits), whether it writes, and its family.</summary>
internal sealed record RequestCost(int BaseResourceUnits, bool IsWrite, BucketFamily Family)
{
    public static RequestCost Free { get; } = new(0, false, BucketFamily.None);

    /// <summary>
    /// Whether Graph reports this request's quota in its headers: x-ms-resource-unit and x-ms-throttle-limit-percentage on
    /// regular answers, x-ms-throttle-scope and x-ms-throttle-information on 429s. Microsoft documents these headers only
    /// in the "Identity and access service limits" section of learn.microsoft.com/graph/throttling-limits ("Additional
    /// headers"); its Teams section, and the subscription and chat APIs, name none, so their 429s carry Retry-After alone.
    /// </summary>
    public bool ReportsQuota => Family == BucketFamily.IdentityAndAccess;

    public static RequestCost Read(int resourceUnits = 1) => new(resourceUnits, false, BucketFamily.IdentityAndAccess);

    public static RequestCost Write() => new(1, true, BucketFamily.IdentityAndAccess);

    public static RequestCost TeamsRead(int resourceUnits = 1) => new(resourceUnits, false, BucketFamily.Teams);

    public static RequestCost TeamsGetAllMessages { get; } = new(1, false, BucketFamily.TeamsGetAllMessages);

    /// <summary>Applies the documented query adjustments: $select −1, $expand +1, $top &lt; 20 −1, minimum 1. Writes cost 1 RU + 1 write.</summary>
    public int ResourceUnits(IReadOnlyDictionary<string, string> query)
    {
        if (Family == BucketFamily.None)
        {
            return 0;
        }

        if (IsWrite)
        {
            return 1;
        }

        var ru = BaseResourceUnits;
        if (query.ContainsKey("$select"))
        {
            ru--;
        }

        if (query.ContainsKey("$expand"))
        {
            ru++;
        }

        if (query.TryGetValue("$top", out var top) && int.TryParse(top, out var t) && t < 20)
        {
            ru--;
        }

        return Math.Max(1, ru);
    }
}
