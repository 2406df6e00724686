using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Http;

namespace Tributary.Integrations.Providers.Loopback;

/// <summary>
/// A connector for Tributary's own reference change-feed protocol, served by provider fakes in tests
/// and benchmarks (never by a real provider): OAuth bearer tokens refreshed through the catalog's
/// token URL, a paged change feed with full reads and incremental cursors, signalled deletes, and
/// streamed downloads, all through <see cref="ProviderHttp"/> like every real connector. It exists so
/// the real server executable can be driven through crashes, replicas, rate limits and token
/// refreshes; it is registered only when <c>Sync:LoopbackProviderUrl</c> is set.
/// </summary>
/// <remarks>
/// <c>GET {api}/changes?cursor=&amp;page_size=</c> answers
/// <c>{"records":[{"type":"file"|"folder"|"drive","id","name","parent","drive","size","mime_type","modified"}],
/// "deleted":[{"type","id"}],"cursor","final","full"}</c>; <c>GET {api}/files/{id}/content</c> streams a file.
/// </remarks>
public sealed class LoopbackConnector(ProviderHttp http, string apiBaseUrl, int pageSize = 1000) : IFileStorageConnector
{
    public const string Slug = "loopback";

    public async IAsyncEnumerable<ChangePage> ReadChangesAsync(ConnectorContext context, string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var next = cursor;
        while (true)
        {
            var url = $"{apiBaseUrl}/changes?page_size={pageSize.ToString(CultureInfo.InvariantCulture)}" + (next is null ? "" : "&cursor=" + Uri.EscapeDataString(next));
            using var document = await http.SendForJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
            var root = document.RootElement;
            var records = new List<RemoteRecord>();
            foreach (var item in root.GetProperty("records").EnumerateArray())
            {
                records.Add(Map(item));
            }
            var deleted = new List<RemoteDeletion>();
            if (root.TryGetProperty("deleted", out var deletions))
            {
                foreach (var item in deletions.EnumerateArray())
                {
                    deleted.Add(new RemoteDeletion(Model(item.GetProperty("type").GetString()), item.GetProperty("id").GetString()!));
                }
            }
            var final = root.GetProperty("final").GetBoolean();
            next = root.GetProperty("cursor").GetString()
                ?? throw new ProviderException(ProviderErrorKind.Transient, "The loopback provider sent a page without a cursor.");
            yield return new ChangePage(records, deleted, next, final, root.TryGetProperty("full", out var full) && full.GetBoolean());
            if (final)
            {
                yield break;
            }
        }
    }

    public async Task<RemoteContent> DownloadAsync(ConnectorContext context, string fileRemoteId, string? exportMimeType, ByteRange? range, CancellationToken cancellationToken)
    {
        var url = $"{apiBaseUrl}/files/{Uri.EscapeDataString(fileRemoteId)}/content";
        var response = await http.SendAsync(context, () => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
        var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return new RemoteContent(new ResponseBodyStream(response, body), response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream",
            null, response.Content.Headers.ContentLength);
    }

    public Task<UploadedFile> UploadAsync(ConnectorContext context, FileUpload upload, Stream content, CancellationToken cancellationToken) =>
        throw new ProviderException(ProviderErrorKind.InvalidRequest, "The loopback provider does not accept uploads.");

    public Task<RemoteFolder> CreateFolderAsync(ConnectorContext context, string name, string? parentRemoteId, string? driveRemoteId, CancellationToken cancellationToken) =>
        throw new ProviderException(ProviderErrorKind.InvalidRequest, "The loopback provider does not create folders.");

    public IReadOnlyList<string> ExportFormats(string nativeMimeType) => [];

    private static FileStorageModel Model(string? type) => type switch
    {
        "file" => FileStorageModel.File,
        "folder" => FileStorageModel.Folder,
        "drive" => FileStorageModel.Drive,
        _ => throw new ProviderException(ProviderErrorKind.Transient, $"The loopback provider sent an unknown record type \"{type}\"."),
    };

    private static RemoteRecord Map(JsonElement item)
    {
        var id = item.GetProperty("id").GetString()!;
        var name = Text(item, "name");
        var modified = item.TryGetProperty("modified", out var m) && m.ValueKind == JsonValueKind.String
            ? DateTimeOffset.Parse(m.GetString()!, CultureInfo.InvariantCulture) : (DateTimeOffset?)null;
        return Model(item.GetProperty("type").GetString()) switch
        {
            FileStorageModel.Drive => new RemoteDrive(id, name, null, modified),
            FileStorageModel.Folder => new RemoteFolder(id, name, null, null, null, Text(item, "parent"), Text(item, "drive"), [], modified, modified),
            _ => new RemoteFile(id, name, null, null, item.TryGetProperty("size", out var size) && size.ValueKind == JsonValueKind.Number ? size.GetInt64() : null,
                Text(item, "mime_type"), null, Text(item, "parent"), Text(item, "drive"), null, [], modified, modified),
        };
    }

    private static string? Text(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
