using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.Dropbox;

/// <summary>
/// Dropbox API v2 over a <see cref="FakeFileTree"/>, on one loopback origin with a path prefix per
/// Dropbox host (<c>/api</c>, <c>/content</c>; OAuth at <c>/www/oauth2/authorize</c> and
/// <c>/api/oauth2/token</c>). Everything is POST. <c>list_folder</c> lists a snapshot of the tree
/// page by page; its last cursor continues as the change feed, which reports changes since the
/// cursor's journal sequence the way Dropbox does: by path, a delete as a <c>deleted</c> entry with no
/// id (a deleted folder once, not its contents), a move or rename as a delete at the old path plus
/// the item at its new path, a moved folder with everything under it. Permissions render as shared
/// folders (a folder with group or user grants), explicit file members, and shared links (anyone →
/// public, domain → team). Refresh tokens are not rotated, as at Dropbox.
/// </summary>
internal sealed partial class DropboxFake : IFakeDialect
{
    public const string RootNamespaceId = "3235641";
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private readonly ConcurrentDictionary<string, List<(long Sequence, string Path)>> _pathHistory = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string[]> _listings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, MemoryStream> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _sharedFolderIds = new(StringComparer.Ordinal);
    private int _cursorEpoch;

    private DropboxFake(TimeProvider time)
    {
        Time = time;
        Tree = new FakeFileTree(_ => "id:" + RandomToken(22), time);
        Tree.Drives.Add(new FakeDrive(RootNamespaceId, "Dropbox", time.GetUtcNow().AddDays(-30)));
        Tree.Changed += NotifyWebhook;
    }

    public TimeProvider Time { get; }
    public FakeFileTree Tree { get; }
    public FakeTokens Tokens { get; } = new(rotateRefreshTokens: false);
    public DropboxSpecValidator Validator { get; } = new();
    public ProviderFakeHost Host { get; private set; } = null!;

    /// <summary>Base URLs by Dropbox host role, for <c>Integrations:dropbox:ApiBaseUrls</c>.</summary>
    public IReadOnlyDictionary<string, string> ApiBaseUrls => new Dictionary<string, string>
    {
        ["api"] = Host.Origin + "/api",
        ["content"] = Host.Origin + "/content",
        ["notify"] = Host.Origin + "/notify",
    };

    /// <summary>For the negative tests: edits each JSON response (by request path) before it is sent, to make the fake drift from the spec.</summary>
    public Action<string, JsonNode>? ResponseTamper { get; set; }

    public string TokenUrl => Host.Origin + "/api/oauth2/token";
    public string AuthorizationUrl => Host.Origin + "/www/oauth2/authorize";

    /// <summary>True for requests to the Dropbox API itself (faults are injected only there, not at the token endpoint).</summary>
    public static bool IsApiRequest(HttpRequest request) =>
        request.Path.StartsWithSegments("/api/2") || request.Path.StartsWithSegments("/content/2") || request.Path.StartsWithSegments("/notify/2");

    public static async Task<DropboxFake> StartAsync(TimeProvider? time = null)
    {
        var fake = new DropboxFake(time ?? TimeProvider.System);
        fake.Host = await ProviderFakeHost.StartAsync(fake, fake.Validator, app =>
        {
            fake.Tokens.Map(app, "/www/oauth2/authorize", "/api/oauth2/token");
            app.MapPost("/{host}/2/{**route}", (Func<HttpContext, string, string, Task>)fake.HandleAsync);
        });
        return fake;
    }

    /// <summary>Every cursor issued so far gets <c>reset</c> from <c>list_folder/continue</c> (Dropbox does this on its side at times).</summary>
    public void ResetCursors() => Interlocked.Increment(ref _cursorEpoch);

    /// <summary>The Dropbox account id the fake gives a <see cref="FakeUser"/> (40 characters, as the spec requires).</summary>
    public static string AccountId(string userId) =>
        "dbid:AA" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(userId))).Replace('+', '-').Replace('/', '_')[..33];

    public static string GroupId(string groupId) => "g:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(groupId)))[..24];

    public Task RenderRateLimitAsync(HttpContext context, TimeSpan? wait)
    {
        var seconds = (long)Math.Ceiling((wait ?? TimeSpan.FromSeconds(1)).TotalSeconds);
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return WriteJsonAsync(context, 429, RateLimitBody(seconds));
    }

    public static JsonObject RateLimitBody(long seconds) => new()
    {
        ["error_summary"] = "too_many_requests/",
        ["error"] = new JsonObject { ["reason"] = new JsonObject { [".tag"] = "too_many_requests" }, ["retry_after"] = seconds },
    };

    public async Task RenderServerErrorAsync(HttpContext context)
    {
        context.Response.StatusCode = 503;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("Service Unavailable", context.RequestAborted);
    }

    private async Task HandleAsync(HttpContext context, string host, string route)
    {
        Observe();
        var request = context.Request;
        var auth = request.Headers.Authorization.ToString();
        if (!Tokens.IsAuthorized(request))
        {
            var tag = auth.StartsWith("Bearer access-", StringComparison.Ordinal) ? "expired_access_token" : "invalid_access_token";
            await WriteJsonAsync(context, 401, new JsonObject { ["error_summary"] = tag + "/", ["error"] = new JsonObject { [".tag"] = tag } });
            return;
        }
        JsonObject arg;
        try
        {
            arg = await ReadArgAsync(request, host);
        }
        catch (JsonException e)
        {
            await WritePlainAsync(context, 400, "Error in call to API function \"" + route + "\": " + e.Message);
            return;
        }
        switch (route)
        {
            case "users/get_current_account":
                await WriteJsonAsync(context, 200, CurrentAccount());
                return;
            case "files/list_folder":
                await ListFolderAsync(context, arg);
                return;
            case "files/list_folder/continue":
                await ContinueAsync(context, arg);
                return;
            case "files/list_folder/get_latest_cursor":
                await WriteJsonAsync(context, 200, new JsonObject { ["cursor"] = Cursor(new FakeCursor("feed", Tree.Sequence, null, 0, 2000, true)) });
                return;
            case "files/get_metadata":
                await GetMetadataAsync(context, arg);
                return;
            case "files/download":
                await DownloadAsync(context, arg);
                return;
            case "files/export":
                await ExportAsync(context, arg);
                return;
            case "files/upload":
                await UploadAsync(context, arg);
                return;
            case "files/upload_session/start":
                await StartSessionAsync(context, arg);
                return;
            case "files/upload_session/append_v2":
                await AppendAsync(context, arg);
                return;
            case "files/upload_session/finish":
                await FinishAsync(context, arg);
                return;
            case "files/create_folder_v2":
                await CreateFolderAsync(context, arg);
                return;
            case "sharing/list_folder_members":
                await ListFolderMembersAsync(context, arg);
                return;
            case "sharing/list_file_members":
                await ListFileMembersAsync(context, arg);
                return;
            case "sharing/list_shared_links":
                await ListSharedLinksAsync(context, arg);
                return;
            default:
                await WritePlainAsync(context, 400, $"Unknown API function: \"{route}\"");
                return;
        }
    }

    // ---- account ----

    private JsonObject CurrentAccount()
    {
        var me = Tree.Me;
        var parts = me.Name.Split(' ', 2);
        return new JsonObject
        {
            ["account_id"] = AccountId(me.Id),
            ["name"] = new JsonObject
            {
                ["given_name"] = parts[0], ["surname"] = parts.Length > 1 ? parts[1] : "", ["familiar_name"] = parts[0],
                ["display_name"] = me.Name, ["abbreviated_name"] = string.Concat(parts.Select(p => p[0])),
            },
            ["email"] = me.Email,
            ["email_verified"] = true,
            ["disabled"] = false,
            ["country"] = "GB",
            ["locale"] = "en",
            ["referral_link"] = "https://db.tt/fakeref",
            ["is_paired"] = false,
            ["account_type"] = new JsonObject { [".tag"] = "basic" },
            ["root_info"] = new JsonObject { [".tag"] = "user", ["root_namespace_id"] = RootNamespaceId, ["home_namespace_id"] = RootNamespaceId, ["home_path"] = "" },
        };
    }

    // ---- listing and the change feed ----

    private sealed record FakeCursor(string Mode, long Sequence, string? Listing, int Offset, int Limit, bool ExplicitMembers, int Epoch = 0);

    private async Task ListFolderAsync(HttpContext context, JsonObject arg)
    {
        var path = arg["path"]?.GetValue<string>() ?? "";
        if (path.Length != 0 || arg["recursive"]?.GetValue<bool>() != true)
        {
            // The connector only ever lists the whole account; anything else is not modelled here.
            await WritePlainAsync(context, 400, "The fake lists only path \"\" recursively.");
            return;
        }
        var sequence = Tree.Sequence;
        var listing = Guid.NewGuid().ToString("N");
        _listings[listing] = [.. Tree.Items.Select(i => i.Id)];
        var limit = arg["limit"]?.GetValue<int>() ?? 2000;
        await ListPageAsync(context, new FakeCursor("list", sequence, listing, 0, limit, arg["include_has_explicit_shared_members"]?.GetValue<bool>() == true, _cursorEpoch));
    }

    private async Task ContinueAsync(HttpContext context, JsonObject arg)
    {
        FakeCursor? cursor;
        try
        {
            cursor = JsonSerializer.Deserialize<FakeCursor>(Convert.FromBase64String(arg["cursor"]!.GetValue<string>()));
        }
        catch (FormatException)
        {
            cursor = null;
        }
        if (cursor is null || (cursor.Mode == "list" && !_listings.ContainsKey(cursor.Listing ?? "")))
        {
            await WritePlainAsync(context, 400, "Invalid cursor");
            return;
        }
        if (cursor.Epoch != Volatile.Read(ref _cursorEpoch))
        {
            await WriteJsonAsync(context, 409, new JsonObject { ["error_summary"] = "reset/", ["error"] = new JsonObject { [".tag"] = "reset" } });
            return;
        }
        if (cursor.Mode == "list")
        {
            await ListPageAsync(context, cursor);
            return;
        }
        await FeedPageAsync(context, cursor);
    }

    private async Task ListPageAsync(HttpContext context, FakeCursor cursor)
    {
        var ids = _listings[cursor.Listing!];
        var entries = new JsonArray();
        var offset = cursor.Offset;
        while (offset < ids.Length && entries.Count < cursor.Limit)
        {
            if (Tree.Find(ids[offset++]) is { Deleted: false } item)
            {
                entries.Add(Metadata(item, cursor.ExplicitMembers));
            }
        }
        var hasMore = offset < ids.Length;
        var next = hasMore ? cursor with { Offset = offset } : new FakeCursor("feed", cursor.Sequence, null, 0, cursor.Limit, cursor.ExplicitMembers, cursor.Epoch);
        await WriteJsonAsync(context, 200, new JsonObject { ["entries"] = entries, ["cursor"] = Cursor(next), ["has_more"] = hasMore });
    }

    private async Task FeedPageAsync(HttpContext context, FakeCursor cursor)
    {
        var changes = Tree.ChangesSince(cursor.Sequence);
        var taken = changes.Take(cursor.Limit).ToList();
        var hasMore = changes.Count > taken.Count;
        var nextSequence = hasMore ? taken[^1].Change.Sequence : Math.Max(cursor.Sequence, Tree.Sequence);

        var deleted = new List<(FakeItem Item, string Path)>();
        var present = new List<FakeItem>();
        foreach (var (change, item) in taken)
        {
            var before = PathAt(item.Id, cursor.Sequence);
            if (item.Deleted)
            {
                deleted.Add((item, before ?? Tree.PathOf(item)));
                continue;
            }
            var now = Tree.PathOf(item);
            if (before is not null && !string.Equals(before, now, StringComparison.OrdinalIgnoreCase))
            {
                deleted.Add((item, before));
                if (item.IsFolder)
                {
                    // A moved or renamed folder changes the path of everything under it.
                    present.Add(item);
                    present.AddRange(Descendants(item));
                    continue;
                }
            }
            present.Add(item);
        }
        var deletedPaths = deleted.Select(d => d.Path.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        var entries = new JsonArray();
        foreach (var (item, path) in deleted)
        {
            var lower = path.ToLowerInvariant();
            // Dropbox reports a deleted folder once; what was under it is implied.
            if (deletedPaths.Any(p => lower.StartsWith(p + "/", StringComparison.Ordinal)))
            {
                continue;
            }
            entries.Add(new JsonObject { [".tag"] = "deleted", ["name"] = path[(path.LastIndexOf('/') + 1)..], ["path_lower"] = lower, ["path_display"] = path });
        }
        foreach (var item in present.DistinctBy(i => i.Id))
        {
            entries.Add(Metadata(item, cursor.ExplicitMembers));
        }
        var next = cursor with { Sequence = nextSequence };
        await WriteJsonAsync(context, 200, new JsonObject { ["entries"] = entries, ["cursor"] = Cursor(next), ["has_more"] = hasMore });
    }

    private IEnumerable<FakeItem> Descendants(FakeItem folder)
    {
        foreach (var child in Tree.Items.Where(i => i.ParentId == folder.Id))
        {
            yield return child;
            if (child.IsFolder)
            {
                foreach (var grandchild in Descendants(child))
                {
                    yield return grandchild;
                }
            }
        }
    }

    /// <summary>Records each item's path whenever it changes, so the feed can name where an item was at a cursor's sequence.</summary>
    private void Observe()
    {
        var sequence = Tree.Sequence;
        foreach (var item in Tree.Items)
        {
            var path = Tree.PathOf(item);
            var history = _pathHistory.GetOrAdd(item.Id, _ => []);
            lock (history)
            {
                if (history.Count == 0 || history[^1].Path != path)
                {
                    history.Add((sequence, path));
                }
            }
        }
    }

    private string? PathAt(string id, long sequence)
    {
        if (!_pathHistory.TryGetValue(id, out var history))
        {
            return null;
        }
        lock (history)
        {
            return history.LastOrDefault(h => h.Sequence <= sequence).Path;
        }
    }

    private static string Cursor(FakeCursor cursor) => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(cursor));

    // ---- metadata ----

    /// <summary>
    /// An item as <c>files.Metadata</c>: with the subtype's <c>.tag</c> where the declared type is the
    /// polymorphic <c>Metadata</c> (listings, get_metadata), without it where the route declares
    /// <c>FileMetadata</c> or <c>FolderMetadata</c> itself (upload, download, create_folder_v2).
    /// </summary>
    private JsonObject Metadata(FakeItem item, bool explicitMembers, bool tagged = true)
    {
        var path = Tree.PathOf(item);
        var entry = new JsonObject
        {
            [".tag"] = item.IsFolder ? "folder" : "file",
            ["name"] = item.Name,
            ["path_lower"] = path.ToLowerInvariant(),
            ["path_display"] = path,
            ["id"] = item.Id,
        };
        var sharedHere = item.IsFolder && IsSharedFolder(item) ? SharedFolderId(item) : null;
        var parentShared = SharedAncestor(item) is { } ancestor ? SharedFolderId(ancestor) : null;
        if (item.IsFolder)
        {
            if (sharedHere is not null || parentShared is not null)
            {
                entry["sharing_info"] = new JsonObject
                {
                    ["read_only"] = false, ["parent_shared_folder_id"] = parentShared, ["shared_folder_id"] = sharedHere,
                    ["traverse_only"] = false, ["no_access"] = false,
                };
            }
            return Untag(Compact(entry), tagged);
        }
        var content = item.Content!;
        entry["client_modified"] = Timestamp(item.ModifiedAt);
        entry["server_modified"] = Timestamp(item.ModifiedAt);
        entry["rev"] = Rev(item);
        entry["size"] = content.Length;
        entry["is_downloadable"] = !item.IsNativeDocument;
        if (item.IsNativeDocument)
        {
            entry["export_info"] = new JsonObject { ["export_as"] = "markdown", ["export_options"] = new JsonArray("markdown", "html") };
        }
        if (content.Length <= 8 * 1024 * 1024)
        {
            entry["content_hash"] = ContentHash(content.ToArray());
        }
        if (parentShared is not null)
        {
            entry["sharing_info"] = new JsonObject { ["read_only"] = false, ["parent_shared_folder_id"] = parentShared, ["modified_by"] = AccountId(Tree.Me.Id) };
        }
        if (explicitMembers)
        {
            entry["has_explicit_shared_members"] = HasExplicitMembers(item);
        }
        return Untag(entry, tagged);
    }

    private static JsonObject Untag(JsonObject entry, bool tagged)
    {
        if (!tagged)
        {
            entry.Remove(".tag");
        }
        return entry;
    }

    private static JsonObject Compact(JsonObject entry)
    {
        if (entry["sharing_info"] is JsonObject sharing)
        {
            foreach (var key in sharing.Where(p => p.Value is null).Select(p => p.Key).ToList())
            {
                sharing.Remove(key);
            }
        }
        return entry;
    }

    private static bool IsSharedFolder(FakeItem folder) =>
        folder.Permissions.Any(p => p.Kind == FakePermissionKind.Group || (p.Kind == FakePermissionKind.User && p.Role != FakeRole.Owner));

    private static bool HasExplicitMembers(FakeItem file) =>
        file.Permissions.Any(p => p.Kind is FakePermissionKind.Group || (p.Kind == FakePermissionKind.User && p.Role != FakeRole.Owner));

    private FakeItem? SharedAncestor(FakeItem item)
    {
        for (var parent = item.ParentId is null ? null : Tree.Find(item.ParentId); parent is not null; parent = parent.ParentId is null ? null : Tree.Find(parent.ParentId))
        {
            if (IsSharedFolder(parent))
            {
                return parent;
            }
        }
        return null;
    }

    private string SharedFolderId(FakeItem folder) =>
        _sharedFolderIds.GetOrAdd(folder.Id, _ => (84528192000L + _sharedFolderIds.Count).ToString(CultureInfo.InvariantCulture));

    private FakeItem? FolderBySharedId(string sharedFolderId)
    {
        var id = _sharedFolderIds.FirstOrDefault(p => p.Value == sharedFolderId).Key;
        return id is null ? null : Tree.Find(id);
    }

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Rev(FakeItem item) => (item.Version + 0x10000000L).ToString("x9", CultureInfo.InvariantCulture) + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(item.Id)))[..6];

    /// <summary>Dropbox's content hash: SHA-256 over the SHA-256s of each 4 MiB block.</summary>
    public static string ContentHash(byte[] bytes)
    {
        using var overall = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var offset = 0; offset < bytes.Length || offset == 0; offset += 4 * 1024 * 1024)
        {
            overall.AppendData(SHA256.HashData(bytes.AsSpan(offset, Math.Min(4 * 1024 * 1024, bytes.Length - offset))));
            if (bytes.Length == 0)
            {
                break;
            }
        }
        return Convert.ToHexStringLower(overall.GetHashAndReset());
    }

    private FakeItem? Resolve(string? pathOrId)
    {
        if (string.IsNullOrEmpty(pathOrId))
        {
            return null;
        }
        if (pathOrId.StartsWith("id:", StringComparison.Ordinal))
        {
            return Tree.Find(pathOrId) is { Deleted: false } byId ? byId : null;
        }
        return Tree.Items.FirstOrDefault(i => string.Equals(Tree.PathOf(i), pathOrId, StringComparison.OrdinalIgnoreCase));
    }

    private static JsonObject NotFound(string summary = "path/not_found/") => new()
    {
        ["error_summary"] = summary,
        ["error"] = new JsonObject { [".tag"] = "path", ["path"] = new JsonObject { [".tag"] = "not_found" } },
    };

    private async Task GetMetadataAsync(HttpContext context, JsonObject arg)
    {
        if (Resolve(arg["path"]?.GetValue<string>()) is not { } item)
        {
            await WriteJsonAsync(context, 409, NotFound());
            return;
        }
        await WriteJsonAsync(context, 200, Metadata(item, arg["include_has_explicit_shared_members"]?.GetValue<bool>() == true));
    }

    // ---- download ----

    private async Task DownloadAsync(HttpContext context, JsonObject arg)
    {
        if (Resolve(arg["path"]?.GetValue<string>()) is not { IsFolder: false } item)
        {
            await WriteJsonAsync(context, 409, NotFound());
            return;
        }
        if (item.IsNativeDocument)
        {
            await WriteJsonAsync(context, 409, new JsonObject { ["error_summary"] = "unsupported_file/", ["error"] = new JsonObject { [".tag"] = "unsupported_file" } });
            return;
        }
        var content = item.Content!;
        var result = Metadata(item, explicitMembers: false, tagged: false).ToJsonString(Json);
        foreach (var violation in Validator.ValidateDownloadResult("/2/files/download", result))
        {
            Host.Violations.Enqueue("POST /content/2/files/download: " + violation);
        }
        long from = 0, to = content.Length - 1;
        var response = context.Response;
        response.Headers["Dropbox-API-Result"] = result;
        response.Headers.AcceptRanges = "bytes";
        response.ContentType = "application/octet-stream";
        if (RangeHeader(context.Request.Headers.Range.ToString(), content.Length) is { } range)
        {
            (from, to) = range;
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {from}-{to}/{content.Length}";
        }
        else
        {
            response.StatusCode = 200;
        }
        response.ContentLength = to - from + 1;
        await content.WriteToAsync(response.Body, from, to, context.RequestAborted);
    }

    /// <summary>A Paper-like document exported as Markdown (its text) or HTML.</summary>
    private async Task ExportAsync(HttpContext context, JsonObject arg)
    {
        if (Resolve(arg["path"]?.GetValue<string>()) is not { IsFolder: false } item)
        {
            await WriteJsonAsync(context, 409, NotFound());
            return;
        }
        var format = arg["export_format"]?.GetValue<string>() ?? "markdown";
        if (!item.IsNativeDocument || format is not ("markdown" or "html"))
        {
            var tag = item.IsNativeDocument ? "invalid_export_format" : "non_exportable";
            await WriteJsonAsync(context, 409, new JsonObject { ["error_summary"] = tag + "/", ["error"] = new JsonObject { [".tag"] = tag } });
            return;
        }
        var text = Encoding.UTF8.GetString(item.Content!.ToArray());
        var bytes = Encoding.UTF8.GetBytes(format == "markdown" ? text : $"<html><body><pre>{System.Net.WebUtility.HtmlEncode(text)}</pre></body></html>");
        var stem = Path.GetFileNameWithoutExtension(item.Name);
        var result = new JsonObject
        {
            ["export_metadata"] = new JsonObject { ["name"] = stem + (format == "markdown" ? ".md" : ".html"), ["size"] = bytes.Length },
            ["file_metadata"] = Metadata(item, explicitMembers: false, tagged: false),
        }.ToJsonString(Json);
        foreach (var violation in Validator.ValidateDownloadResult("/2/files/export", result))
        {
            Host.Violations.Enqueue("POST /content/2/files/export: " + violation);
        }
        context.Response.Headers["Dropbox-API-Result"] = result;
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private static (long From, long To)? RangeHeader(string header, long length)
    {
        if (!header.StartsWith("bytes=", StringComparison.Ordinal) || length == 0)
        {
            return null;
        }
        var parts = header["bytes=".Length..].Split('-');
        if (parts.Length != 2 || !long.TryParse(parts[0], CultureInfo.InvariantCulture, out var from) || from >= length)
        {
            return null;
        }
        var to = parts[1].Length == 0 ? length - 1 : Math.Min(long.Parse(parts[1], CultureInfo.InvariantCulture), length - 1);
        return (from, to);
    }

    // ---- uploads and folders ----

    private async Task UploadAsync(HttpContext context, JsonObject arg)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        await CommitAsync(context, arg, body.ToArray());
    }

    private async Task StartSessionAsync(HttpContext context, JsonObject arg)
    {
        var session = new MemoryStream();
        await context.Request.Body.CopyToAsync(session, context.RequestAborted);
        var id = "session-" + RandomToken(16);
        _sessions[id] = session;
        await WriteJsonAsync(context, 200, new JsonObject { ["session_id"] = id });
    }

    private async Task AppendAsync(HttpContext context, JsonObject arg)
    {
        var cursor = arg["cursor"]!.AsObject();
        if (await SessionAsync(context, cursor, "") is not { } session)
        {
            return;
        }
        await context.Request.Body.CopyToAsync(session, context.RequestAborted);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("null", context.RequestAborted);
    }

    private async Task FinishAsync(HttpContext context, JsonObject arg)
    {
        var cursor = arg["cursor"]!.AsObject();
        if (await SessionAsync(context, cursor, "lookup_failed") is not { } session)
        {
            return;
        }
        await context.Request.Body.CopyToAsync(session, context.RequestAborted);
        _sessions.TryRemove(cursor["session_id"]!.GetValue<string>(), out _);
        await CommitAsync(context, arg["commit"]!.AsObject(), session.ToArray());
    }

    /// <summary>The session a cursor names, if its offset is where the session is; otherwise Dropbox's 409.</summary>
    private async Task<MemoryStream?> SessionAsync(HttpContext context, JsonObject cursor, string wrapper)
    {
        JsonObject Wrap(JsonObject error) =>
            wrapper.Length == 0 ? error : new JsonObject { [".tag"] = wrapper, [wrapper] = error };
        if (!_sessions.TryGetValue(cursor["session_id"]!.GetValue<string>(), out var session))
        {
            await WriteJsonAsync(context, 409, new JsonObject { ["error_summary"] = (wrapper.Length > 0 ? wrapper + "/" : "") + "not_found/", ["error"] = Wrap(new JsonObject { [".tag"] = "not_found" }) });
            return null;
        }
        var offset = cursor["offset"]!.GetValue<long>();
        if (offset != session.Length)
        {
            await WriteJsonAsync(context, 409, new JsonObject
            {
                ["error_summary"] = (wrapper.Length > 0 ? wrapper + "/" : "") + "incorrect_offset/",
                ["error"] = Wrap(new JsonObject { [".tag"] = "incorrect_offset", ["correct_offset"] = session.Length }),
            });
            return null;
        }
        return session;
    }

    private async Task CommitAsync(HttpContext context, JsonObject commit, byte[] bytes)
    {
        var path = commit["path"]!.GetValue<string>();
        var (parent, name) = Split(path);
        if (parent is { Length: > 0 } && Resolve(parent) is not { IsFolder: true })
        {
            await WriteJsonAsync(context, 409, NotFound("path/not_found/"));
            return;
        }
        var parentId = parent is { Length: > 0 } ? Resolve(parent)!.Id : null;
        var taken = Tree.Items.Where(i => i.ParentId == parentId).Select(i => i.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (taken.Contains(name))
        {
            if (commit["autorename"]?.GetValue<bool>() != true)
            {
                await WriteJsonAsync(context, 409, new JsonObject
                {
                    ["error_summary"] = "path/conflict/file/",
                    ["error"] = new JsonObject
                    {
                        [".tag"] = "path",
                        ["reason"] = new JsonObject { [".tag"] = "conflict", ["conflict"] = new JsonObject { [".tag"] = "file" } },
                        ["upload_session_id"] = "",
                    },
                });
                return;
            }
            var stem = Path.GetFileNameWithoutExtension(name);
            var extension = Path.GetExtension(name);
            for (var n = 1; taken.Contains(name); n++)
            {
                name = $"{stem} ({n}){extension}";
            }
        }
        var file = Tree.AddFile(name, FakeContent.Of(bytes), parentId, "application/octet-stream", RootNamespaceId);
        await WriteJsonAsync(context, 200, Metadata(file, explicitMembers: false, tagged: false));
    }

    private async Task CreateFolderAsync(HttpContext context, JsonObject arg)
    {
        var (parent, name) = Split(arg["path"]!.GetValue<string>());
        var parentItem = parent is { Length: > 0 } ? Resolve(parent) : null;
        if (parent is { Length: > 0 } && parentItem is not { IsFolder: true })
        {
            await WriteJsonAsync(context, 409, new JsonObject
            {
                ["error_summary"] = "path/malformed_path/",
                ["error"] = new JsonObject { [".tag"] = "path", ["path"] = new JsonObject { [".tag"] = "malformed_path", ["malformed_path"] = null } },
            });
            return;
        }
        if (Tree.Items.Any(i => i.ParentId == parentItem?.Id && string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            await WriteJsonAsync(context, 409, new JsonObject
            {
                ["error_summary"] = "path/conflict/folder/",
                ["error"] = new JsonObject { [".tag"] = "path", ["path"] = new JsonObject { [".tag"] = "conflict", ["conflict"] = new JsonObject { [".tag"] = "folder" } } },
            });
            return;
        }
        var folder = Tree.AddFolder(name, parentItem?.Id, RootNamespaceId);
        await WriteJsonAsync(context, 200, new JsonObject { ["metadata"] = Metadata(folder, explicitMembers: false, tagged: false) });
    }

    private static (string Parent, string Name) Split(string path)
    {
        var slash = path.LastIndexOf('/');
        return (path[..Math.Max(slash, 0)], path[(slash + 1)..]);
    }

    // ---- sharing ----

    private async Task ListFolderMembersAsync(HttpContext context, JsonObject arg)
    {
        if (FolderBySharedId(arg["shared_folder_id"]!.GetValue<string>()) is not { Deleted: false } folder)
        {
            await WriteJsonAsync(context, 409, new JsonObject
            {
                ["error_summary"] = "invalid_id/",
                ["error"] = new JsonObject { [".tag"] = "invalid_id" },
            });
            return;
        }
        await WriteJsonAsync(context, 200, Members(folder.Permissions, []));
    }

    private async Task ListFileMembersAsync(HttpContext context, JsonObject arg)
    {
        if (Resolve(arg["file"]!.GetValue<string>()) is not { IsFolder: false } file)
        {
            await WriteJsonAsync(context, 409, new JsonObject
            {
                ["error_summary"] = "access_error/invalid_file/",
                ["error"] = new JsonObject { [".tag"] = "access_error", ["access_error"] = new JsonObject { [".tag"] = "invalid_file" } },
            });
            return;
        }
        var inherited = arg["include_inherited"]?.GetValue<bool>() != false && SharedAncestor(file) is { } ancestor ? ancestor.Permissions : [];
        await WriteJsonAsync(context, 200, Members(file.Permissions, inherited));
    }

    private JsonObject Members(IEnumerable<FakePermission> direct, IEnumerable<FakePermission> inherited)
    {
        var users = new JsonArray();
        var groups = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (permission, isInherited) in direct.Select(p => (p, false)).Concat(inherited.Select(p => (p, true))))
        {
            var access = new JsonObject { [".tag"] = permission.Role switch { FakeRole.Owner => "owner", FakeRole.Writer => "editor", _ => "viewer" } };
            if (permission.Kind == FakePermissionKind.User && Tree.Users.FirstOrDefault(u => u.Id == permission.UserId) is { } user && seen.Add("u" + user.Id))
            {
                users.Add(new JsonObject
                {
                    ["access_type"] = access,
                    ["user"] = new JsonObject { ["account_id"] = AccountId(user.Id), ["email"] = user.Email, ["display_name"] = user.Name, ["same_team"] = false },
                    ["is_inherited"] = isInherited,
                });
            }
            else if (permission.Kind == FakePermissionKind.Group && Tree.Groups.FirstOrDefault(g => g.Id == permission.GroupId) is { } group && seen.Add("g" + group.Id))
            {
                groups.Add(new JsonObject
                {
                    ["access_type"] = access,
                    ["group"] = new JsonObject
                    {
                        ["group_name"] = group.Name, ["group_id"] = GroupId(group.Id),
                        ["group_management_type"] = new JsonObject { [".tag"] = "user_managed" }, ["group_type"] = new JsonObject { [".tag"] = "user_managed" },
                        ["is_member"] = group.MemberIds.Contains(Tree.Me.Id), ["is_owner"] = false, ["same_team"] = false, ["member_count"] = group.MemberIds.Count,
                    },
                    ["is_inherited"] = isInherited,
                });
            }
        }
        return new JsonObject { ["users"] = users, ["groups"] = groups, ["invitees"] = new JsonArray() };
    }

    /// <summary>Anyone and domain grants as the user's shared links, three per page so the connector has to follow <c>cursor</c>.</summary>
    private async Task ListSharedLinksAsync(HttpContext context, JsonObject arg)
    {
        const int PageSize = 3;
        var links = Tree.Items
            .SelectMany(item => item.Permissions.Where(p => p.Kind is FakePermissionKind.Anyone or FakePermissionKind.Domain).Select(p => (item, p)))
            .ToList();
        var offset = arg["cursor"]?.GetValue<string>() is { } c ? int.Parse(c, CultureInfo.InvariantCulture) : 0;
        var page = new JsonArray();
        foreach (var (item, permission) in links.Skip(offset).Take(PageSize))
        {
            var audience = permission.Kind == FakePermissionKind.Anyone ? "public" : "team";
            var link = new JsonObject
            {
                [".tag"] = item.IsFolder ? "folder" : "file",
                ["url"] = $"https://www.dropbox.com/scl/fi/{RandomToken(20)}/{Uri.EscapeDataString(item.Name)}?dl=0",
                ["id"] = item.Id,
                ["name"] = item.Name,
                ["path_lower"] = Tree.PathOf(item).ToLowerInvariant(),
                ["link_permissions"] = new JsonObject
                {
                    ["resolved_visibility"] = new JsonObject { [".tag"] = audience == "public" ? "public" : "team_only" },
                    ["effective_audience"] = new JsonObject { [".tag"] = audience },
                    ["link_access_level"] = new JsonObject { [".tag"] = permission.Role == FakeRole.Writer ? "editor" : "viewer" },
                    ["can_revoke"] = true, ["visibility_policies"] = new JsonArray(), ["can_set_expiry"] = true, ["can_remove_expiry"] = true,
                    ["allow_download"] = true, ["can_allow_download"] = true, ["can_disallow_download"] = true, ["allow_comments"] = true,
                    ["team_restricts_comments"] = false,
                },
            };
            if (!item.IsFolder)
            {
                link["client_modified"] = Timestamp(item.ModifiedAt);
                link["server_modified"] = Timestamp(item.ModifiedAt);
                link["rev"] = Rev(item);
                link["size"] = item.Content!.Length;
            }
            page.Add(link);
        }
        var hasMore = offset + PageSize < links.Count;
        var result = new JsonObject { ["links"] = page, ["has_more"] = hasMore };
        if (hasMore)
        {
            result["cursor"] = (offset + PageSize).ToString(CultureInfo.InvariantCulture);
        }
        await WriteJsonAsync(context, 200, result);
    }

    // ---- wire helpers ----

    private static async Task<JsonObject> ReadArgAsync(HttpRequest request, string host)
    {
        string? text;
        if (request.Headers.TryGetValue("Dropbox-API-Arg", out var header))
        {
            text = header.ToString();
        }
        else if (host == "content")
        {
            text = request.Query["arg"].ToString();
        }
        else
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8, leaveOpen: true);
            text = await reader.ReadToEndAsync();
        }
        return string.IsNullOrWhiteSpace(text) || text.Trim() == "null" ? [] : JsonNode.Parse(text) as JsonObject ?? [];
    }

    private async Task WriteJsonAsync(HttpContext context, int status, JsonNode body)
    {
        if (ResponseTamper is { } tamper)
        {
            tamper(context.Request.Path.Value ?? "", body);
        }
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(Json), context.RequestAborted);
    }

    private static async Task WritePlainAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text, context.RequestAborted);
    }

    private static string RandomToken(int length)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        return string.Create(length, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }
        });
    }
}
