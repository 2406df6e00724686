using Tributary.Data;
using Tributary.Data.Entities;

namespace Tributary.Server.Organization;

/// <summary>Merge's audit-trail event types that Tributary records.</summary>
internal static class AuditEventTypes
{
    public const string CreatedRemoteProductionApiKey = "CREATED_REMOTE_PRODUCTION_API_KEY";
    public const string DeletedRemoteProductionApiKey = "DELETED_REMOTE_PRODUCTION_API_KEY";
    public const string CreatedTestApiKey = "CREATED_TEST_API_KEY";
    public const string DeletedTestApiKey = "DELETED_TEST_API_KEY";
    public const string RegeneratedProductionApiKey = "REGENERATED_PRODUCTION_API_KEY";
    public const string ChangedOrganizationSettings = "CHANGED_ORGANIZATION_SETTINGS";
    public const string GeneratedMagicLink = "GENERATED_MAGIC_LINK";
    public const string DeletedLinkedAccount = "DELETED_LINKED_ACCOUNT";
    public const string DeletedAllCommonModelsForLinkedAccount = "DELETED_ALL_COMMON_MODELS_FOR_LINKED_ACCOUNT";

    /// <summary>Every value of Merge's <c>EventTypeEnum</c>, the accepted <c>event_type</c> filters.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        "CREATED_REMOTE_PRODUCTION_API_KEY", "DELETED_REMOTE_PRODUCTION_API_KEY", "CREATED_TEST_API_KEY",
        "DELETED_TEST_API_KEY", "REGENERATED_PRODUCTION_API_KEY", "REGENERATED_WEBHOOK_SIGNATURE", "INVITED_USER",
        "TWO_FACTOR_AUTH_ENABLED", "TWO_FACTOR_AUTH_DISABLED", "DELETED_LINKED_ACCOUNT",
        "DELETED_ALL_COMMON_MODELS_FOR_LINKED_ACCOUNT", "CREATED_DESTINATION", "DELETED_DESTINATION",
        "CHANGED_DESTINATION", "CHANGED_SCOPES", "CHANGED_PERSONAL_INFORMATION", "CHANGED_ORGANIZATION_SETTINGS",
        "ENABLED_INTEGRATION", "DISABLED_INTEGRATION", "ENABLED_CATEGORY", "DISABLED_CATEGORY", "CHANGED_PASSWORD",
        "RESET_PASSWORD", "ENABLED_REDACT_UNMAPPED_DATA_FOR_ORGANIZATION", "DISABLED_REDACT_UNMAPPED_DATA_FOR_ORGANIZATION",
        "ENABLED_REDACT_UNMAPPED_DATA_FOR_LINKED_ACCOUNT", "DISABLED_REDACT_UNMAPPED_DATA_FOR_LINKED_ACCOUNT",
        "CREATED_INTEGRATION_WIDE_FIELD_MAPPING", "CREATED_LINKED_ACCOUNT_FIELD_MAPPING",
        "CHANGED_INTEGRATION_WIDE_FIELD_MAPPING", "CHANGED_LINKED_ACCOUNT_FIELD_MAPPING",
        "DELETED_INTEGRATION_WIDE_FIELD_MAPPING", "DELETED_LINKED_ACCOUNT_FIELD_MAPPING",
        "CREATED_LINKED_ACCOUNT_COMMON_MODEL_OVERRIDE", "CHANGED_LINKED_ACCOUNT_COMMON_MODEL_OVERRIDE",
        "DELETED_LINKED_ACCOUNT_COMMON_MODEL_OVERRIDE", "FORCED_LINKED_ACCOUNT_RESYNC", "MUTED_ISSUE",
        "GENERATED_MAGIC_LINK", "ENABLED_MERGE_WEBHOOK", "DISABLED_MERGE_WEBHOOK", "MERGE_WEBHOOK_TARGET_CHANGED",
        "END_USER_CREDENTIALS_ACCESSED",
    ];
}

/// <summary>Who did something: an API key over HTTP, or the operator at the CLI.</summary>
internal sealed record AuditActor(string Role, string IpAddress, string? UserName, string? UserEmail)
{
    public static AuditActor Operator { get; } = new("SYSTEM", "127.0.0.1", "tributary cli", null);

    public static AuditActor ApiKey(HttpContext context, string keyName) =>
        new("API", context.Connection.RemoteIpAddress?.ToString() ?? "unknown", $"API key \"{keyName}\"", null);
}

/// <summary>Adds audit events to the caller's unit of work, so the event commits with the change it records.</summary>
internal sealed class AuditTrail(TimeProvider time)
{
    public void Record(TributaryDbContext db, Guid organizationId, AuditActor actor, string eventType, string description) =>
        db.AuditEvents.Add(new AuditEvent
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            OrganizationId = organizationId,
            Role = actor.Role,
            IpAddress = actor.IpAddress,
            UserName = actor.UserName,
            UserEmail = actor.UserEmail,
            EventType = eventType,
            EventDescription = description,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        });
}
