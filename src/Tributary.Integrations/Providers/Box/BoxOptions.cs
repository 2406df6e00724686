namespace Tributary.Integrations.Providers.Box;

/// <summary>Tunables of the Box connector, settable as <c>Integrations:box:{Name}</c>.</summary>
public sealed record BoxOptions
{
    /// <summary>Items per folder page (Box allows up to 1000) and events per <c>/events</c> chunk (up to 500).</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>
    /// Uploads up to this size go in one multipart request (held in memory so a retry can resend it);
    /// larger ones use an upload session. Box accepts sessions only from 20 MB, and recommends simple uploads up to 50 MB.
    /// </summary>
    public long SimpleUploadLimit { get; init; } = 20L * 1024 * 1024;

    /// <summary>The longest a download waits in place for Box's <c>202 Retry-After</c> ("not ready yet") before failing as transient.</summary>
    public TimeSpan MaxDownloadPreparation { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Event ids remembered per incremental run to drop Box's duplicate deliveries.</summary>
    public int EventDedupeWindow { get; init; } = 10_000;

    /// <summary>
    /// Most webhooks one account gets: Box refuses a webhook on the root folder <c>0</c>, so each top-level folder
    /// gets its own, up to this many (Box allows 1000 per application and user). Folders beyond the cap, and files
    /// directly in the root, are seen by the scheduled syncs only.
    /// </summary>
    public int MaxPushWebhooks { get; init; } = 100;

    public BoxOptions Validated()
    {
        if (MaxPushWebhooks is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPushWebhooks), MaxPushWebhooks, "Integrations:box:MaxPushWebhooks must be between 1 and 1000.");
        }
        if (PageSize is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, "Integrations:box:PageSize must be between 1 and 1000.");
        }
        if (SimpleUploadLimit < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(SimpleUploadLimit), SimpleUploadLimit, "Integrations:box:SimpleUploadLimit must be positive.");
        }
        return this;
    }
}
