using System.ComponentModel.DataAnnotations;

namespace Tributary.Server.Webhooks;

/// <summary>Outbound webhook settings (section <c>Webhooks</c>).</summary>
internal sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// Lets endpoints point at loopback, private, link-local and other non-public addresses, and use
    /// plain http. Off by default, so an API key cannot make Tributary probe its own network (SSRF).
    /// Turn it on for development and for receivers on your own network.
    /// </summary>
    public bool AllowPrivateTargets { get; set; }

    /// <summary>How often the delivery job looks for due deliveries.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The wait after the first failed attempt; each further failure doubles it (with ±20 % jitter).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Attempts before a delivery is marked failed (20 ≈ 13 hours with the defaults).</summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 20;

    /// <summary>One attempt's limit, connect to last response byte.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries one dispatcher pass claims.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 50;

    /// <summary>Requests in flight at once per replica.</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 8;

    /// <summary>How long a claimed delivery stays reserved for its replica; a replica that died loses it after this.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Record events (<c>FileStorageFile.added</c> …) are not queued for an endpoint that already has
    /// this many undelivered deliveries; the account's <c>LinkedAccount.sync_completed</c> still is.
    /// Bounds the outbox when a receiver is down during a huge sync.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int MaxPendingRecordEvents { get; set; } = 100_000;

    /// <summary>Keep the trailing '=' of the base64url signature, as Python's urlsafe_b64encode does (Merge's documented check).</summary>
    public bool SignaturePadding { get; set; } = true;

    /// <summary>
    /// How long the delivery log keeps a finished (delivered, failed or discarded) delivery and its
    /// attempts; the housekeeping job removes older ones. Pending deliveries are kept until they finish.
    /// Zero keeps them forever.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00", ErrorMessage = "Webhooks:DeliveryRetention must be between 00:00:00 (keep forever) and 3650 days, e.g. Webhooks__DeliveryRetention=30.00:00:00.")]
    public TimeSpan DeliveryRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>After a key rotation the old key also signs, in <c>X-Tributary-Webhook-Signature-Previous</c>, for this long.</summary>
    public TimeSpan KeyRotationOverlap { get; set; } = TimeSpan.FromHours(24);
}
