namespace Tributary.Data.Entities.Webhooks;

/// <summary>
/// An organization's webhook target (Merge's dashboard "webhook"): a URL and the events it wants.
/// Every event of the organization's linked accounts that it subscribes to becomes a delivery.
/// </summary>
public sealed class WebhookEndpoint
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public required string Url { get; set; }

    /// <summary>Subscribed event names, comma-separated (<c>LinkedAccount.linked,FileStorageFile.added</c>), or <c>*</c> for all.</summary>
    public required string Events { get; set; }

    public bool IsActive { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// An organization's webhook signature key, sealed by the credential vault. The newest unretired key
/// signs; a rotated key keeps signing a second header until its overlap ends, so receivers can
/// switch keys without dropping events.
/// </summary>
public sealed class WebhookSigningKey
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public required byte[] Secret { get; set; }
    public Guid VaultKeyId { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>When a newer key replaced this one; it stops signing at <see cref="RetiredAt"/> + the overlap.</summary>
    public DateTime? RetiredAt { get; set; }
}

/// <summary>
/// One event for one endpoint: the outbox row, written in the transaction that caused the event,
/// and the delivery's state. Delivered at least once: retried with exponential backoff until a 2xx.
/// </summary>
public sealed class WebhookDelivery
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public Guid EndpointId { get; set; }

    /// <summary>No foreign key: <c>LinkedAccount.deleted</c> outlives its account.</summary>
    public Guid? LinkedAccountId { get; set; }

    public required string Event { get; set; }

    /// <summary>For common-model events: the store id of the record, rendered when first sent.</summary>
    public Guid? RecordId { get; set; }

    /// <summary>The exact body sent (and signed); null until a record event is first rendered.</summary>
    public string? Payload { get; set; }

    public WebhookDeliveryStatus Status { get; set; }
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }

    /// <summary>Which dispatcher pass holds the row; a lease that expired (a replica died) may be taken over.</summary>
    public Guid? LeaseToken { get; set; }

    public DateTime? LeaseExpiresAt { get; set; }
    public int? LastResponseStatus { get; set; }
    public string? LastError { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
}

public enum WebhookDeliveryStatus
{
    Pending = 0,
    Delivered = 1,

    /// <summary>Every attempt failed; <c>redeliver</c> starts it again.</summary>
    Failed = 2,

    /// <summary>Not sent: its record or account no longer exists, or its endpoint was deactivated.</summary>
    Discarded = 3,
}

/// <summary>One HTTP attempt of a delivery: the delivery log.</summary>
public sealed class WebhookAttempt
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public Guid DeliveryId { get; set; }
    public Guid EndpointId { get; set; }
    public int Number { get; set; }
    public DateTime StartedAt { get; set; }
    public int DurationMs { get; set; }
    public int? ResponseStatus { get; set; }
    public string? Error { get; set; }
    public bool Succeeded { get; set; }
}

/// <summary>
/// Merge's per-linked-account <c>WebhookReceiver</c>: a third-party event the account listens for on
/// its <c>webhook_listener_url</c>, with an optional key (sealed) to verify the third party's signature.
/// </summary>
public sealed class WebhookReceiver
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public Guid LinkedAccountId { get; set; }
    public required string Event { get; set; }
    public bool IsActive { get; set; }
    public byte[]? Key { get; set; }
    public Guid? VaultKeyId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// Maps a provider's push notification to the linked account it is about: a Drive channel id, a
/// Graph subscription id, a Dropbox account id or a Box webhook id, with the per-channel secret the
/// provider echoes back (Drive channel token, Graph clientState), sealed by the vault.
/// </summary>
public sealed class PushChannel
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public Guid LinkedAccountId { get; set; }

    /// <summary><c>google-drive</c>, <c>microsoft-graph</c>, <c>dropbox</c> or <c>box</c>.</summary>
    public required string Provider { get; set; }

    public required string ExternalId { get; set; }

    /// <summary>Provider resource id where the provider names one (Drive <c>X-Goog-Resource-ID</c>), to stop the channel.</summary>
    public string? ResourceId { get; set; }

    public byte[]? Secret { get; set; }
    public Guid? VaultKeyId { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public DateTime CreatedAt { get; set; }
}
