using System.Text.Json;
using Tributary.Integrations.Http;

namespace Tributary.Integrations.FileStorage;

/// <summary>What a connector gets for one call: which account, and its credential (refreshable through <see cref="Credentials"/>).</summary>
/// <remarks>Connectors never see the database: the platform loads and stores credentials and rows.</remarks>
public sealed record ConnectorContext(Guid LinkedAccountId, ICredentialSource Credentials)
{
    public ConnectorContext(Guid linkedAccountId, JsonElement credential) : this(linkedAccountId, new FixedCredential(credential))
    {
    }

    /// <summary>The current credential (after any refresh).</summary>
    public JsonElement Credential => Credentials.Current;
}

/// <summary>A byte range of a download (inclusive offsets, <c>To</c> null = to the end).</summary>
public sealed record ByteRange(long From, long? To);

/// <summary>
/// A streamed download. Dispose it to release the provider connection; the body is never buffered whole.
/// </summary>
public sealed class RemoteContent(Stream body, string contentType, string? fileName, long? length, long? totalLength = null, ByteRange? range = null)
    : IAsyncDisposable
{
    public Stream Body { get; } = body;
    public string ContentType { get; } = contentType;
    public string? FileName { get; } = fileName;

    /// <summary>Bytes in <see cref="Body"/>, when known.</summary>
    public long? Length { get; } = length;

    /// <summary>Size of the whole file when <see cref="Range"/> is served, when known.</summary>
    public long? TotalLength { get; } = totalLength;

    /// <summary>The range actually served, or null for the whole file.</summary>
    public ByteRange? Range { get; } = range;

    public ValueTask DisposeAsync() => Body.DisposeAsync();
}

/// <summary>Where and how a new file goes.</summary>
public sealed record FileUpload(string Name, string? FolderRemoteId, string? DriveRemoteId, string? MimeType, string? Description, long? Length);

/// <summary>
/// The File Storage connector contract: a change feed (full or incremental), downloads, uploads and
/// folder creation. One implementation per provider, pure HTTP plus a mapper; throws
/// <see cref="ProviderException"/> for provider failures.
/// </summary>
public interface IFileStorageConnector
{
    /// <summary>
    /// Streams the account's drives, folders, files, users and groups. With <paramref name="cursor"/>
    /// null it reads everything; otherwise it continues from the cursor of a page applied earlier
    /// (incremental changes, including deletes).
    /// </summary>
    IAsyncEnumerable<ChangePage> ReadChangesAsync(ConnectorContext context, string? cursor, CancellationToken cancellationToken);

    /// <summary>
    /// Streams a file's bytes; <paramref name="exportMimeType"/> converts a provider-native document.
    /// Throws <see cref="ProviderException"/> (NotFound, or UnsupportedExport) when it cannot.
    /// </summary>
    Task<RemoteContent> DownloadAsync(ConnectorContext context, string fileRemoteId, string? exportMimeType, ByteRange? range, CancellationToken cancellationToken);

    /// <summary>Uploads <paramref name="content"/> (in chunks where the provider wants them) and returns the new file.</summary>
    Task<UploadedFile> UploadAsync(ConnectorContext context, FileUpload upload, Stream content, CancellationToken cancellationToken);

    Task<RemoteFolder> CreateFolderAsync(ConnectorContext context, string name, string? parentRemoteId, string? driveRemoteId, CancellationToken cancellationToken);

    /// <summary>Export formats offered for a provider-native MIME type (empty when none).</summary>
    IReadOnlyList<string> ExportFormats(string nativeMimeType);
}

/// <summary>An uploaded file as the provider reports it.</summary>
public sealed record UploadedFile(RemoteFile File);
