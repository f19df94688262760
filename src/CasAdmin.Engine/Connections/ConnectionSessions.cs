namespace CasAdmin.Engine.Connections;

/// <summary>
/// Ties a <see cref="CasConnection"/> (a BCL-only type that scripts can name) to the engine's sign-in state, which
/// lives in the engine's private load context with MSAL and the Graph SDK.
/// </summary>
internal static class ConnectionSessions
{
    public static CasConnection Create(ConnectionContext context, ConnectionIdentity identity, string? storePath) =>
        new(context, identity.TenantId, context.Endpoints.Cloud, context.Mode, context.Endpoints.Cloud == CasCloud.Sandbox ? context.Endpoints.GraphEndpoint : null)
        {
            Account = identity.Account,
            AppId = identity.AppId,
            DirectoryRoles = identity.DirectoryRoles,
            Permissions = identity.Permissions,
            ExpiresOn = identity.ExpiresOn,
            IsAppOnly = identity.IsAppOnly,
            ObjectId = identity.ObjectId,
            StorePath = storePath,
        };

    extension(CasConnection connection)
    {
        /// <summary>The engine's state of the connection: endpoints, token source, Graph gateway.</summary>
        internal ConnectionContext Context => (ConnectionContext)connection.Session;
    }
}
