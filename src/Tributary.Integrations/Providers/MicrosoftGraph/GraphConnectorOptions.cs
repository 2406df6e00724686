namespace Tributary.Integrations.Providers.MicrosoftGraph;

/// <summary>
/// Tunables of the Graph connectors, bound from <c>Integrations:{onedrive|sharepoint}:*</c>. The
/// defaults follow Microsoft's documentation; tests set small values to exercise paging and chunking.
/// </summary>
public sealed record GraphConnectorOptions
{
    /// <summary>Upload fragments must be multiples of 320 KiB (except the last).</summary>
    public const int UploadFragmentUnit = 320 * 1024;

    /// <summary>Graph's longest lifetime for a driveItem subscription.</summary>
    public const int MaxDriveItemSubscriptionMinutes = 42_300;

    /// <summary>The <c>$top</c> hint sent with delta and directory listings; null lets Graph choose (it does anyway).</summary>
    public int? PageSize { get; init; }

    /// <summary>Files up to this size go in one <c>PUT …/content</c>; larger ones through an upload session. Microsoft documents 4 MiB for the simple PUT.</summary>
    public long SimpleUploadLimit { get; init; } = 4L * 1024 * 1024;

    /// <summary>Bytes per upload-session fragment: a multiple of 320 KiB below 60 MiB (10 MiB by default). Also the memory an upload holds.</summary>
    public int UploadChunkSize { get; init; } = 32 * UploadFragmentUnit;

    /// <summary>Sub-requests per <c>$batch</c> (Graph allows at most 20).</summary>
    public int BatchSize { get; init; } = 20;

    /// <summary>How often an incremental sync re-reads users and groups (they have no cheap change feed here).</summary>
    public TimeSpan DirectoryRefreshInterval { get; init; } = TimeSpan.FromHours(6);

    /// <summary>
    /// How far ahead a change-notification subscription is asked to expire. Graph allows at most 42,300 minutes
    /// (about 29.4 days) for driveItem subscriptions; a little less leaves room for clock skew.
    /// </summary>
    public TimeSpan PushSubscriptionLifetime { get; init; } = TimeSpan.FromMinutes(42_000);

    /// <summary>First back-off step for 5xx and connection failures (doubles per attempt).</summary>
    public TimeSpan RetryBaseBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Throws with a message naming the setting when a value is out of range.</summary>
    public GraphConnectorOptions Validated(string slug)
    {
        if (PageSize is < 1 or > 1000)
        {
            throw new InvalidOperationException($"Integrations:{slug}:PageSize must be between 1 and 1000, not {PageSize}.");
        }
        if (UploadChunkSize <= 0 || UploadChunkSize % UploadFragmentUnit != 0 || UploadChunkSize >= 60 * 1024 * 1024)
        {
            throw new InvalidOperationException(
                $"Integrations:{slug}:UploadChunkSize must be a positive multiple of 327680 (320 KiB) below 60 MiB, not {UploadChunkSize}.");
        }
        if (SimpleUploadLimit is < 0 or > 250L * 1024 * 1024)
        {
            throw new InvalidOperationException($"Integrations:{slug}:SimpleUploadLimit must be between 0 and 250 MiB, not {SimpleUploadLimit}.");
        }
        if (BatchSize is < 1 or > 20)
        {
            throw new InvalidOperationException($"Integrations:{slug}:BatchSize must be between 1 and 20, not {BatchSize}.");
        }
        if (PushSubscriptionLifetime <= TimeSpan.Zero || PushSubscriptionLifetime > TimeSpan.FromMinutes(MaxDriveItemSubscriptionMinutes))
        {
            throw new InvalidOperationException(
                $"Integrations:{slug}:PushSubscriptionLifetime must be positive and at most {MaxDriveItemSubscriptionMinutes} minutes, not {PushSubscriptionLifetime}.");
        }
        return this;
    }
}
