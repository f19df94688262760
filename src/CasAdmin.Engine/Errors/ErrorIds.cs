namespace CasAdmin.Engine.Errors;

/// <summary>
/// Stable error ids. Scripts match on these (<c>FullyQualifiedErrorId</c> starts with one), so a
/// published id is never renamed.
/// </summary>
public static class ErrorIds
{
    // Sign-in (Entra ID)
    public const string InvalidClientSecret = nameof(InvalidClientSecret);
    public const string SecretExpired = nameof(SecretExpired);
    public const string AppNotFound = nameof(AppNotFound);
    public const string AppDisabled = nameof(AppDisabled);
    public const string AdminConsentMissing = nameof(AdminConsentMissing);
    public const string PermissionNotConfigured = nameof(PermissionNotConfigured);
    public const string TenantNotFound = nameof(TenantNotFound);
    public const string ReplyUrlMismatch = nameof(ReplyUrlMismatch);
    public const string MfaRequired = nameof(MfaRequired);
    public const string BlockedByConditionalAccess = nameof(BlockedByConditionalAccess);
    public const string InvalidScope = nameof(InvalidScope);
    public const string SignInExpired = nameof(SignInExpired);
    public const string TenantThrottled = nameof(TenantThrottled);
    public const string SignInFailed = nameof(SignInFailed);
    public const string SignInCanceled = nameof(SignInCanceled);
    public const string CertificateNotRegistered = nameof(CertificateNotRegistered);

    // Network (any endpoint: Entra ID, Microsoft Graph, the sandbox)
    public const string TenantUnreachable = nameof(TenantUnreachable);
    public const string SecureConnectionFailed = nameof(SecureConnectionFailed);
    public const string RequestTimedOut = nameof(RequestTimedOut);

    // Microsoft Graph
    public const string InsufficientPrivileges = nameof(InsufficientPrivileges);
    public const string ResourceNotFound = nameof(ResourceNotFound);
    public const string ThrottledTooLong = nameof(ThrottledTooLong);
    public const string PaymentRequired = nameof(PaymentRequired);
    public const string AccessTokenInvalid = nameof(AccessTokenInvalid);
    public const string GraphRequestFailed = nameof(GraphRequestFailed);
    public const string ServiceUnavailable = nameof(ServiceUnavailable);

    // Connections and input
    public const string NotConnected = nameof(NotConnected);
    public const string ConnectionParameterMissing = nameof(ConnectionParameterMissing);
    public const string ClientIdRequired = nameof(ClientIdRequired);
    public const string AdminAppNotRemembered = nameof(AdminAppNotRemembered);
    public const string CertificateNotFound = nameof(CertificateNotFound);
    public const string CertificateInvalid = nameof(CertificateInvalid);
    public const string SandboxCertificateMismatch = nameof(SandboxCertificateMismatch);
    public const string InvalidArgument = nameof(InvalidArgument);

    /// <summary>Two inputs name different tenants: -TenantId, -Connection, -AdminConnection or the account a command acts on.</summary>
    public const string TenantMismatch = nameof(TenantMismatch);

    // Roles
    public const string GlobalAdministratorRequired = nameof(GlobalAdministratorRequired);
    public const string PimActivationRequired = nameof(PimActivationRequired);

    // Registry
    public const string StoreLocked = nameof(StoreLocked);
    public const string StoreReadOnly = nameof(StoreReadOnly);
    public const string StoreCorrupt = nameof(StoreCorrupt);
    public const string StoreSchemaTooNew = nameof(StoreSchemaTooNew);
    public const string StoreUnavailable = nameof(StoreUnavailable);
    public const string StoreAccessDenied = nameof(StoreAccessDenied);
    public const string StoreDatabaseMissing = nameof(StoreDatabaseMissing);
    public const string StoreDuplicateAccounts = nameof(StoreDuplicateAccounts);

    // Service accounts and provisioning
    public const string ServiceAccountNotFound = nameof(ServiceAccountNotFound);
    public const string ServiceAccountExists = nameof(ServiceAccountExists);
    public const string AppNameTaken = nameof(AppNameTaken);
    public const string SecretPolicyRefused = nameof(SecretPolicyRefused);
    public const string SecretNotAvailable = nameof(SecretNotAvailable);
    public const string LicensingPrerequisiteMissing = nameof(LicensingPrerequisiteMissing);
    public const string EvaluationQuotaExceeded = nameof(EvaluationQuotaExceeded);
    public const string LegacyAccountNotSupported = nameof(LegacyAccountNotSupported);
    public const string SubscriptionValidationFailed = nameof(SubscriptionValidationFailed);
    public const string ProtectedApiNotApproved = nameof(ProtectedApiNotApproved);
    public const string AdminPermissionMissing = nameof(AdminPermissionMissing);
    public const string StoredSecretNotFound = nameof(StoredSecretNotFound);
    public const string StoredSecretInUse = nameof(StoredSecretInUse);

    /// <summary>Entra ID had not replicated an object or secret CasAdmin just created within the wait budget (-ReplicationTimeout).</summary>
    public const string ReplicationTimeout = nameof(ReplicationTimeout);

    // Deprovisioning
    public const string ServiceAccountInvalid = nameof(ServiceAccountInvalid);
    public const string RemovalInProgress = nameof(RemovalInProgress);
    public const string RemovalNotConfirmed = nameof(RemovalNotConfirmed);
    public const string LeaseLost = nameof(LeaseLost);
    public const string AlreadyRemoved = nameof(AlreadyRemoved);
    public const string RemovalFailed = nameof(RemovalFailed);

    // Failures nothing translated (a defect to report)
    public const string UnexpectedError = nameof(UnexpectedError);

    // Sandbox
    public const string SandboxNotFound = nameof(SandboxNotFound);
    public const string SandboxFailedToStart = nameof(SandboxFailedToStart);
    public const string SandboxPortInUse = nameof(SandboxPortInUse);
}
