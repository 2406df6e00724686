using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Tributary.Integrations.Catalog;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Http;

namespace Tributary.Integrations.Providers.GoogleDrive;

/// <summary>
/// Google Drive API v3. A full read takes the change-feed start token first (so nothing changed
/// during a long listing is lost), then lists the user, My Drive, shared drives and every file
/// (<c>files.list</c> over all drives); an incremental read follows <c>changes.list</c> from the
/// stored token. Downloads stream <c>alt=media</c> (with Range) or <c>files.export</c> for Google
/// Workspace documents; uploads are multipart up to <see cref="GoogleDriveOptions.SimpleUploadLimit"/>
/// and resumable (256 KiB-multiple chunks, <c>308 Resume Incomplete</c>) above it. Push: one
/// <c>changes.watch</c> channel per account over the same user-wide feed the sync reads.
/// </summary>
public sealed class GoogleDriveConnector : IFileStorageConnector, IPushSubscriptions
{
    public const string Slug = "google-drive";

    private const string FileListFields = "nextPageToken,incompleteSearch,files(" + GoogleDriveMapper.FileFields + ")";
    private const string ChangeListFields =
        "nextPageToken,newStartPageToken,changes(changeType,removed,fileId,driveId,time,file(" + GoogleDriveMapper.FileFields + "),drive(id,name,createdTime))";

    private static readonly Dictionary<string, string[]> Exports = new(StringComparer.Ordinal)
    {
        ["application/vnd.google-apps.document"] =
        [
            "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.oasis.opendocument.text",
            "application/rtf", "text/plain", "text/markdown", "application/zip", "application/epub+zip",
        ],
        ["application/vnd.google-apps.spreadsheet"] =
        [
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/x-vnd.oasis.opendocument.spreadsheet", "application/pdf",
            "text/csv", "text/tab-separated-values", "application/zip",
        ],
        ["application/vnd.google-apps.presentation"] =
        [
            "application/vnd.openxmlformats-officedocument.presentationml.presentation", "application/vnd.oasis.opendocument.presentation",
            "application/pdf", "text/plain", "image/jpeg", "image/png", "image/svg+xml",
        ],
        ["application/vnd.google-apps.drawing"] = ["application/pdf", "image/jpeg", "image/png", "image/svg+xml"],
        ["application/vnd.google-apps.script"] = ["application/vnd.google-apps.script+json"],
    };

    private readonly ProviderHttp _http;
    private readonly TimeProvider _time;
    private readonly GoogleDriveOptions _options;
    private readonly string _api;
    private readonly string _upload;

    public GoogleDriveConnector(IntegrationDefinition integration, HttpClient http, TimeProvider time, GoogleDriveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(integration);
        _options = (options ?? new GoogleDriveOptions()).Validated();
        _api = integration.ApiBaseUrl("api");
        _upload = integration.ApiBaseUrl("upload");
        _time = time;
        _http = new ProviderHttp(http, time, new ProviderHttpOptions
        {
            Provider = "Google Drive",
            BaseBackoff = _options.BaseBackoff,
            MaxAttempts = _options.MaxAttempts,
            Classify = Classify,
        });
    }

    /// <summary>
    /// Drive reports rate limits as 403 <c>userRateLimitExceeded</c>/<c>rateLimitExceeded</c> (or
    /// 429) without <c>Retry-After</c>: the kit then backs off exponentially. Other 403s (no access,
    /// not downloadable, quota) are not worth retrying.
    /// </summary>
    public static ProviderErrorKind? Classify(ProviderErrorResponse error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var reason = Reason(error);
        return (int)error.Status switch
        {
            403 when reason is "userRateLimitExceeded" or "rateLimitExceeded" => ProviderErrorKind.RateLimited,
            403 => ProviderErrorKind.InvalidRequest,
            429 => ProviderErrorKind.RateLimited,
            _ => null,
        };
    }

    private static string? Reason(ProviderErrorResponse error) =>
        error.Json is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object
            && e.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0
            ? GoogleDriveMapper.Str(errors[0], "reason")
            : null;

    public IReadOnlyList<string> ExportFormats(string nativeMimeType) => Exports.TryGetValue(nativeMimeType, out var formats) ? formats : [];

    // ---------------------------------------------------------------- change feed

    public async IAsyncEnumerable<ChangePage> ReadChangesAsync(ConnectorContext context, string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var position = DriveCursor.Parse(cursor);
        if (position.Stage == DriveCursor.Changes)
        {
            await foreach (var page in ReadIncrementalAsync(context, position, cancellationToken))
            {
                yield return page;
            }
            yield break;
        }

        var principals = new HashSet<string>(StringComparer.Ordinal);
        if (position.Stage == DriveCursor.Start)
        {
            // The change token comes first: whatever changes while we list is replayed from it.
            using var token = await GetJsonAsync(context, Url(_api, "changes/startPageToken", ("supportsAllDrives", "true"), ("fields", "startPageToken")), cancellationToken);
            var startToken = GoogleDriveMapper.Str(token.RootElement, "startPageToken")
                ?? throw new ProviderException(ProviderErrorKind.Transient, "Google Drive returned no startPageToken.");
            using var about = await GetJsonAsync(context, Url(_api, "about", ("fields", "user(" + GoogleDriveMapper.UserFields + ")")), cancellationToken);
            using var root = await GetJsonAsync(context, Url(_api, "files/root", ("fields", "id")), cancellationToken);
            var rootId = GoogleDriveMapper.Str(root.RootElement, "id") ?? throw new ProviderException(ProviderErrorKind.Transient, "Google Drive returned no root folder id.");
            var records = new List<RemoteRecord> { GoogleDriveMapper.MyDrive(rootId) };
            if (about.RootElement.TryGetProperty("user", out var userJson) && GoogleDriveMapper.ToUser(userJson, isMe: true) is { } me)
            {
                records.Add(me);
                principals.Add(me.RemoteId);
            }
            position = new DriveCursor(DriveCursor.Drives, startToken, rootId, null);
            yield return new ChangePage(records, [], position.ToString(), IsFinal: false, IsFullSnapshot: true);
        }

        while (position.Stage == DriveCursor.Drives)
        {
            using var drives = await GetJsonAsync(context, Url(_api, "drives",
                ("pageSize", _options.SmallPageSize.ToString(CultureInfo.InvariantCulture)), ("pageToken", position.PageToken),
                ("fields", "nextPageToken,drives(id,name,createdTime)")), cancellationToken);
            var records = drives.RootElement.TryGetProperty("drives", out var list)
                ? list.EnumerateArray().Select(d => (RemoteRecord)GoogleDriveMapper.ToDrive(d)).ToList()
                : [];
            var next = GoogleDriveMapper.Str(drives.RootElement, "nextPageToken");
            position = next is null ? position with { Stage = DriveCursor.Files, PageToken = null } : position with { PageToken = next };
            yield return new ChangePage(records, [], position.ToString(), IsFinal: false, IsFullSnapshot: true);
        }

        while (true)
        {
            using var files = await GetJsonAsync(context, Url(_api, "files",
                ("corpora", "allDrives"), ("includeItemsFromAllDrives", "true"), ("supportsAllDrives", "true"), ("q", "trashed = false"),
                ("pageSize", _options.PageSize.ToString(CultureInfo.InvariantCulture)), ("pageToken", position.PageToken), ("fields", FileListFields)),
                cancellationToken);
            var records = new List<RemoteRecord>();
            if (files.RootElement.TryGetProperty("files", out var list))
            {
                foreach (var file in list.EnumerateArray())
                {
                    await AddItemAsync(context, file, position.RootId, records, principals, cancellationToken);
                }
            }
            var next = GoogleDriveMapper.Str(files.RootElement, "nextPageToken");
            if (next is null)
            {
                var changes = new DriveCursor(DriveCursor.Changes, position.StartToken, position.RootId, position.StartToken);
                yield return new ChangePage(records, [], changes.ToString(), IsFinal: true, IsFullSnapshot: true);
                yield break;
            }
            position = position with { PageToken = next };
            yield return new ChangePage(records, [], position.ToString(), IsFinal: false, IsFullSnapshot: true);
        }
    }

    private async IAsyncEnumerable<ChangePage> ReadIncrementalAsync(ConnectorContext context, DriveCursor position, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var principals = new HashSet<string>(StringComparer.Ordinal);
        var pageToken = position.PageToken;
        while (true)
        {
            using var changes = await GetJsonAsync(context, Url(_api, "changes",
                ("pageToken", pageToken), ("pageSize", _options.PageSize.ToString(CultureInfo.InvariantCulture)), ("includeRemoved", "true"),
                ("includeItemsFromAllDrives", "true"), ("supportsAllDrives", "true"), ("fields", ChangeListFields)), cancellationToken);
            var records = new List<RemoteRecord>();
            var deletions = new List<RemoteDeletion>();
            if (changes.RootElement.TryGetProperty("changes", out var list))
            {
                foreach (var change in list.EnumerateArray())
                {
                    await AddChangeAsync(context, change, position.RootId, records, deletions, principals, cancellationToken);
                }
            }
            var next = GoogleDriveMapper.Str(changes.RootElement, "nextPageToken");
            var newStart = GoogleDriveMapper.Str(changes.RootElement, "newStartPageToken");
            var token = next ?? newStart ?? throw new ProviderException(ProviderErrorKind.Transient, "Google Drive's change list had neither nextPageToken nor newStartPageToken.");
            var cursor = position with { PageToken = token };
            yield return new ChangePage(records, deletions, cursor.ToString(), IsFinal: next is null, IsFullSnapshot: false);
            if (next is null)
            {
                yield break;
            }
            pageToken = next;
        }
    }

    private async Task AddChangeAsync(
        ConnectorContext context, JsonElement change, string? rootId, List<RemoteRecord> records, List<RemoteDeletion> deletions, HashSet<string> principals,
        CancellationToken cancellationToken)
    {
        var removed = GoogleDriveMapper.Bool(change, "removed");
        if (GoogleDriveMapper.Str(change, "changeType") == "drive")
        {
            if (removed && GoogleDriveMapper.Str(change, "driveId") is { } driveId)
            {
                deletions.Add(new RemoteDeletion(FileStorageModel.Drive, driveId));
            }
            else if (change.TryGetProperty("drive", out var drive))
            {
                records.Add(GoogleDriveMapper.ToDrive(drive));
            }
            return;
        }
        var fileId = GoogleDriveMapper.Str(change, "fileId");
        if (removed || !change.TryGetProperty("file", out var file))
        {
            // Deleted for good, or access lost: Drive sends only the id, so it may have been either kind.
            if (fileId is not null)
            {
                deletions.Add(new RemoteDeletion(FileStorageModel.File, fileId));
                deletions.Add(new RemoteDeletion(FileStorageModel.Folder, fileId));
            }
            return;
        }
        if (GoogleDriveMapper.Bool(file, "trashed"))
        {
            deletions.Add(new RemoteDeletion(GoogleDriveMapper.IsFolder(file) ? FileStorageModel.Folder : FileStorageModel.File, fileId ?? GoogleDriveMapper.Str(file, "id")!));
            return;
        }
        await AddItemAsync(context, file, rootId, records, principals, cancellationToken);
    }

    private async Task AddItemAsync(
        ConnectorContext context, JsonElement file, string? rootId, List<RemoteRecord> records, HashSet<string> principals, CancellationToken cancellationToken)
    {
        if (GoogleDriveMapper.IsShortcut(file) || GoogleDriveMapper.Str(file, "id") is not { } id)
        {
            return;
        }
        List<JsonElement> permissionJson;
        if (!file.TryGetProperty("permissions", out _) && GoogleDriveMapper.Str(file, "driveId") is not null)
        {
            // files.list leaves permissions out for shared-drive items; permissions.list has them.
            permissionJson = await ListPermissionsAsync(context, id, cancellationToken);
        }
        else
        {
            permissionJson = [.. GoogleDriveMapper.PermissionElements(file)];
        }
        IReadOnlyList<RemotePermission> permissions = [.. permissionJson.Select(GoogleDriveMapper.ToPermission).OfType<RemotePermission>()];
        foreach (var principal in GoogleDriveMapper.Principals(file, permissionJson))
        {
            if (principals.Add(principal.RemoteId))
            {
                records.Add(principal);
            }
        }
        records.Add(GoogleDriveMapper.IsFolder(file)
            ? GoogleDriveMapper.ToFolder(file, rootId, permissions)
            : GoogleDriveMapper.ToFile(file, rootId, permissions));
    }

    private async Task<List<JsonElement>> ListPermissionsAsync(ConnectorContext context, string fileId, CancellationToken cancellationToken)
    {
        var result = new List<JsonElement>();
        string? pageToken = null;
        do
        {
            using var page = await GetJsonAsync(context, Url(_api, $"files/{Uri.EscapeDataString(fileId)}/permissions",
                ("supportsAllDrives", "true"), ("pageSize", _options.SmallPageSize.ToString(CultureInfo.InvariantCulture)), ("pageToken", pageToken),
                ("fields", "nextPageToken,permissions(" + GoogleDriveMapper.PermissionFields + ")")), cancellationToken);
            if (page.RootElement.TryGetProperty("permissions", out var list))
            {
                result.AddRange(list.EnumerateArray().Select(p => p.Clone()));
            }
            pageToken = GoogleDriveMapper.Str(page.RootElement, "nextPageToken");
        }
        while (pageToken is not null);
        return result;
    }

    // ---------------------------------------------------------------- push (changes.watch)

    public string PushProvider => "google-drive";

    /// <summary>
    /// Watches the user-wide change feed (the one <see cref="ReadChangesAsync"/> follows, shared drives
    /// included) from a fresh start token: the channel only says "something changed"; the sync reads
    /// what from its own cursor.
    /// </summary>
    public async Task<IReadOnlyList<PushSubscription>> SubscribeAsync(ConnectorContext context, PushTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(target);
        using var token = await GetJsonAsync(context, Url(_api, "changes/startPageToken", ("supportsAllDrives", "true"), ("fields", "startPageToken")), cancellationToken);
        var startToken = GoogleDriveMapper.Str(token.RootElement, "startPageToken")
            ?? throw new ProviderException(ProviderErrorKind.Transient, "Google Drive returned no startPageToken.");
        var expiration = _time.GetUtcNow() + _options.ChannelLifetime;
        var channel = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["id"] = Guid.NewGuid().ToString("N"),
            ["type"] = "web_hook",
            ["address"] = target.NotificationUrl.AbsoluteUri,
            ["token"] = target.Secret,
            ["expiration"] = expiration.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        });
        using var created = await _http.SendForJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Post, Url(_api, "changes/watch",
            ("pageToken", startToken), ("includeItemsFromAllDrives", "true"), ("supportsAllDrives", "true"), ("includeRemoved", "true")))
        {
            Content = new StringContent(channel, Encoding.UTF8, "application/json"),
        }, cancellationToken);
        var id = GoogleDriveMapper.Str(created.RootElement, "id") ?? throw new ProviderException(ProviderErrorKind.Transient, "Google Drive's watch answer has no channel id.");
        var resourceId = GoogleDriveMapper.Str(created.RootElement, "resourceId")
            ?? throw new ProviderException(ProviderErrorKind.Transient, "Google Drive's watch answer has no resourceId (needed to stop the channel).");
        var granted = long.TryParse(GoogleDriveMapper.Str(created.RootElement, "expiration"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : expiration;
        return [new PushSubscription(id, resourceId, granted)];
    }

    /// <summary>
    /// Drive channels cannot be extended: a new channel is opened first (so no change falls between
    /// the two), then the old one is stopped. Stopping the old one is best effort: it expires anyway.
    /// </summary>
    public async Task<PushSubscription> RenewAsync(ConnectorContext context, PushSubscription current, PushTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        var fresh = (await SubscribeAsync(context, target, cancellationToken))[0];
        try
        {
            await UnsubscribeAsync(context, current, cancellationToken);
        }
        catch (ProviderException e) when (e.Kind is ProviderErrorKind.Transient or ProviderErrorKind.RateLimited or ProviderErrorKind.InvalidRequest)
        {
            // The old channel lapses at its expiry; notifications it sends meanwhile only cause one more incremental sync.
        }
        return fresh;
    }

    public async Task UnsubscribeAsync(ConnectorContext context, PushSubscription current, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(current);
        if (current.ResourceId is null)
        {
            throw new ProviderException(ProviderErrorKind.InvalidRequest, $"Drive channel {current.ExternalId} has no resourceId, so it cannot be stopped; it lapses at its expiry.");
        }
        var body = JsonSerializer.Serialize(new Dictionary<string, string> { ["id"] = current.ExternalId, ["resourceId"] = current.ResourceId });
        try
        {
            using var stopped = await _http.SendAsync(context, () => new HttpRequestMessage(HttpMethod.Post, Url(_api, "channels/stop"))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            }, cancellationToken, HttpCompletionOption.ResponseContentRead);
        }
        catch (ProviderException e) when (e.Kind == ProviderErrorKind.NotFound)
        {
            // Already stopped or expired.
        }
    }

    // ---------------------------------------------------------------- downloads

    public async Task<RemoteContent> DownloadAsync(ConnectorContext context, string fileRemoteId, string? exportMimeType, ByteRange? range, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrEmpty(fileRemoteId);
        var id = Uri.EscapeDataString(fileRemoteId);
        using var meta = await GetJsonAsync(context, Url(_api, $"files/{id}", ("supportsAllDrives", "true"), ("fields", "id,name,mimeType,size")), cancellationToken);
        var name = GoogleDriveMapper.Str(meta.RootElement, "name");
        var mimeType = GoogleDriveMapper.Str(meta.RootElement, "mimeType") ?? "application/octet-stream";
        if (mimeType == GoogleDriveMapper.FolderMimeType)
        {
            throw new ProviderException(ProviderErrorKind.InvalidRequest, $"{fileRemoteId} is a folder; only files download.");
        }

        if (GoogleDriveMapper.IsNativeDocument(mimeType))
        {
            var formats = ExportFormats(mimeType);
            var target = exportMimeType ?? (formats.Count > 0 ? formats[0] : null)
                ?? throw new ProviderException(ProviderErrorKind.InvalidRequest, $"{name} is a {mimeType}, which Google Drive cannot export.");
            if (!formats.Contains(target, StringComparer.Ordinal))
            {
                throw new ProviderException(ProviderErrorKind.InvalidRequest,
                    $"{name} ({mimeType}) exports only as {(formats.Count == 0 ? "nothing" : string.Join(", ", formats))}, not {target}.");
            }
            // Exports are generated on the fly: Drive serves them whole, without ranges.
            var exported = await _http.SendAsync(context, () => new HttpRequestMessage(HttpMethod.Get, Url(_api, $"files/{id}/export", ("mimeType", target))), cancellationToken);
            return await ContentAsync(exported, target, name, null, cancellationToken);
        }

        if (exportMimeType is not null && exportMimeType != mimeType)
        {
            throw new ProviderException(ProviderErrorKind.InvalidRequest, $"{name} is not a Google Workspace document: it downloads only as {mimeType}.");
        }
        var size = long.TryParse(GoogleDriveMapper.Str(meta.RootElement, "size"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : (long?)null;
        // A range starting past the end is not asked for: the whole content lets the platform answer 416.
        var asked = range is not null && (size is null || range.From < size) ? range : null;
        var response = await _http.SendAsync(context, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Url(_api, $"files/{id}", ("alt", "media"), ("supportsAllDrives", "true")));
            if (asked is not null)
            {
                request.Headers.Range = new RangeHeaderValue(asked.From, asked.To);
            }
            return request;
        }, cancellationToken);
        return await ContentAsync(response, mimeType, name, asked, cancellationToken);
    }

    private static async Task<RemoteContent> ContentAsync(HttpResponseMessage response, string fallbackType, string? name, ByteRange? asked, CancellationToken cancellationToken)
    {
        try
        {
            var body = new ResponseBodyStream(response, await response.Content.ReadAsStreamAsync(cancellationToken));
            var contentType = response.Content.Headers.ContentType?.ToString() ?? fallbackType;
            var length = response.Content.Headers.ContentLength;
            if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange is { From: { } from, To: { } to } served)
            {
                return new RemoteContent(body, contentType, name, to - from + 1, served.Length, new ByteRange(from, to));
            }
            return new RemoteContent(body, contentType, name, length);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    // ---------------------------------------------------------------- uploads and folders

    public async Task<UploadedFile> UploadAsync(ConnectorContext context, FileUpload upload, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(upload);
        ArgumentNullException.ThrowIfNull(content);
        var metadata = Metadata(upload.Name, upload.MimeType, upload.Description, upload.FolderRemoteId ?? upload.DriveRemoteId);
        var contentType = upload.MimeType ?? "application/octet-stream";

        // Read up to the simple limit plus one byte: that tells small from large even when the length is unknown.
        var head = new byte[(int)Math.Min(_options.SimpleUploadLimit + 1L, upload.Length is { } known ? known + 1 : _options.SimpleUploadLimit + 1L)];
        var headLength = await FillAsync(content, head, cancellationToken);
        JsonDocument created;
        if (headLength <= _options.SimpleUploadLimit)
        {
            created = await MultipartUploadAsync(context, metadata, contentType, head.AsMemory(0, headLength), cancellationToken);
        }
        else
        {
            created = await ResumableUploadAsync(context, metadata, contentType, upload.Length, head.AsMemory(0, headLength), content, cancellationToken);
        }
        using (created)
        {
            return new UploadedFile(GoogleDriveMapper.ToFile(created.RootElement, RootOf(created.RootElement, upload.FolderRemoteId ?? upload.DriveRemoteId),
                GoogleDriveMapper.ToPermissions(created.RootElement)));
        }
    }

    private async Task<JsonDocument> MultipartUploadAsync(ConnectorContext context, string metadata, string contentType, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        await _http.SendForJsonAsync(context, () =>
        {
            var multipart = new MultipartContent("related", "tributary-" + Guid.NewGuid().ToString("N"))
            {
                new StringContent(metadata, Encoding.UTF8, "application/json"),
                Media(bytes, contentType),
            };
            return new HttpRequestMessage(HttpMethod.Post, Url(_upload, "files", ("uploadType", "multipart"), ("supportsAllDrives", "true"),
                ("fields", GoogleDriveMapper.FileFields))) { Content = multipart };
        }, cancellationToken);

    /// <summary>
    /// Google's resumable protocol: open a session (its URI comes back in <c>Location</c>), then PUT
    /// chunks with <c>Content-Range</c>; each is answered <c>308</c> with the <c>Range</c> committed so
    /// far, and the last with the file. One chunk of look-ahead tells the last chunk even when the
    /// total length is unknown, so memory stays at two chunks whatever the size.
    /// </summary>
    private async Task<JsonDocument> ResumableUploadAsync(
        ConnectorContext context, string metadata, string contentType, long? length, ReadOnlyMemory<byte> head, Stream rest, CancellationToken cancellationToken)
    {
        Uri session;
        using (var opened = await _http.SendAsync(context, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, Url(_upload, "files", ("uploadType", "resumable"), ("supportsAllDrives", "true"),
                ("fields", GoogleDriveMapper.FileFields))) { Content = new StringContent(metadata, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Upload-Content-Type", contentType);
            if (length is { } total)
            {
                request.Headers.Add("X-Upload-Content-Length", total.ToString(CultureInfo.InvariantCulture));
            }
            return request;
        }, cancellationToken))
        {
            session = opened.Headers.Location ?? throw new ProviderException(ProviderErrorKind.Transient, "Google Drive opened no upload session (no Location).");
        }

        var chunk = new byte[_options.ChunkSize];
        var ahead = new byte[_options.ChunkSize];
        var source = new PrefixedStream(head, rest);
        var chunkLength = await FillAsync(source, chunk, cancellationToken);
        long offset = 0;
        while (true)
        {
            var aheadLength = chunkLength == chunk.Length ? await FillAsync(source, ahead, cancellationToken) : 0;
            var last = aheadLength == 0;
            var total = last ? offset + chunkLength : (long?)null;
            var sent = 0;
            do
            {
                var from = offset + sent;
                var piece = chunk.AsMemory(sent, chunkLength - sent);
                var response = await _http.SendAsync(context, () => new HttpRequestMessage(HttpMethod.Put, session) { Content = Chunk(piece, from, total) },
                    cancellationToken, HttpCompletionOption.ResponseContentRead);
                using (response)
                {
                    if ((int)response.StatusCode != 308)
                    {
                        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                        return await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
                    }
                    // 308 Resume Incomplete: Range says how much Google holds; resend whatever it did not keep.
                    var committed = CommittedBytes(response);
                    if (committed <= from || (last && committed >= total))
                    {
                        throw new ProviderException(ProviderErrorKind.Transient,
                            $"Google Drive's upload session stopped making progress at byte {committed} of {total?.ToString(CultureInfo.InvariantCulture) ?? "?"}.");
                    }
                    sent = (int)Math.Min(committed - offset, chunkLength);
                }
            }
            while (sent < chunkLength);
            offset += chunkLength;
            (chunk, ahead) = (ahead, chunk);
            chunkLength = aheadLength;
        }
    }

    private static ReadOnlyMemoryContent Chunk(ReadOnlyMemory<byte> piece, long from, long? total)
    {
        var content = new ReadOnlyMemoryContent(piece);
        var totalText = total?.ToString(CultureInfo.InvariantCulture) ?? "*";
        content.Headers.ContentRange = piece.Length == 0
            ? ContentRangeHeaderValue.Parse($"bytes */{totalText}")
            : ContentRangeHeaderValue.Parse(string.Create(CultureInfo.InvariantCulture, $"bytes {from}-{from + piece.Length - 1}/{totalText}"));
        return content;
    }

    /// <summary>The <c>Range: bytes=0-N</c> of a 308 as the count of committed bytes (none when absent).</summary>
    private static long CommittedBytes(HttpResponseMessage response)
    {
        if (response.Headers.NonValidated.TryGetValues("Range", out var values))
        {
            var text = values.ToString();
            var dash = text.LastIndexOf('-');
            if (dash > 0 && long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var lastByte))
            {
                return lastByte + 1;
            }
        }
        return 0;
    }

    public async Task<RemoteFolder> CreateFolderAsync(ConnectorContext context, string name, string? parentRemoteId, string? driveRemoteId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var metadata = Metadata(name, GoogleDriveMapper.FolderMimeType, null, parentRemoteId ?? driveRemoteId);
        using var created = await _http.SendForJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Post,
            Url(_api, "files", ("supportsAllDrives", "true"), ("fields", GoogleDriveMapper.FileFields)))
        {
            Content = new StringContent(metadata, Encoding.UTF8, "application/json"),
        }, cancellationToken);
        return GoogleDriveMapper.ToFolder(created.RootElement, RootOf(created.RootElement, parentRemoteId ?? driveRemoteId), GoogleDriveMapper.ToPermissions(created.RootElement));
    }

    /// <summary>An item created without a parent lands in My Drive's root: its one parent is then the root's id.</summary>
    private static string? RootOf(JsonElement created, string? requestedParent) =>
        requestedParent is null && created.TryGetProperty("parents", out var parents) && parents.ValueKind == JsonValueKind.Array && parents.GetArrayLength() > 0
            ? parents[0].GetString()
            : null;

    private static string Metadata(string name, string? mimeType, string? description, string? parentId)
    {
        var metadata = new Dictionary<string, object> { ["name"] = name };
        if (mimeType is not null)
        {
            metadata["mimeType"] = mimeType;
        }
        if (description is not null)
        {
            metadata["description"] = description;
        }
        if (parentId is not null)
        {
            metadata["parents"] = new[] { parentId };
        }
        return JsonSerializer.Serialize(metadata);
    }

    private static ReadOnlyMemoryContent Media(ReadOnlyMemory<byte> bytes, string contentType)
    {
        var content = new ReadOnlyMemoryContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static async Task<int> FillAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }
        return total;
    }

    private Task<JsonDocument> GetJsonAsync(ConnectorContext context, string url, CancellationToken cancellationToken) =>
        _http.SendForJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);

    private static string Url(string baseUrl, string path, params (string Name, string? Value)[] query)
    {
        var url = new StringBuilder(baseUrl).Append('/').Append(path);
        var separator = '?';
        foreach (var (name, value) in query)
        {
            if (value is null)
            {
                continue;
            }
            url.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }
        return url.ToString();
    }

    /// <summary>
    /// Where a read stands: <c>drives|files</c> with the change token taken before listing, My
    /// Drive's root id and the listing's page token; or <c>changes</c> with the change page token.
    /// The page token goes last, so whatever characters Google puts in it survive.
    /// </summary>
    private sealed record DriveCursor(string Stage, string StartToken, string? RootId, string? PageToken)
    {
        public const string Start = "start";
        public const string Drives = "drives";
        public const string Files = "files";
        public const string Changes = "changes";

        public static DriveCursor Parse(string? cursor)
        {
            if (string.IsNullOrEmpty(cursor))
            {
                return new DriveCursor(Start, "", null, null);
            }
            var parts = cursor.Split('|', 5);
            if (parts.Length != 5 || parts[0] != "gd1" || parts[1] is not (Drives or Files or Changes))
            {
                throw new ProviderException(ProviderErrorKind.InvalidRequest, $"\"{cursor}\" is not a Google Drive sync cursor; start a full sync.");
            }
            return new DriveCursor(parts[1], parts[2], parts[3].Length == 0 ? null : parts[3], parts[4].Length == 0 ? null : parts[4]);
        }

        public override string ToString() => $"gd1|{Stage}|{StartToken}|{RootId}|{PageToken}";
    }

    /// <summary>Bytes already read (to tell small from large) followed by the rest of the stream.</summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_prefix.Length > 0)
            {
                var count = Math.Min(buffer.Length, _prefix.Length);
                _prefix[..count].CopyTo(buffer);
                _prefix = _prefix[count..];
                return count;
            }
            return await rest.ReadAsync(buffer, cancellationToken);
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
