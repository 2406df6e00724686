namespace Tributary.Integrations.Providers.Dropbox;

/// <summary>Tunables of the Dropbox connector, from <c>Integrations:dropbox:*</c> (tests use small pages and chunks).</summary>
public sealed record DropboxOptions
{
    /// <summary><c>list_folder</c>'s <c>limit</c> (Dropbox allows 1–2000; it is approximate).</summary>
    public int PageSize { get; init; } = 2000;

    /// <summary>Bytes per <c>upload_session</c> request; also the most an upload holds in memory.</summary>
    public int UploadChunkSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>Files up to this size go in one <c>files/upload</c>; larger ones through an upload session (Dropbox's own cap is 150 MiB).</summary>
    public int SimpleUploadLimit { get; init; } = 8 * 1024 * 1024;

    /// <summary>Folder path → id entries kept per sync run to resolve parents; past it the cache starts over (lookups refill it).</summary>
    public int FolderCacheSize { get; init; } = 100_000;

    public static DropboxOptions FromSettings(Func<string, string?> setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        var defaults = new DropboxOptions();
        return new DropboxOptions
        {
            PageSize = Read(setting, nameof(PageSize), defaults.PageSize, 1, 2000),
            UploadChunkSize = Read(setting, nameof(UploadChunkSize), defaults.UploadChunkSize, 4096, 150 * 1024 * 1024),
            SimpleUploadLimit = Read(setting, nameof(SimpleUploadLimit), defaults.SimpleUploadLimit, 0, 150 * 1024 * 1024),
            FolderCacheSize = Read(setting, nameof(FolderCacheSize), defaults.FolderCacheSize, 16, int.MaxValue),
        };
    }

    private static int Read(Func<string, string?> setting, string name, int fallback, int min, int max)
    {
        var raw = setting(name);
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }
        return int.TryParse(raw, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new InvalidOperationException($"Integrations:dropbox:{name} must be a whole number from {min} to {max}, not \"{raw}\".");
    }
}
