using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tributary.Integrations.Catalog;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Http;

namespace Tributary.Integrations.Providers.Box;

#pragma warning disable CA5350 // SHA-1 is Box's integrity check for uploads (content-md5, Digest: sha=), not security.

/// <summary>
/// Box Platform API 2.0. A full read takes the event stream's position first (<c>GET /events?stream_position=now</c>),
/// then reports the user, enterprise users and groups (when the token may list them) and walks the tree
/// from folder <c>0</c> breadth first with marker paging; incremental reads follow <c>/events</c>
/// (<c>stream_type=changes</c>) from that position, drop duplicate deliveries by <c>event_id</c> and
/// re-read each changed item rather than trusting the event's copy. Trashed items are deletes.
/// Catalog roles: <c>api</c> (https://api.box.com/2.0) and <c>upload</c> (https://upload.box.com/api/2.0).
/// </summary>
public sealed partial class BoxConnector : IFileStorageConnector, IPushSubscriptions
{
    private static readonly JsonSerializerOptions CursorJson = new(JsonSerializerDefaults.Web);
    private readonly ProviderHttp _http;
    private readonly BoxOptions _options;
    private readonly TimeProvider _time;
    private readonly string _api;
    private readonly string _upload;

    public BoxConnector(IntegrationDefinition integration, HttpClient client, TimeProvider time, BoxOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(integration);
        _options = (options ?? new BoxOptions()).Validated();
        _time = time;
        _api = integration.ApiBaseUrl("api");
        _upload = integration.ApiBaseUrl("upload");
        _http = new ProviderHttp(client, time, new ProviderHttpOptions { Provider = "Box" });
    }

    // ------------------------------------------------------------------ change feed

    /// <summary>Where a full walk is: the event position taken before it, the phase, and the folders still to list.</summary>
    private sealed record WalkCursor(string Position, string Phase, long Offset, List<string> Queue, string? Marker, string? MeId = null);

    public async IAsyncEnumerable<ChangePage> ReadChangesAsync(ConnectorContext context, string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (cursor is not null && cursor.StartsWith("events:", StringComparison.Ordinal))
        {
            await foreach (var page in ReadEventsAsync(context, cursor["events:".Length..], cancellationToken))
            {
                yield return page;
            }
            yield break;
        }

        WalkCursor walk;
        if (cursor is null)
        {
            // The position comes first: whatever changes while the walk runs is replayed by the next incremental read.
            var position = await StreamPositionNowAsync(context, cancellationToken);
            using var me = await GetJsonAsync(context, $"{_api}/users/me?fields=type,id,name,login", cancellationToken);
            walk = new WalkCursor(position, "users", 0, [BoxMapper.RootFolderId], null, BoxMapper.Text(me.RootElement, "id"));
            yield return new ChangePage([BoxMapper.Drive(), BoxMapper.User(me.RootElement, isMe: true)], [], Encode(walk), false, true);
        }
        else
        {
            walk = Decode(cursor);
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (records, next) = walk.Phase switch
            {
                "users" => await ReadUsersAsync(context, walk, cancellationToken),
                "groups" => await ReadGroupsAsync(context, walk, cancellationToken),
                _ => await ReadFolderPageAsync(context, walk, cancellationToken),
            };
            if (next is null)
            {
                yield return new ChangePage(records, [], "events:" + walk.Position, IsFinal: true, IsFullSnapshot: true);
                yield break;
            }
            walk = next;
            if (records.Count > 0)
            {
                yield return new ChangePage(records, [], Encode(walk), IsFinal: false, IsFullSnapshot: true);
            }
        }
    }

    private async Task<string> StreamPositionNowAsync(ConnectorContext context, CancellationToken ct)
    {
        using var now = await GetJsonAsync(context, $"{_api}/events?stream_type=changes&stream_position=now", ct);
        return Position(now.RootElement) ?? throw new ProviderException(ProviderErrorKind.Transient, "Box returned no next_stream_position for stream_position=now.");
    }

    /// <summary>Enterprise users: only an admin token (with <c>manage_managed_users</c>) may list them; otherwise Box answers 403 and the read goes on with the linking user alone.</summary>
    private async Task<(List<RemoteRecord>, WalkCursor?)> ReadUsersAsync(ConnectorContext context, WalkCursor walk, CancellationToken ct)
    {
        var url = $"{_api}/users?fields=type,id,name,login&limit={Math.Min(_options.PageSize, 1000)}&offset={walk.Offset}";
        var page = await GetJsonOrNullWhenForbiddenAsync(context, url, ct);
        if (page is null)
        {
            return ([], walk with { Phase = "groups", Offset = 0 });
        }
        using (page)
        {
            var entries = Entries(page.RootElement);
            // The enterprise list includes the linking user: it stays "me".
            var records = entries.Select(u => (RemoteRecord)BoxMapper.User(u, isMe: BoxMapper.Text(u, "id") == walk.MeId)).ToList();
            var offset = walk.Offset + entries.Count;
            var done = entries.Count == 0 || offset >= Total(page.RootElement, offset);
            return (records, done ? walk with { Phase = "groups", Offset = 0 } : walk with { Offset = offset });
        }
    }

    /// <summary>Groups and their members: <c>GET /groups</c> and <c>/groups/{id}/memberships</c> need an admin or group-admin token; a 403 skips them.</summary>
    private async Task<(List<RemoteRecord>, WalkCursor?)> ReadGroupsAsync(ConnectorContext context, WalkCursor walk, CancellationToken ct)
    {
        var url = $"{_api}/groups?fields=type,id,name&limit={Math.Min(_options.PageSize, 1000)}&offset={walk.Offset}";
        var page = await GetJsonOrNullWhenForbiddenAsync(context, url, ct);
        if (page is null)
        {
            return ([], walk with { Phase = "walk", Offset = 0 });
        }
        using (page)
        {
            var entries = Entries(page.RootElement);
            var records = new List<RemoteRecord>();
            foreach (var group in entries)
            {
                var members = await GroupMembersAsync(context, BoxMapper.Text(group, "id") ?? "", ct);
                records.Add(BoxMapper.Group(group, members));
            }
            var offset = walk.Offset + entries.Count;
            var done = entries.Count == 0 || offset >= Total(page.RootElement, offset);
            return (records, done ? walk with { Phase = "walk", Offset = 0 } : walk with { Offset = offset });
        }
    }

    private async Task<List<string>> GroupMembersAsync(ConnectorContext context, string groupId, CancellationToken ct)
    {
        var members = new List<string>();
        long offset = 0;
        while (true)
        {
            var page = await GetJsonOrNullWhenForbiddenAsync(context, $"{_api}/groups/{Uri.EscapeDataString(groupId)}/memberships?limit=1000&offset={offset}", ct);
            if (page is null)
            {
                return members;
            }
            using (page)
            {
                var entries = Entries(page.RootElement);
                members.AddRange(entries
                    .Select(m => m.TryGetProperty("user", out var user) ? BoxMapper.Text(user, "id") : null)
                    .OfType<string>());
                offset += entries.Count;
                if (entries.Count == 0 || offset >= Total(page.RootElement, offset))
                {
                    return members;
                }
            }
        }
    }

    private async Task<(List<RemoteRecord>, WalkCursor?)> ReadFolderPageAsync(ConnectorContext context, WalkCursor walk, CancellationToken ct)
    {
        if (walk.Queue.Count == 0)
        {
            return ([], null);
        }
        var folderId = walk.Queue[0];
        var url = $"{_api}/folders/{Uri.EscapeDataString(folderId)}/items?fields={BoxMapper.ItemFields}&limit={Math.Min(_options.PageSize, 1000)}&usemarker=true"
            + (walk.Marker is { } marker ? "&marker=" + Uri.EscapeDataString(marker) : "");
        List<RemoteRecord> records = [];
        var queue = walk.Queue.ToList();
        string? next;
        try
        {
            using var page = await GetJsonAsync(context, url, ct);
            foreach (var item in Entries(page.RootElement))
            {
                if (BoxMapper.TypeOf(item) == "folder" && BoxMapper.Text(item, "id") is { } childId)
                {
                    queue.Add(childId);
                }
                if (await MapItemAsync(context, item, $"/folders/{folderId}/items", ct) is { } record)
                {
                    records.Add(record);
                }
            }
            next = page.RootElement.TryGetProperty("next_marker", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() is { Length: > 0 } n ? n : null;
        }
        catch (ProviderException e) when (e.Kind == ProviderErrorKind.NotFound && folderId != BoxMapper.RootFolderId)
        {
            next = null; // trashed while the walk ran: the events replay reports it
        }
        if (next is not null)
        {
            return (records, walk with { Queue = queue, Marker = next });
        }
        queue.RemoveAt(0);
        return (records, queue.Count == 0 ? null : walk with { Queue = queue, Marker = null });
    }

    private async Task<RemoteRecord?> MapItemAsync(ConnectorContext context, JsonElement item, string path, CancellationToken ct)
    {
        var type = BoxMapper.TypeOf(item);
        if (type is not ("file" or "folder"))
        {
            return null; // web links are bookmarks, not files
        }
        var collaborations = BoxMapper.HasCollaborations(item)
            ? await CollaborationsAsync(context, type, BoxMapper.Text(item, "id") ?? "", ct)
            : [];
        return type == "file" ? BoxMapper.File(item, collaborations, path) : BoxMapper.Folder(item, collaborations, path);
    }

    private async Task<List<JsonElement>> CollaborationsAsync(ConnectorContext context, string type, string id, CancellationToken ct)
    {
        var all = new List<JsonElement>();
        string? marker = null;
        do
        {
            var url = $"{_api}/{type}s/{Uri.EscapeDataString(id)}/collaborations?limit=1000"
                + (marker is null ? "" : "&marker=" + Uri.EscapeDataString(marker));
            using var page = await GetJsonAsync(context, url, ct);
            all.AddRange(Entries(page.RootElement).Select(e => e.Clone()));
            marker = page.RootElement.TryGetProperty("next_marker", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() is { Length: > 0 } n ? n : null;
        }
        while (marker is not null);
        return all;
    }

    private async IAsyncEnumerable<ChangePage> ReadEventsAsync(ConnectorContext context, string position, [EnumeratorCancellation] CancellationToken ct)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var seenOrder = new Queue<string>();
        ChangePage? held = null;
        while (true)
        {
            var url = $"{_api}/events?stream_type=changes&stream_position={Uri.EscapeDataString(position)}&limit={Math.Min(_options.PageSize, 500)}";
            List<JsonElement> events;
            string next;
            using (var chunk = await GetJsonAsync(context, url, ct))
            {
                events = Entries(chunk.RootElement).Select(e => e.Clone()).ToList();
                next = Position(chunk.RootElement) ?? position;
            }
            if (events.Count == 0)
            {
                // Box keeps no end marker: only an empty chunk says "caught up" (fewer than limit does not).
                yield return held is null
                    ? new ChangePage([], [], "events:" + next, IsFinal: true, IsFullSnapshot: false)
                    : held with { IsFinal = true };
                yield break;
            }
            if (held is not null)
            {
                yield return held;
            }
            held = await EventPageAsync(context, events, seen, seenOrder, next, ct);
            position = next;
        }
    }

    private async Task<ChangePage> EventPageAsync(ConnectorContext context, List<JsonElement> events, HashSet<string> seen, Queue<string> seenOrder, string next, CancellationToken ct)
    {
        // The last event per item decides: a trash is a delete; anything else re-reads the item, so a
        // duplicate or out-of-order delivery cannot resurrect an old state.
        var latest = new Dictionary<(string Type, string Id), bool>();
        foreach (var e in events)
        {
            if (BoxMapper.Text(e, "event_id") is { } eventId)
            {
                if (!seen.Add(eventId))
                {
                    continue;
                }
                seenOrder.Enqueue(eventId);
                if (seenOrder.Count > _options.EventDedupeWindow)
                {
                    seen.Remove(seenOrder.Dequeue());
                }
            }
            if (!e.TryGetProperty("source", out var source) || source.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            var type = BoxMapper.TypeOf(source) ?? BoxMapper.Text(source, "item_type");
            var id = BoxMapper.Text(source, "id") ?? BoxMapper.Text(source, "item_id");
            if (type is not ("file" or "folder") || id is null)
            {
                continue;
            }
            latest.Remove((type, id));
            latest[(type, id)] = BoxMapper.Text(e, "event_type") == "ITEM_TRASH";
        }

        var records = new List<RemoteRecord>();
        var deletions = new List<RemoteDeletion>();
        foreach (var ((type, id), trashed) in latest)
        {
            var model = type == "file" ? FileStorageModel.File : FileStorageModel.Folder;
            if (trashed)
            {
                deletions.Add(new RemoteDeletion(model, id));
                continue;
            }
            var path = $"/{type}s/{id}";
            try
            {
                using var item = await GetJsonAsync(context, $"{_api}{path}?fields={BoxMapper.ItemFields}", ct);
                if (BoxMapper.IsGone(item.RootElement))
                {
                    deletions.Add(new RemoteDeletion(model, id));
                }
                else if (await MapItemAsync(context, item.RootElement, path, ct) is { } record)
                {
                    records.Add(record);
                }
            }
            catch (ProviderException e) when (e.Kind == ProviderErrorKind.NotFound)
            {
                deletions.Add(new RemoteDeletion(model, id)); // purged since the event
            }
        }
        return new ChangePage(records, deletions, "events:" + next, IsFinal: false, IsFullSnapshot: false);
    }

    // ------------------------------------------------------------------ download

    public async Task<RemoteContent> DownloadAsync(ConnectorContext context, string fileRemoteId, string? exportMimeType, ByteRange? range, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (exportMimeType is not null)
        {
            // Box has no export API (Box Notes download in their own format).
            throw new ProviderException(ProviderErrorKind.InvalidRequest, $"Box cannot convert files: {fileRemoteId} downloads only in its own format, not as {exportMimeType}.");
        }
        var url = $"{_api}/files/{Uri.EscapeDataString(fileRemoteId)}/content";
        var waited = TimeSpan.Zero;
        while (true)
        {
            HttpResponseMessage response;
            try
            {
                // Box answers 302 to a short-lived dl.boxcloud.com URL; HttpClient follows it and drops
                // the Authorization header on the way (the download URL carries its own token).
                response = await _http.SendAsync(context, () =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Get, url);
                    if (range is not null)
                    {
                        request.Headers.Range = new RangeHeaderValue(range.From, range.To);
                    }
                    return request;
                }, cancellationToken);
            }
            catch (ProviderException e) when (range is not null && e.Message.Contains("HTTP 416", StringComparison.Ordinal))
            {
                // A range past the end: hand back the whole file and let the platform answer 416 itself.
                return await DownloadAsync(context, fileRemoteId, null, null, cancellationToken);
            }
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                // Not ready yet (a fresh upload being processed): Box says how long to wait.
                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                response.Dispose();
                waited += wait;
                if (waited > _options.MaxDownloadPreparation)
                {
                    throw new ProviderException(ProviderErrorKind.Transient, $"Box is still preparing file {fileRemoteId} for download.", wait);
                }
                await Task.Delay(wait, _time, cancellationToken);
                continue;
            }
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                response.Dispose();
                throw new ProviderException(ProviderErrorKind.Transient, $"Box redirected the download of {fileRemoteId} without a usable location.");
            }
            return await ContentAsync(response, cancellationToken);
        }
    }

    private static async Task<RemoteContent> ContentAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var headers = response.Content.Headers;
        var body = await response.Content.ReadAsStreamAsync(ct);
        var stream = new ResponseBodyStream(response, body);
        var contentType = headers.ContentType?.MediaType ?? "application/octet-stream";
        var name = headers.ContentDisposition?.FileNameStar ?? headers.ContentDisposition?.FileName?.Trim('"');
        if (response.StatusCode == HttpStatusCode.PartialContent && headers.ContentRange is { From: { } from, To: { } to } served)
        {
            return new RemoteContent(stream, contentType, name, to - from + 1, served.Length, new ByteRange(from, to));
        }
        return new RemoteContent(stream, contentType, name, headers.ContentLength);
    }

    // ------------------------------------------------------------------ upload

    public async Task<UploadedFile> UploadAsync(ConnectorContext context, FileUpload upload, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(upload);
        ArgumentNullException.ThrowIfNull(content);
        var parent = upload.FolderRemoteId ?? BoxMapper.RootFolderId;
        if (upload.Length is { } known && known > _options.SimpleUploadLimit)
        {
            return await ChunkedUploadAsync(context, upload.Name, parent, content, known, cancellationToken);
        }

        // Small (or of unknown length): read up to the limit; a simple upload must be resendable on retry.
        using var head = new MemoryStream();
        var limit = _options.SimpleUploadLimit;
        var chunk = new byte[81920];
        int read;
        while (head.Length <= limit && (read = await content.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit + 1 - head.Length)), cancellationToken)) > 0)
        {
            head.Write(chunk, 0, read);
        }
        var filled = (int)head.Length;
        if (filled <= limit)
        {
            return await SimpleUploadAsync(context, upload.Name, parent, head.GetBuffer().AsMemory(0, filled), cancellationToken);
        }

        // Longer than the limit and of unknown length: spool to a temporary file to learn the size the session needs.
        var spool = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 81920,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await using (spool)
        {
            await spool.WriteAsync(head.GetBuffer().AsMemory(0, filled), cancellationToken);
            await content.CopyToAsync(spool, cancellationToken);
            spool.Position = 0;
            return await ChunkedUploadAsync(context, upload.Name, parent, spool, spool.Length, cancellationToken);
        }
    }

    private async Task<UploadedFile> SimpleUploadAsync(ConnectorContext context, string name, string parent, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        var attributes = JsonSerializer.Serialize(new { name, parent = new { id = parent } });
        using var result = await _http.SendForJsonAsync(context, () =>
        {
            // Box reads the attributes part before the file part.
            var form = new MultipartFormDataContent
            {
                { new StringContent(attributes, Encoding.UTF8, "application/json"), "attributes" },
            };
            var file = new ReadOnlyMemoryContent(bytes);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(file, "file", name);
            // Box's content-md5 carries the SHA-1 in hex and makes Box verify what it received.
            form.Headers.TryAddWithoutValidation("content-md5", Convert.ToHexStringLower(SHA1.HashData(bytes.Span)));
            return new HttpRequestMessage(HttpMethod.Post, $"{_upload}/files/content?fields={BoxMapper.ItemFields}") { Content = form };
        }, ct);
        return await UploadedAsync(context, result.RootElement, ct);
    }

    private async Task<UploadedFile> ChunkedUploadAsync(ConnectorContext context, string name, string parent, Stream content, long size, CancellationToken ct)
    {
        using var session = await _http.SendForJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Post, $"{_upload}/files/upload_sessions")
        {
            Content = JsonContent.Create(new { folder_id = parent, file_size = size, file_name = name }),
        }, ct);
        var root = session.RootElement;
        var sessionId = BoxMapper.Text(root, "id") ?? throw new ProviderException(ProviderErrorKind.Transient, "Box returned an upload session without an id.");
        var partSize = root.TryGetProperty("part_size", out var ps) && ps.TryGetInt64(out var p) && p > 0 ? p : throw new ProviderException(ProviderErrorKind.Transient, "Box returned an upload session without a part size.");
        var endpoints = root.TryGetProperty("session_endpoints", out var e) ? e : default;
        var partUrl = SessionEndpoint(endpoints, "upload_part", $"{_upload}/files/upload_sessions/{Uri.EscapeDataString(sessionId)}");
        var commitUrl = SessionEndpoint(endpoints, "commit", $"{_upload}/files/upload_sessions/{Uri.EscapeDataString(sessionId)}/commit");

        var parts = new JsonArray();
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        var buffer = new byte[checked((int)Math.Min(partSize, size))];
        long offset = 0;
        while (offset < size)
        {
            var length = await ReadFullyAsync(content, buffer.AsMemory(0, (int)Math.Min(partSize, size - offset)), ct);
            if (length == 0)
            {
                throw new ProviderException(ProviderErrorKind.InvalidRequest, $"The upload ended after {offset} of the {size} bytes announced.");
            }
            whole.AppendData(buffer, 0, length);
            var digest = Convert.ToBase64String(SHA1.HashData(buffer.AsSpan(0, length)));
            var from = offset;
            using var uploaded = await _http.SendForJsonAsync(context, () =>
            {
                var body = new ByteArrayContent(buffer, 0, length);
                body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                body.Headers.ContentRange = new ContentRangeHeaderValue(from, from + length - 1, size);
                var request = new HttpRequestMessage(HttpMethod.Put, partUrl) { Content = body };
                request.Headers.Add("Digest", "sha=" + digest);
                return request;
            }, ct);
            var part = uploaded.RootElement.TryGetProperty("part", out var pe) ? pe : uploaded.RootElement;
            parts.Add(JsonNode.Parse(part.GetRawText()));
            offset += length;
        }

        var wholeDigest = Convert.ToBase64String(whole.GetHashAndReset());
        var commitBody = new JsonObject { ["parts"] = parts }.ToJsonString();
        var waited = TimeSpan.Zero;
        while (true)
        {
            using var response = await _http.SendAsync(context, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, commitUrl) { Content = new StringContent(commitBody, Encoding.UTF8, "application/json") };
                request.Headers.Add("Digest", "sha=" + wholeDigest);
                return request;
            }, ct);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                // Box is still assembling the parts: commit again after the wait it names.
                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                waited += wait;
                if (waited > _options.MaxDownloadPreparation)
                {
                    throw new ProviderException(ProviderErrorKind.Transient, $"Box did not finish committing upload session {sessionId}.", wait);
                }
                await Task.Delay(wait, _time, ct);
                continue;
            }
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            using var committed = await JsonDocument.ParseAsync(body, cancellationToken: ct);
            return await UploadedAsync(context, committed.RootElement, ct);
        }
    }

    /// <summary>Box's own session URL when it points at a Box upload host (or ours), else the one built from the catalog.</summary>
    private string SessionEndpoint(JsonElement endpoints, string name, string fallback)
    {
        if (endpoints.ValueKind == JsonValueKind.Object && BoxMapper.Text(endpoints, name) is { } url
            && Uri.TryCreate(url, UriKind.Absolute, out var uri) && Uri.TryCreate(_upload, UriKind.Absolute, out var upload)
            && uri.Scheme == upload.Scheme
            && (uri.Authority == upload.Authority || uri.Host.EndsWith(".box.com", StringComparison.OrdinalIgnoreCase)))
        {
            return url;
        }
        return fallback;
    }

    private async Task<UploadedFile> UploadedAsync(ConnectorContext context, JsonElement files, CancellationToken ct)
    {
        var entry = Entries(files).FirstOrDefault();
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new ProviderException(ProviderErrorKind.Transient, "Box accepted the upload but returned no file.");
        }
        var path = $"/files/{BoxMapper.Text(entry, "id")}";
        if (!entry.TryGetProperty("owned_by", out _))
        {
            using var full = await GetJsonAsync(context, $"{_api}{path}?fields={BoxMapper.ItemFields}", ct);
            return new UploadedFile(BoxMapper.File(full.RootElement, [], path));
        }
        return new UploadedFile(BoxMapper.File(entry, [], path));
    }

    // ------------------------------------------------------------------ folders

    public async Task<RemoteFolder> CreateFolderAsync(ConnectorContext context, string name, string? parentRemoteId, string? driveRemoteId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var folder = await _http.SendForJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Post, $"{_api}/folders?fields={BoxMapper.ItemFields}")
        {
            Content = JsonContent.Create(new { name, parent = new { id = parentRemoteId ?? BoxMapper.RootFolderId } }),
        }, cancellationToken);
        return BoxMapper.Folder(folder.RootElement, [], $"/folders/{BoxMapper.Text(folder.RootElement, "id")}");
    }

    public IReadOnlyList<string> ExportFormats(string nativeMimeType) => [];

    // ------------------------------------------------------------------ helpers

    private Task<JsonDocument> GetJsonAsync(ConnectorContext context, string url, CancellationToken ct) =>
        _http.SendForJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Get, url), ct);

    private async Task<JsonDocument?> GetJsonOrNullWhenForbiddenAsync(ConnectorContext context, string url, CancellationToken ct)
    {
        try
        {
            return await GetJsonAsync(context, url, ct);
        }
        catch (ProviderException e) when (e.Kind == ProviderErrorKind.InvalidRequest && e.Message.Contains("HTTP 403", StringComparison.Ordinal))
        {
            return null;
        }
    }

    private static List<JsonElement> Entries(JsonElement page) =>
        page.TryGetProperty("entries", out var entries) && entries.ValueKind == JsonValueKind.Array ? [.. entries.EnumerateArray()] : [];

    private static long Total(JsonElement page, long fallback) =>
        page.TryGetProperty("total_count", out var total) && total.TryGetInt64(out var count) ? count : fallback;

    /// <summary>Box sends <c>next_stream_position</c> as a string or a number.</summary>
    private static string? Position(JsonElement chunk) =>
        chunk.TryGetProperty("next_stream_position", out var position) ? position.ValueKind switch
        {
            JsonValueKind.String => position.GetString(),
            JsonValueKind.Number => position.GetRawText(),
            _ => null,
        } : null;

    private static async Task<int> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer[total..], ct)) > 0)
        {
            total += read;
        }
        return total;
    }

    private static string Encode(WalkCursor walk) =>
        "walk:" + Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(walk, CursorJson));

    private static WalkCursor Decode(string cursor)
    {
        try
        {
            if (cursor.StartsWith("walk:", StringComparison.Ordinal)
                && JsonSerializer.Deserialize<WalkCursor>(Convert.FromBase64String(cursor["walk:".Length..]), CursorJson) is { Position: not null, Queue: not null } walk)
            {
                return walk;
            }
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            // falls through to the error below
        }
        throw new ProviderException(ProviderErrorKind.InvalidRequest, "The Box sync cursor is not one this connector wrote.");
    }
}
