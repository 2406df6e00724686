using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tributary.Integrations.Catalog;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Http;

namespace Tributary.Integrations.Providers.Dropbox;

/// <summary>
/// Dropbox API v2 (everything is POST; RPC calls on the <c>api</c> host, bytes on the <c>content</c>
/// host). A full read is <c>files/list_folder</c> recursive from the root and <c>list_folder/continue</c>
/// until <c>has_more</c> is false; that last cursor <em>is</em> the change feed, so nothing that
/// changes during a long first read is lost. Our cursor is <c>full:{dropbox cursor}</c> while the
/// first read pages and <c>feed:{dropbox cursor}</c> after it. Dropbox reports deletes by path only,
/// so they go out as <see cref="ChangePage.DeletedPaths"/> and every file and folder carries its
/// <c>path_lower</c> (see docs/decisions on path deletes).
/// </summary>
public sealed partial class DropboxConnector : IFileStorageConnector, IPushSubscriptions
{
    private const string FullPrefix = "full:";
    private const string FeedPrefix = "feed:";
    private static readonly JsonSerializerOptions ArgJson = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private static readonly Dictionary<string, string> ExportFormatsByMimeType = new(StringComparer.OrdinalIgnoreCase)
    {
        ["text/markdown"] = "markdown",
        ["text/html"] = "html",
    };

    private readonly ProviderHttp _http;
    private readonly string _api;
    private readonly string _content;
    private readonly DropboxOptions _options;

    public DropboxConnector(IntegrationDefinition integration, HttpClient http, TimeProvider time, DropboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(integration);
        _api = integration.ApiBaseUrl("api");
        _content = integration.ApiBaseUrl("content");
        _options = options ?? new DropboxOptions();
        _http = new ProviderHttp(http, time, new ProviderHttpOptions { Provider = "Dropbox", Classify = Classify, WaitFromBody = WaitFromBody });
    }

    public async IAsyncEnumerable<ChangePage> ReadChangesAsync(ConnectorContext context, string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var run = new Run(this, context, _options, cancellationToken);
        await run.StartAsync();
        var head = new List<RemoteRecord> { DropboxMapper.ToMe(run.Account), DropboxMapper.ToDrive(run.Account) };
        bool full;
        string? listCursor;
        if (cursor is null)
        {
            yield return new ChangePage([.. head], [], FullPrefix, IsFinal: false, IsFullSnapshot: true);
            head.Clear();
            (full, listCursor) = (true, null);
        }
        else if (cursor.StartsWith(FullPrefix, StringComparison.Ordinal))
        {
            head.Clear();
            (full, listCursor) = (true, cursor.Length > FullPrefix.Length ? cursor[FullPrefix.Length..] : null);
        }
        else if (cursor.StartsWith(FeedPrefix, StringComparison.Ordinal) && cursor.Length > FeedPrefix.Length)
        {
            (full, listCursor) = (false, cursor[FeedPrefix.Length..]);
        }
        else
        {
            throw new ProviderException(ProviderErrorKind.InvalidRequest, "The sync cursor is not a Dropbox cursor; run a full resync.");
        }

        while (true)
        {
            JsonDocument result;
            if (listCursor is null)
            {
                result = await run.PostAsync(_api, "files/list_folder", new
                {
                    path = "",
                    recursive = true,
                    limit = _options.PageSize,
                    include_deleted = false,
                    include_has_explicit_shared_members = true,
                    include_mounted_folders = true,
                    include_non_downloadable_files = true,
                });
            }
            else
            {
                try
                {
                    result = await run.PostAsync(_api, "files/list_folder/continue", new { cursor = listCursor });
                }
                catch (ProviderException e) when (IsCursorReset(e))
                {
                    // Dropbox invalidated the cursor (ListFolderContinueError.reset): only a new full read can resync.
                    (full, listCursor) = (true, null);
                    continue;
                }
            }

            using (result)
            {
                var root = result.RootElement;
                var hasMore = root.GetProperty("has_more").GetBoolean();
                var next = root.GetProperty("cursor").GetString()!;
                var segments = await run.MapAsync(root.GetProperty("entries"), listCursor is null ? "/2/files/list_folder" : "/2/files/list_folder/continue");
                // A segment that is not the last of this Dropbox page resumes by re-reading the page: applying it again changes nothing.
                var replay = listCursor is null ? FullPrefix : (full ? FullPrefix : FeedPrefix) + listCursor;
                var done = (full && hasMore ? FullPrefix : FeedPrefix) + next;
                for (var i = 0; i < segments.Count; i++)
                {
                    var last = i == segments.Count - 1;
                    List<RemoteRecord> records = i == 0 ? [.. head, .. segments[i].Records] : segments[i].Records;
                    yield return new ChangePage(records, [], last ? done : replay, IsFinal: last && !hasMore, IsFullSnapshot: full)
                    {
                        DeletedPaths = segments[i].DeletedPaths,
                    };
                }
                head.Clear();
                if (!hasMore)
                {
                    yield break;
                }
                listCursor = next;
            }
        }
    }

    public async Task<RemoteContent> DownloadAsync(ConnectorContext context, string fileRemoteId, string? exportMimeType, ByteRange? range, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fileRemoteId);
        if (exportMimeType is null)
        {
            try
            {
                return await StreamAsync(context, "files/download", new { path = fileRemoteId }, null, range, cancellationToken);
            }
            catch (ProviderException e) when (e.Kind == ProviderErrorKind.InvalidRequest && e.Message.Contains("unsupported_file", StringComparison.Ordinal))
            {
                // A cloud document (Paper) has no bytes of its own: it downloads as its default export.
                exportMimeType = DefaultExportMimeType;
            }
        }
        var format = ExportFormatsByMimeType.GetValueOrDefault(exportMimeType)
            ?? throw new ProviderException(ProviderErrorKind.InvalidRequest,
                $"Dropbox exports documents only as {string.Join(", ", ExportFormatsByMimeType.Keys)}, not {exportMimeType}.");
        return await StreamAsync(context, "files/export", new { path = fileRemoteId, export_format = format }, exportMimeType, null, cancellationToken);
    }

    private const string DefaultExportMimeType = "text/markdown";

    /// <summary>A download-style call: argument in <c>Dropbox-API-Arg</c>, metadata back in <c>Dropbox-API-Result</c>, the body streamed.</summary>
    private async Task<RemoteContent> StreamAsync(
        ConnectorContext context, string route, object arg, string? contentType, ByteRange? range, CancellationToken cancellationToken)
    {
        var header = ArgHeader(arg);
        var response = await _http.SendAsync(context, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"{_content}/2/{route}");
            request.Headers.TryAddWithoutValidation("Dropbox-API-Arg", header);
            if (range is not null)
            {
                request.Headers.Range = new RangeHeaderValue(range.From, range.To);
            }
            return request;
        }, cancellationToken);
        try
        {
            string? name = null;
            long? size = null;
            if (response.Headers.TryGetValues("Dropbox-API-Result", out var results))
            {
                using var meta = JsonDocument.Parse(results.First());
                var file = meta.RootElement.TryGetProperty("export_metadata", out var export) ? export : meta.RootElement;
                name = file.TryGetProperty("name", out var n) ? n.GetString() : null;
                size = file.TryGetProperty("size", out var s) && s.TryGetInt64(out var bytes) ? bytes : null;
            }
            contentType ??= DropboxMapper.MimeType(name);
            var body = new ResponseBodyStream(response, await response.Content.ReadAsStreamAsync(cancellationToken));
            if (response.StatusCode == System.Net.HttpStatusCode.PartialContent && response.Content.Headers.ContentRange is { From: { } from, To: { } to } served)
            {
                return new RemoteContent(body, contentType, name, to - from + 1, served.Length ?? size, new ByteRange(from, to));
            }
            return new RemoteContent(body, contentType, name, response.Content.Headers.ContentLength ?? size);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async Task<UploadedFile> UploadAsync(ConnectorContext context, FileUpload upload, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        ArgumentNullException.ThrowIfNull(content);
        var run = new Run(this, context, _options, cancellationToken);
        var folderPath = await run.FolderPathAsync(upload.FolderRemoteId);
        var commit = new { path = folderPath + "/" + upload.Name, mode = "add", autorename = true, mute = false };

        // Memory holds one buffer whatever the file's size: the larger of a session chunk and the simple-upload limit.
        var chunkSize = _options.UploadChunkSize;
        var buffer = new byte[Math.Max(chunkSize, _options.SimpleUploadLimit + 1)];
        var pending = await FillAsync(content, buffer, cancellationToken);
        JsonDocument result;
        if (pending <= _options.SimpleUploadLimit)
        {
            result = await run.UploadAsync("files/upload", commit, buffer, 0, pending);
        }
        else
        {
            // An upload session: start with the first chunk, append full chunks as they come, finish with the rest.
            var position = Math.Min(chunkSize, pending);
            string sessionId;
            using (var started = await run.UploadAsync("files/upload_session/start", new { close = false }, buffer, 0, position))
            {
                sessionId = started.RootElement.GetProperty("session_id").GetString()!;
            }
            long offset = position;
            while (true)
            {
                for (; pending - position >= chunkSize; position += chunkSize, offset += chunkSize)
                {
                    using (await run.UploadAsync("files/upload_session/append_v2", new { cursor = new { session_id = sessionId, offset }, close = false }, buffer, position, chunkSize))
                    {
                    }
                }
                Buffer.BlockCopy(buffer, position, buffer, 0, pending - position);
                pending -= position;
                position = 0;
                var read = await FillAsync(content, buffer.AsMemory(pending), cancellationToken);
                if (read == 0)
                {
                    break;
                }
                pending += read;
            }
            result = await run.UploadAsync("files/upload_session/finish", new { cursor = new { session_id = sessionId, offset }, commit }, buffer, 0, pending);
        }
        using (result)
        {
            await run.StartAsync();
            var permissions = await run.PermissionsAsync(result.RootElement, isFolder: false, withLinks: false);
            return new UploadedFile(DropboxMapper.ToFile(result.RootElement, upload.FolderRemoteId, run.DriveId, permissions, "/2/files/upload"));
        }
    }

    public async Task<RemoteFolder> CreateFolderAsync(ConnectorContext context, string name, string? parentRemoteId, string? driveRemoteId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var run = new Run(this, context, _options, cancellationToken);
        var parentPath = await run.FolderPathAsync(parentRemoteId);
        using var result = await run.PostAsync(_api, "files/create_folder_v2", new { path = parentPath + "/" + name, autorename = false });
        await run.StartAsync();
        var metadata = result.RootElement.GetProperty("metadata");
        var permissions = await run.PermissionsAsync(metadata, isFolder: true, withLinks: false);
        return DropboxMapper.ToFolder(metadata, parentRemoteId, run.DriveId, permissions, "/2/files/create_folder_v2");
    }

    /// <summary>Dropbox Paper documents export as Markdown or HTML; everything else downloads as it is.</summary>
    public IReadOnlyList<string> ExportFormats(string nativeMimeType) =>
        nativeMimeType == DropboxMapper.PaperMimeType ? [.. ExportFormatsByMimeType.Keys] : [];

    /// <summary>
    /// 401 is an expired or revoked token (refresh once), except <c>missing_scope</c>, which no refresh
    /// fixes; 409 is the route's own error, where a <c>…/not_found</c> summary means not found and
    /// <c>too_many_write_operations</c> is lock contention to back off from; 429 waits.
    /// </summary>
    internal static ProviderErrorKind? Classify(ProviderErrorResponse error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var json = error.Json;
        var summary = json is { ValueKind: JsonValueKind.Object } j && j.TryGetProperty("error_summary", out var s) ? s.GetString() ?? "" : "";
        return (int)error.Status switch
        {
            401 when json is { } body && body.TryGetProperty("error", out var e) && DropboxMapper.Tag(e) == "missing_scope" => ProviderErrorKind.InvalidRequest,
            401 => ProviderErrorKind.Unauthorized,
            409 when summary.Contains("not_found", StringComparison.Ordinal) => ProviderErrorKind.NotFound,
            409 when summary.Contains("too_many_write_operations", StringComparison.Ordinal) => ProviderErrorKind.RateLimited,
            409 => ProviderErrorKind.InvalidRequest,
            429 => ProviderErrorKind.RateLimited,
            _ => null,
        };
    }

    /// <summary>The <c>retry_after</c> seconds of a <c>RateLimitError</c>, for a 429 without <c>Retry-After</c>.</summary>
    internal static TimeSpan? WaitFromBody(ProviderErrorResponse error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Json is { ValueKind: JsonValueKind.Object } body && body.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object
            && e.TryGetProperty("retry_after", out var seconds) && seconds.TryGetDouble(out var value) && value >= 0
            ? TimeSpan.FromSeconds(value)
            : null;
    }

    private static bool IsCursorReset(ProviderException e) => e.Kind == ProviderErrorKind.InvalidRequest && ResetSummary().IsMatch(e.Message);

    [GeneratedRegex("\"error_summary\"\\s*:\\s*\"reset/")]
    private static partial Regex ResetSummary();

    /// <summary>The JSON argument of an upload or download call; Dropbox wants it HTTP-header-safe (non-ASCII as \u escapes, which System.Text.Json does by default).</summary>
    private static string ArgHeader(object arg) => JsonSerializer.Serialize(arg, ArgJson);

    private static async Task<int> FillAsync(Stream content, Memory<byte> buffer, CancellationToken ct)
    {
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await content.ReadAsync(buffer[total..], ct)) > 0)
        {
            total += read;
        }
        return total;
    }

    /// <summary>One read or write: the account, and caches that live only as long as the call (no state between calls, no database).</summary>
    private sealed class Run(DropboxConnector connector, ConnectorContext context, DropboxOptions options, CancellationToken ct)
    {
        private readonly Dictionary<string, string> _folderIds = new(StringComparer.Ordinal);
        private readonly Dictionary<string, IReadOnlyList<RemotePermission>> _sharedFolderMembers = new(StringComparer.Ordinal);
        private readonly HashSet<string> _seenUsers = new(StringComparer.Ordinal);
        private readonly HashSet<string> _seenGroups = new(StringComparer.Ordinal);
        private readonly List<RemoteRecord> _discovered = [];
        private Dictionary<string, List<RemotePermission>>? _linksById;
        private Dictionary<string, List<RemotePermission>>? _linksByPath;
        private JsonElement? _account;

        public JsonElement Account => _account ?? throw new InvalidOperationException("StartAsync first.");
        public string MeId => Account.GetProperty("account_id").GetString()!;
        public string DriveId => Account.GetProperty("root_info").GetProperty("root_namespace_id").GetString()!;

        public async Task StartAsync()
        {
            if (_account is null)
            {
                using var account = await PostAsync(connector._api, "users/get_current_account", null);
                _account = account.RootElement.Clone();
                _seenUsers.Add(MeId);
            }
        }

        public Task<JsonDocument> PostAsync(string baseUrl, string route, object? arg)
        {
            var body = JsonSerializer.Serialize(arg, ArgJson);
            return connector._http.SendForJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}/2/{route}")
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            }, ct);
        }

        public Task<JsonDocument> UploadAsync(string route, object arg, byte[] buffer, int offset, int count)
        {
            var header = ArgHeader(arg);
            return connector._http.SendForJsonAsync(context, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, $"{connector._content}/2/{route}") { Content = new ByteArrayContent(buffer, offset, count) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                request.Headers.TryAddWithoutValidation("Dropbox-API-Arg", header);
                return request;
            }, ct);
        }

        /// <summary>A folder's display path for building a child's path (<c>""</c> for the root).</summary>
        public async Task<string> FolderPathAsync(string? folderRemoteId)
        {
            if (folderRemoteId is null)
            {
                return "";
            }
            using var metadata = await PostAsync(connector._api, "files/get_metadata", new { path = folderRemoteId });
            if (DropboxMapper.Tag(metadata.RootElement) != "folder")
            {
                throw new ProviderException(ProviderErrorKind.InvalidRequest, $"Dropbox item {folderRemoteId} is not a folder.");
            }
            return metadata.RootElement.GetProperty("path_display").GetString() ?? "";
        }

        /// <summary>
        /// Maps one page of entries in order. It splits where a delete follows a file or folder,
        /// because the platform applies a page's deleted paths before its records.
        /// </summary>
        public async Task<List<(List<RemoteRecord> Records, List<string> DeletedPaths)>> MapAsync(JsonElement entries, string apiPath)
        {
            var segments = new List<(List<RemoteRecord> Records, List<string> DeletedPaths)> { ([], []) };
            foreach (var entry in entries.EnumerateArray())
            {
                var path = entry.TryGetProperty("path_lower", out var p) ? p.GetString() : null;
                var tag = DropboxMapper.Tag(entry);
                if (tag == "deleted")
                {
                    if (path is null)
                    {
                        continue;
                    }
                    if (segments[^1].Records.Count > 0)
                    {
                        segments.Add(([], []));
                    }
                    segments[^1].DeletedPaths.Add(path);
                    _folderIds.Remove(path);
                    continue;
                }
                if (tag is not ("file" or "folder"))
                {
                    continue;
                }
                var isFolder = tag == "folder";
                var parentId = path is null ? null : await ParentIdAsync(path);
                var permissions = await PermissionsAsync(entry, isFolder, withLinks: true);
                RemoteRecord record = isFolder
                    ? DropboxMapper.ToFolder(entry, parentId, DriveId, permissions, apiPath)
                    : DropboxMapper.ToFile(entry, parentId, DriveId, permissions, apiPath);
                if (isFolder && path is not null)
                {
                    Remember(path, record.RemoteId);
                }
                // Collaborators met while mapping go out with the record that referenced them.
                segments[^1].Records.AddRange(_discovered);
                _discovered.Clear();
                segments[^1].Records.Add(record);
            }
            return segments;
        }

        public async Task<IReadOnlyList<RemotePermission>> PermissionsAsync(JsonElement entry, bool isFolder, bool withLinks)
        {
            var id = entry.GetProperty("id").GetString()!;
            var sharing = entry.TryGetProperty("sharing_info", out var s) && s.ValueKind == JsonValueKind.Object ? s : (JsonElement?)null;
            var sharedFolder = sharing is { } info
                ? Text(info, isFolder ? "shared_folder_id" : "parent_shared_folder_id") ?? Text(info, "parent_shared_folder_id")
                : null;
            var permissions = new List<RemotePermission>();
            if (!isFolder && entry.TryGetProperty("has_explicit_shared_members", out var explicitMembers) && explicitMembers.ValueKind == JsonValueKind.True)
            {
                permissions.AddRange(await MembersAsync("sharing/list_file_members", new { file = id, include_inherited = true, limit = 300 }, "sharing/list_file_members/continue"));
            }
            else if (sharedFolder is not null)
            {
                if (!_sharedFolderMembers.TryGetValue(sharedFolder, out var members))
                {
                    members = await MembersAsync("sharing/list_folder_members", new { shared_folder_id = sharedFolder, limit = 1000 }, "sharing/list_folder_members/continue");
                    _sharedFolderMembers[sharedFolder] = members;
                }
                permissions.AddRange(members);
            }
            if (permissions.Count == 0)
            {
                permissions.Add(DropboxMapper.Owner(MeId));
            }
            if (withLinks)
            {
                await LoadLinksAsync();
                if (_linksById!.TryGetValue(id, out var direct))
                {
                    permissions.AddRange(direct);
                }
                if (entry.TryGetProperty("path_lower", out var p) && p.GetString() is { } path)
                {
                    foreach (var ancestor in DropboxMapper.SelfAndAncestors(path))
                    {
                        if (_linksByPath!.TryGetValue(ancestor, out var inherited))
                        {
                            permissions.AddRange(inherited);
                        }
                    }
                }
            }
            return DropboxMapper.Merge(permissions);
        }

        private async Task<string?> ParentIdAsync(string path)
        {
            var parent = DropboxMapper.ParentPath(path);
            if (parent.Length == 0)
            {
                return null;
            }
            if (_folderIds.TryGetValue(parent, out var known))
            {
                return known;
            }
            try
            {
                using var metadata = await PostAsync(connector._api, "files/get_metadata", new { path = parent });
                if (DropboxMapper.Tag(metadata.RootElement) != "folder")
                {
                    return null;
                }
                var id = metadata.RootElement.GetProperty("id").GetString()!;
                Remember(parent, id);
                return id;
            }
            catch (ProviderException e) when (e.Kind == ProviderErrorKind.NotFound)
            {
                // The parent went away after this entry was recorded; its own delete is further down the feed.
                return null;
            }
        }

        private void Remember(string path, string id)
        {
            if (_folderIds.Count >= options.FolderCacheSize)
            {
                _folderIds.Clear();
            }
            _folderIds[path] = id;
        }

        private async Task<IReadOnlyList<RemotePermission>> MembersAsync(string route, object arg, string continueRoute)
        {
            var permissions = new List<RemotePermission>();
            var apiPath = "/2/" + route;
            using var first = await PostAsync(connector._api, route, arg);
            var page = first;
            try
            {
                while (true)
                {
                    var root = page.RootElement;
                    foreach (var user in root.GetProperty("users").EnumerateArray())
                    {
                        if (DropboxMapper.Member(user) is { } permission)
                        {
                            permissions.Add(permission);
                            var info = user.GetProperty("user");
                            if (_seenUsers.Add(permission.UserRemoteId!))
                            {
                                _discovered.Add(DropboxMapper.ToUser(info, apiPath));
                            }
                        }
                    }
                    foreach (var group in root.GetProperty("groups").EnumerateArray())
                    {
                        if (DropboxMapper.Member(group) is { } permission)
                        {
                            permissions.Add(permission);
                            if (_seenGroups.Add(permission.GroupRemoteId!))
                            {
                                _discovered.Add(DropboxMapper.ToGroup(group.GetProperty("group"), apiPath));
                            }
                        }
                    }
                    if (!root.TryGetProperty("cursor", out var cursor) || cursor.GetString() is not { Length: > 0 } next)
                    {
                        break;
                    }
                    var following = await PostAsync(connector._api, continueRoute, new { cursor = next });
                    if (page != first)
                    {
                        page.Dispose();
                    }
                    page = following;
                }
            }
            finally
            {
                if (page != first)
                {
                    page.Dispose();
                }
            }
            return permissions;
        }

        /// <summary>All of the user's shared links, once per run, by item id and by path (a folder's link reaches everything under it).</summary>
        private async Task LoadLinksAsync()
        {
            if (_linksById is not null)
            {
                return;
            }
            var byId = new Dictionary<string, List<RemotePermission>>(StringComparer.Ordinal);
            var byPath = new Dictionary<string, List<RemotePermission>>(StringComparer.Ordinal);
            string? cursor = null;
            do
            {
                using var page = await PostAsync(connector._api, "sharing/list_shared_links", cursor is null ? new { } : new { cursor });
                foreach (var link in page.RootElement.GetProperty("links").EnumerateArray())
                {
                    if (DropboxMapper.Link(link) is not { } permission)
                    {
                        continue;
                    }
                    if (Text(link, "id") is { } id)
                    {
                        Add(byId, id, permission);
                    }
                    if (Text(link, "path_lower") is { } path)
                    {
                        Add(byPath, path, permission);
                    }
                }
                cursor = page.RootElement.GetProperty("has_more").GetBoolean() ? Text(page.RootElement, "cursor") : null;
            }
            while (cursor is not null);
            (_linksById, _linksByPath) = (byId, byPath);

            static void Add(Dictionary<string, List<RemotePermission>> map, string key, RemotePermission permission)
            {
                if (!map.TryGetValue(key, out var list))
                {
                    map[key] = list = [];
                }
                list.Add(permission);
            }
        }

        private static string? Text(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }
}
