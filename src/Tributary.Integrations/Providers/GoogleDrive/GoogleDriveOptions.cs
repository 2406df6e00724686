namespace Tributary.Integrations.Providers.GoogleDrive;

/// <summary>
/// Tunables of the Google Drive connector, settable as <c>Integrations:google-drive:{Name}</c>. The
/// defaults are Google's documented limits; tests shrink them to force paging and chunking.
/// </summary>
public sealed record GoogleDriveOptions
{
    /// <summary>Google's resumable-upload chunks must be multiples of this (except the last).</summary>
    public const int ChunkGranularity = 256 * 1024;

    /// <summary><c>pageSize</c> of <c>files.list</c> and <c>changes.list</c> (1–1000).</summary>
    public int PageSize { get; init; } = 1000;

    /// <summary><c>pageSize</c> of <c>drives.list</c> and <c>permissions.list</c> (1–100).</summary>
    public int SmallPageSize { get; init; } = 100;

    /// <summary>Bytes per resumable-upload chunk; a multiple of 256 KiB. Two chunks are held in memory at once.</summary>
    public int ChunkSize { get; init; } = 32 * ChunkGranularity;

    /// <summary>Uploads up to this size go in one multipart request (Google documents 5 MB); larger ones are resumable.</summary>
    public int SimpleUploadLimit { get; init; } = 5 * 1024 * 1024;

    /// <summary>
    /// First back-off step after a rate limit or 5xx, doubled per attempt. Drive sends no
    /// <c>Retry-After</c>, so this is the whole wait; Google asks for 1 s, 2 s, 4 s, …
    /// </summary>
    public TimeSpan BaseBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts per request for rate limits and 5xx before the call fails for the scheduler to retry.</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>
    /// How long a <c>changes.watch</c> channel is asked to live. Google caps changes channels at one
    /// week and may grant less; the expiry it answers is what is recorded and renewed before.
    /// </summary>
    public TimeSpan ChannelLifetime { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Throws a message naming the setting to fix when a value is out of Google's bounds.</summary>
    public GoogleDriveOptions Validated()
    {
        Check(PageSize is >= 1 and <= 1000, nameof(PageSize), "between 1 and 1000");
        Check(SmallPageSize is >= 1 and <= 100, nameof(SmallPageSize), "between 1 and 100");
        Check(ChunkSize > 0 && ChunkSize % ChunkGranularity == 0, nameof(ChunkSize), "a positive multiple of 262144 (256 KiB)");
        Check(SimpleUploadLimit >= 0, nameof(SimpleUploadLimit), "zero or more");
        Check(BaseBackoff >= TimeSpan.Zero, nameof(BaseBackoff), "zero or more");
        Check(MaxAttempts >= 1, nameof(MaxAttempts), "at least 1");
        Check(ChannelLifetime > TimeSpan.Zero && ChannelLifetime <= TimeSpan.FromDays(7), nameof(ChannelLifetime), "more than zero and at most 7 days (Google's limit)");
        return this;
    }

    private static void Check(bool ok, string name, string rule)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"Integrations:google-drive:{name} must be {rule}.");
        }
    }
}
