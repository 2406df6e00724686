using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Tributary.Integrations.Catalog;
using Tributary.Integrations.Providers.GoogleDrive;
using Tributary.Server.Tests.Connectors.Compliance;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.GoogleDrive;

/// <summary>
/// Google Drive v3 as the connector sees it, over a <see cref="FakeFileTree"/>: <c>about</c>,
/// <c>changes.getStartPageToken</c>/<c>changes.list</c> (numeric tokens over the tree's journal;
/// deletes as <c>removed</c>, trash as <c>file.trashed</c>), <c>drives.list</c> (every drive but the
/// first is a shared drive), <c>files.list</c> (keyset pages; shared-drive items only with
/// <c>supportsAllDrives</c> + <c>includeItemsFromAllDrives</c>, and without <c>permissions</c>/<c>owners</c>,
/// as Drive does), <c>files.get</c> (metadata, <c>alt=media</c> with Range), <c>files.export</c>,
/// <c>permissions.list</c>, <c>files.create</c> (metadata, multipart and resumable uploads with
/// 308 Resume Incomplete), partial responses by <c>fields</c>, Google's error envelope, 403
/// <c>userRateLimitExceeded</c> without Retry-After, Google's OAuth endpoints (no refresh rotation), and push
/// (<c>changes.watch</c>, <c>channels.stop</c>, notifications to live channels: GoogleDriveFake.Push.cs).
/// </summary>
internal sealed partial class GoogleDriveFake : IFakeDialect
{
    public const string MyDriveRootId = "0AFakeMyDriveRootUk9PVA";
    private const string FolderMime = GoogleDriveMapper.FolderMimeType;
    private static readonly HttpClient SharedHttp = new();

    private readonly ConcurrentDictionary<string, UploadSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _trashed = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<JsonObject> _driveChanges = new();

    private GoogleDriveFake(FakeFileTree tree, FakeTokens tokens)
    {
        Tree = tree;
        Tokens = tokens;
        tree.Changed += (_, _) => Notify("change");
    }

    public FakeFileTree Tree { get; }
    public FakeTokens Tokens { get; }
    public ProviderFakeHost Host { get; private set; } = null!;

    /// <summary>Runs on every File object the fake returns, after the <c>fields</c> selection: tests use it to make the fake drift.</summary>
    public Action<JsonObject>? AlterFile { get; set; }

    /// <summary>Requests whose <c>pageSize</c> the fake cut to this, like Drive's "partial pages are possible".</summary>
    public int? MaxPageSize { get; set; }

    public static string NewId(bool folder) => "1" + (folder ? "F" : "D") + WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(24));

    /// <summary>A Drive permission id: the same for a principal on every file.</summary>
    public static string PermissionIdOf(string principalId) =>
        BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(principalId)), 0).ToString("D20", CultureInfo.InvariantCulture);

    /// <summary>Starts the fake with My Drive and whatever <paramref name="seed"/> adds, and a connector pointed at it.</summary>
    public static async Task<(ConnectorTestBed Bed, GoogleDriveFake Fake)> StartAsync(Action<FakeFileTree> seed, GoogleDriveOptions options)
    {
        var tree = new FakeFileTree(NewId);
        tree.Drives.Add(new FakeDrive(MyDriveRootId, "My Drive", DateTimeOffset.Parse("2024-01-01T00:00:00Z", CultureInfo.InvariantCulture)));
        seed(tree);
        var fake = new GoogleDriveFake(tree, new FakeTokens(rotateRefreshTokens: false));
        fake.Host = await ProviderFakeHost.StartAsync(fake, new DriveDiscoveryValidator(), fake.Map);
        var integration = IntegrationCatalog.LoadEmbedded().Find(GoogleDriveConnector.Slug)! with
        {
            ApiBaseUrls = new Dictionary<string, string> { ["api"] = fake.Host.Origin + "/drive/v3", ["upload"] = fake.Host.Origin + "/upload/drive/v3" },
        };
        var connector = new GoogleDriveConnector(integration, SharedHttp, TimeProvider.System, options);
        var world = new FakeTreeWorld(tree, fake.Host, fake.Tokens, r => !IsOAuth(r.Path));
        var credentials = new RefreshingTestCredential(fake.Tokens.Grant(), fake.Host.Origin + "/token", SharedHttp);
        return (new ConnectorTestBed(connector, world, credentials), fake);
    }

    private static bool IsOAuth(PathString path) => path.StartsWithSegments("/token") || path.StartsWithSegments("/o");

    /// <summary>
    /// Moves an item to the trash: listed no more, and the change feed reports it with <c>trashed=true</c>.
    /// A trashed folder's descendants are trashed implicitly, as in Drive ("trashed, either explicitly or
    /// from a trashed parent folder"): they read <c>trashed=true</c> and leave <c>files.list</c>, but the
    /// change feed reports only the folder (Drive "may or may not" report each child; this is the hard case).
    /// </summary>
    public void Trash(string id)
    {
        _trashed[id] = 0;
        Tree.Rename(id, Tree.Find(id)!.Name);
    }

    /// <summary>Restores an item from the trash; as in Drive, the change feed reports only the item itself.</summary>
    public void Untrash(string id)
    {
        _trashed.TryRemove(id, out _);
        Tree.Rename(id, Tree.Find(id)!.Name);
    }

    /// <summary>Trashed explicitly or under a trashed folder.</summary>
    private bool IsTrashed(FakeItem item)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (FakeItem? current = item; current is not null && seen.Add(current.Id); current = current.ParentId is { } parent ? Tree.Find(parent) : null)
        {
            if (_trashed.ContainsKey(current.Id))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A shared drive is renamed (<paramref name="newName"/>) or deleted (null): the next change list's last page
    /// carries a <c>changeType=drive</c> change. The tree journals items only, so drive changes are delivered once.
    /// </summary>
    public void ChangeSharedDrive(string driveId, string? newName)
    {
        var index = Tree.Drives.FindIndex(d => d.Id == driveId);
        var change = new JsonObject
        {
            ["kind"] = "drive#change", ["changeType"] = "drive", ["time"] = Time(TimeProvider.System.GetUtcNow()), ["driveId"] = driveId,
            ["removed"] = newName is null,
        };
        if (newName is null)
        {
            Tree.Drives.RemoveAt(index);
        }
        else
        {
            Tree.Drives[index] = Tree.Drives[index] with { Name = newName };
            change["drive"] = new JsonObject { ["kind"] = "drive#drive", ["id"] = driveId, ["name"] = newName, ["createdTime"] = Time(Tree.Drives[index].CreatedAt) };
        }
        _driveChanges.Enqueue(change);
        Notify("change");
    }

    public void Map(WebApplication app)
    {
        Tokens.Map(app, "/o/oauth2/v2/auth", "/token");
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                // A bug in the fake shows up in the connector's error message instead of a bare 500.
                await ErrorAsync(context, 500, $"fake failure: {e.GetType().Name}: {e.Message}", "backendError", "INTERNAL", null, null);
            }
        });
        app.Use(async (context, next) =>
        {
            if (!IsOAuth(context.Request.Path) && !Tokens.IsAuthorized(context.Request))
            {
                await ErrorAsync(context, 401, "Request had invalid authentication credentials.", "authError", "UNAUTHENTICATED", "Authorization", "header");
                return;
            }
            await next(context);
        });
        app.MapGet("/drive/v3/about", AboutAsync);
        app.MapGet("/drive/v3/changes/startPageToken", context => JsonAsync(context, new JsonObject
        {
            ["kind"] = "drive#startPageToken",
            ["startPageToken"] = (Tree.Sequence + 1).ToString(CultureInfo.InvariantCulture),
        }));
        app.MapGet("/drive/v3/changes", ChangesAsync);
        app.MapPost("/drive/v3/changes/watch", WatchAsync);
        app.MapPost("/drive/v3/channels/stop", StopChannelAsync);
        app.MapGet("/drive/v3/drives", DrivesAsync);
        app.MapGet("/drive/v3/files", FilesAsync);
        app.MapPost("/drive/v3/files", CreateFromMetadataAsync);
        app.MapGet("/drive/v3/files/{fileId}", GetFileAsync);
        app.MapGet("/drive/v3/files/{fileId}/export", ExportAsync);
        app.MapGet("/drive/v3/files/{fileId}/permissions", PermissionsAsync);
        app.MapPost("/upload/drive/v3/files", UploadAsync);
        app.MapPut("/upload/drive/v3/files", ChunkAsync);
    }

    // ---------------------------------------------------------------- reads

    private Task AboutAsync(HttpContext context) => JsonAsync(context, new JsonObject
    {
        ["kind"] = "drive#about",
        ["user"] = UserJson(Tree.Me),
        ["exportFormats"] = new JsonObject { ["application/vnd.google-apps.document"] = new JsonArray("application/pdf", "text/plain") },
    });

    private Task ChangesAsync(HttpContext context)
    {
        var query = context.Request.Query;
        if (!long.TryParse(query["pageToken"], NumberStyles.None, CultureInfo.InvariantCulture, out var token) || token < 1)
        {
            return ErrorAsync(context, 400, $"Invalid value for pageToken: {query["pageToken"]}", "invalid", "INVALID_ARGUMENT", "pageToken", "parameter");
        }
        var allDrives = query["supportsAllDrives"] == "true" && query["includeItemsFromAllDrives"] == "true";
        var current = Tree.Sequence;
        var changes = Tree.ChangesSince(token - 1).Where(c => c.Change.Sequence <= current && (allDrives || c.Item.DriveId == MyDriveRootId)).ToList();
        var page = changes.Take(PageSize(context)).ToList();
        var list = new JsonArray();
        foreach (var (change, item) in page)
        {
            var entry = new JsonObject
            {
                ["kind"] = "drive#change",
                ["changeType"] = "file",
                ["time"] = Time(item.ModifiedAt),
                ["removed"] = item.Deleted,
                ["fileId"] = item.Id,
            };
            if (item.DriveId != MyDriveRootId)
            {
                entry["driveId"] = item.DriveId;
            }
            if (!item.Deleted)
            {
                entry["file"] = FileJson(item, withSharing: item.DriveId == MyDriveRootId);
            }
            list.Add(entry);
        }
        var result = new JsonObject { ["kind"] = "drive#changeList", ["changes"] = list };
        if (page.Count < changes.Count)
        {
            result["nextPageToken"] = (page[^1].Change.Sequence + 1).ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            while (allDrives && _driveChanges.TryDequeue(out var driveChange))
            {
                list.Add(driveChange);
            }
            result["newStartPageToken"] = (current + 1).ToString(CultureInfo.InvariantCulture);
        }
        return JsonAsync(context, result);
    }

    private Task DrivesAsync(HttpContext context)
    {
        var after = context.Request.Query["pageToken"].ToString();
        var shared = Tree.Drives.Skip(1).OrderBy(d => d.Id, StringComparer.Ordinal)
            .Where(d => after.Length == 0 || string.CompareOrdinal(d.Id, after) > 0).ToList();
        var page = shared.Take(PageSize(context)).ToList();
        var result = new JsonObject
        {
            ["kind"] = "drive#driveList",
            ["drives"] = new JsonArray([.. page.Select(d => (JsonNode)new JsonObject
            {
                ["kind"] = "drive#drive", ["id"] = d.Id, ["name"] = d.Name, ["createdTime"] = Time(d.CreatedAt), ["hidden"] = false,
            })]),
        };
        if (page.Count < shared.Count)
        {
            result["nextPageToken"] = page[^1].Id;
        }
        return JsonAsync(context, result);
    }

    private Task FilesAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var q = query["q"].ToString();
        if (q.Length > 0 && q != "trashed = false")
        {
            return ErrorAsync(context, 400, "Invalid Value", "invalid", "INVALID_ARGUMENT", "q", "parameter");
        }
        var allDrives = query["supportsAllDrives"] == "true" && query["includeItemsFromAllDrives"] == "true";
        var after = query["pageToken"].ToString();
        var items = Tree.Items
            .Where(i => (allDrives || i.DriveId == MyDriveRootId) && (q.Length == 0 || !IsTrashed(i)))
            .OrderBy(i => i.Id, StringComparer.Ordinal)
            .Where(i => after.Length == 0 || string.CompareOrdinal(i.Id, Unwrap(after)) > 0)
            .ToList();
        var page = items.Take(PageSize(context)).ToList();
        var result = new JsonObject
        {
            ["kind"] = "drive#fileList",
            ["incompleteSearch"] = false,
            ["files"] = new JsonArray([.. page.Select(i => (JsonNode)FileJson(i, withSharing: i.DriveId == MyDriveRootId))]),
        };
        if (page.Count < items.Count)
        {
            result["nextPageToken"] = Wrap(page[^1].Id);
        }
        return JsonAsync(context, result);
    }

    private async Task GetFileAsync(HttpContext context, string fileId)
    {
        if (fileId == "root")
        {
            await JsonAsync(context, new JsonObject { ["kind"] = "drive#file", ["id"] = MyDriveRootId, ["name"] = "My Drive", ["mimeType"] = FolderMime });
            return;
        }
        if (Visible(context, fileId) is not { } item)
        {
            await NotFoundAsync(context, fileId);
            return;
        }
        if (context.Request.Query["alt"] != "media")
        {
            await JsonAsync(context, FileJson(item, withSharing: item.DriveId == MyDriveRootId), isFile: true);
            return;
        }
        if (item.IsFolder || item.IsNativeDocument)
        {
            await ErrorAsync(context, 403, "Only files with binary content can be downloaded. Use Export with Docs Editors files.", "fileNotDownloadable", null, "alt", "parameter");
            return;
        }
        var content = item.Content!;
        long from = 0, to = content.Length - 1;
        context.Response.ContentType = item.MimeType ?? "application/octet-stream";
        context.Response.Headers.AcceptRanges = "bytes";
        if (RangeHeaderValue.TryParse(context.Request.Headers.Range.ToString(), out var range) && range.Ranges.Count == 1)
        {
            var r = range.Ranges.First();
            from = r.From ?? Math.Max(0, content.Length - r.To!.Value);
            to = r.From is null ? content.Length - 1 : Math.Min(r.To ?? content.Length - 1, content.Length - 1);
            if (from >= content.Length)
            {
                context.Response.StatusCode = 416;
                context.Response.Headers.ContentRange = $"bytes */{content.Length}";
                return;
            }
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {from}-{to}/{content.Length}");
        }
        context.Response.ContentLength = to - from + 1;
        await content.WriteToAsync(context.Response.Body, from, to, context.RequestAborted);
    }

    private async Task ExportAsync(HttpContext context, string fileId)
    {
        if (Visible(context, fileId) is not { } item)
        {
            await NotFoundAsync(context, fileId);
            return;
        }
        var mimeType = context.Request.Query["mimeType"].ToString();
        if (!item.IsNativeDocument)
        {
            await ErrorAsync(context, 403, "Export only supports Docs Editors files.", "fileNotExportable", null, null, null);
            return;
        }
        if (mimeType is not ("application/pdf" or "text/plain" or "application/vnd.openxmlformats-officedocument.wordprocessingml.document" or "text/markdown"))
        {
            await ErrorAsync(context, 400, "The requested conversion is not supported.", "badRequest", "INVALID_ARGUMENT", "mimeType", "parameter");
            return;
        }
        var text = Encoding.UTF8.GetString(item.Content!.ToArray());
        var bytes = Encoding.UTF8.GetBytes(mimeType == "text/plain" ? text : $"[{mimeType} export]\n{text}");
        context.Response.ContentType = mimeType;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private Task PermissionsAsync(HttpContext context, string fileId)
    {
        if (Visible(context, fileId) is not { } item)
        {
            return NotFoundAsync(context, fileId);
        }
        var after = context.Request.Query["pageToken"].ToString();
        var all = item.Permissions.Select(p => PermissionJson(p, item)).OrderBy(p => (string)p["id"]!, StringComparer.Ordinal)
            .Where(p => after.Length == 0 || string.CompareOrdinal((string)p["id"]!, after) > 0).ToList();
        var page = all.Take(PageSize(context)).ToList();
        var result = new JsonObject { ["kind"] = "drive#permissionList", ["permissions"] = new JsonArray([.. page]) };
        if (page.Count < all.Count)
        {
            result["nextPageToken"] = (string)page[^1]["id"]!;
        }
        return JsonAsync(context, result);
    }

    // ---------------------------------------------------------------- writes

    private async Task CreateFromMetadataAsync(HttpContext context)
    {
        using var metadata = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        if (Create(context, metadata.RootElement, FakeContent.Of([])) is { } item)
        {
            await JsonAsync(context, FileJson(item, withSharing: item.DriveId == MyDriveRootId), isFile: true);
        }
        else
        {
            await NotFoundAsync(context, Parent(metadata.RootElement) ?? "");
        }
    }

    private async Task UploadAsync(HttpContext context)
    {
        switch (context.Request.Query["uploadType"].ToString())
        {
            case "multipart":
                var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(context.Request.ContentType).Boundary).Value;
                if (!context.Request.ContentType!.StartsWith("multipart/related", StringComparison.Ordinal) || boundary is null)
                {
                    await ErrorAsync(context, 400, "Bad content type. Please use multipart/related.", "badContent", "INVALID_ARGUMENT", null, null);
                    return;
                }
                var reader = new MultipartReader(boundary, context.Request.Body);
                // Each part is read before the next is asked for: the reader drains a section it moves past.
                var metadataPart = await reader.ReadNextSectionAsync(context.RequestAborted);
                using (var metadata = metadataPart is null ? null : await JsonDocument.ParseAsync(metadataPart.Body, cancellationToken: context.RequestAborted))
                {
                    var mediaPart = await reader.ReadNextSectionAsync(context.RequestAborted);
                    if (metadata is null || mediaPart is null)
                    {
                        await ErrorAsync(context, 400, "Multipart upload needs a metadata part and a media part.", "badContent", "INVALID_ARGUMENT", null, null);
                        return;
                    }
                    using var media = new MemoryStream();
                    await mediaPart.Body.CopyToAsync(media, context.RequestAborted);
                    await CreatedAsync(context, metadata.RootElement, media.ToArray(), mediaPart.ContentType, context.Request.Query["fields"]);
                }
                return;
            case "resumable":
                using (var metadata = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted))
                {
                    var id = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(18));
                    _sessions[id] = new UploadSession(metadata.RootElement.Clone(), context.Request.Headers["X-Upload-Content-Type"].ToString(),
                        context.Request.Query["fields"].ToString());
                    context.Response.Headers.Location = $"{Host.Origin}/upload/drive/v3/files?uploadType=resumable&upload_id={id}";
                    context.Response.StatusCode = 200;
                }
                return;
            default:
                await ErrorAsync(context, 400, "Invalid uploadType.", "invalid", "INVALID_ARGUMENT", "uploadType", "parameter");
                return;
        }
    }

    private async Task ChunkAsync(HttpContext context)
    {
        if (!_sessions.TryGetValue(context.Request.Query["upload_id"].ToString(), out var session))
        {
            await ErrorAsync(context, 404, "Upload session not found.", "notFound", "NOT_FOUND", null, null);
            return;
        }
        var range = ContentRangeHeaderValue.TryParse(context.Request.Headers.ContentRange.ToString(), out var parsed) ? parsed : null;
        using var chunk = new MemoryStream();
        await context.Request.Body.CopyToAsync(chunk, context.RequestAborted);
        lock (session)
        {
            if (range is null || (range.HasRange && range.From != session.Received.Length) || (range.HasRange && range.To - range.From + 1 != chunk.Length))
            {
                context.Response.StatusCode = 400;
                return;
            }
            session.Received.Write(chunk.GetBuffer(), 0, (int)chunk.Length);
        }
        if (range.HasLength && session.Received.Length == range.Length)
        {
            _sessions.TryRemove(context.Request.Query["upload_id"].ToString(), out _);
            await CreatedAsync(context, session.Metadata, session.Received.ToArray(), session.ContentType, session.Fields);
            return;
        }
        // 308 Resume Incomplete, with the bytes held so far and no Location (so no client follows it as a redirect).
        context.Response.StatusCode = 308;
        if (session.Received.Length > 0)
        {
            context.Response.Headers["Range"] = string.Create(CultureInfo.InvariantCulture, $"bytes=0-{session.Received.Length - 1}");
        }
    }

    private async Task CreatedAsync(HttpContext context, JsonElement metadata, byte[] bytes, string? contentType, string? fields)
    {
        if (Create(context, metadata, FakeContent.Of(bytes), contentType) is not { } item)
        {
            await NotFoundAsync(context, Parent(metadata) ?? "");
            return;
        }
        await JsonAsync(context, FileJson(item, withSharing: item.DriveId == MyDriveRootId), fields, isFile: true);
    }

    private FakeItem? Create(HttpContext context, JsonElement metadata, FakeContent content, string? mediaType = null)
    {
        var name = GoogleDriveMapper.Str(metadata, "name") ?? "Untitled";
        var mimeType = GoogleDriveMapper.Str(metadata, "mimeType") ?? mediaType ?? "application/octet-stream";
        var parentId = Parent(metadata);
        string? driveId = null;
        if (parentId is not null && Tree.Drives.Any(d => d.Id == parentId))
        {
            driveId = parentId;
            parentId = null;
        }
        else if (parentId is not null && Visible(context, parentId) is not { IsFolder: true })
        {
            return null;
        }
        var item = mimeType == FolderMime ? Tree.AddFolder(name, parentId, driveId) : Tree.AddFile(name, content, parentId, mimeType, driveId);
        item.Description = GoogleDriveMapper.Str(metadata, "description");
        return item;
    }

    private static string? Parent(JsonElement metadata) =>
        metadata.TryGetProperty("parents", out var parents) && parents.GetArrayLength() > 0 ? parents[0].GetString() : null;

    // ---------------------------------------------------------------- rendering

    /// <summary>An item the request may see: shared-drive items need <c>supportsAllDrives=true</c>.</summary>
    private FakeItem? Visible(HttpContext context, string id) =>
        Tree.Find(id) is { Deleted: false } item && (item.DriveId == MyDriveRootId || context.Request.Query["supportsAllDrives"] == "true") ? item : null;

    private JsonObject FileJson(FakeItem item, bool withSharing)
    {
        var file = new JsonObject
        {
            ["kind"] = "drive#file",
            ["id"] = item.Id,
            ["name"] = item.Name,
            ["mimeType"] = item.MimeType ?? FolderMime,
            ["parents"] = new JsonArray(item.ParentId ?? item.DriveId),
            ["createdTime"] = Time(item.CreatedAt),
            ["modifiedTime"] = Time(item.ModifiedAt),
            ["trashed"] = IsTrashed(item),
            ["version"] = item.Version.ToString(CultureInfo.InvariantCulture),
            ["webViewLink"] = item.IsFolder ? $"https://drive.google.com/drive/folders/{item.Id}" : $"https://drive.google.com/file/d/{item.Id}/view?usp=drivesdk",
        };
        if (item.IsFolder)
        {
            file["mimeType"] = FolderMime;
        }
        if (item.DriveId != MyDriveRootId)
        {
            file["driveId"] = item.DriveId;
        }
        if (item.Description is not null)
        {
            file["description"] = item.Description;
        }
        if (!item.IsFolder && !item.IsNativeDocument && item.Content is { } content)
        {
            file["size"] = content.Length.ToString(CultureInfo.InvariantCulture);
            // Checksums of huge generated files would cost the fake seconds per listing; Drive has them, tests do not need them.
            if (content.Length <= 8 * 1024 * 1024)
            {
                var bytes = content.ToArray();
#pragma warning disable CA5351 // Drive's md5Checksum is MD5 by definition: an integrity checksum, not security.
                file["md5Checksum"] = Convert.ToHexStringLower(MD5.HashData(bytes));
#pragma warning restore CA5351
                file["sha256Checksum"] = Convert.ToHexStringLower(SHA256.HashData(bytes));
            }
        }
        if (item.IsNativeDocument)
        {
            file["exportLinks"] = new JsonObject { ["application/pdf"] = $"https://docs.google.com/feeds/download/documents/export/Export?id={item.Id}&exportFormat=pdf" };
        }
        if (withSharing)
        {
            var owner = item.Permissions.FirstOrDefault(p => p.Role == FakeRole.Owner && p.Kind == FakePermissionKind.User);
            if (owner is not null && Tree.Users.FirstOrDefault(u => u.Id == owner.UserId) is { } user)
            {
                file["owners"] = new JsonArray(UserJson(user));
            }
            file["permissions"] = new JsonArray([.. item.Permissions.Select(p => (JsonNode)PermissionJson(p, item))]);
        }
        file["permissionIds"] = new JsonArray([.. item.Permissions.Select(p => (JsonNode)JsonValue.Create(PermissionId(p))!)]);
        return file;
    }

    private static JsonObject UserJson(FakeUser user) => new()
    {
        ["kind"] = "drive#user",
        ["displayName"] = user.Name,
        ["emailAddress"] = user.Email,
        ["permissionId"] = PermissionIdOf(user.Id),
        ["me"] = user.IsMe,
    };

    private static string PermissionId(FakePermission permission) => permission.Kind switch
    {
        FakePermissionKind.User => PermissionIdOf(permission.UserId!),
        FakePermissionKind.Group => PermissionIdOf(permission.GroupId!),
        FakePermissionKind.Anyone => "anyoneWithLink",
        _ => permission.Id,
    };

    private JsonObject PermissionJson(FakePermission permission, FakeItem item)
    {
        var sharedDrive = item.DriveId != MyDriveRootId;
        var json = new JsonObject
        {
            ["kind"] = "drive#permission",
            ["id"] = PermissionId(permission),
            ["type"] = permission.Kind switch
            {
                FakePermissionKind.User => "user",
                FakePermissionKind.Group => "group",
                FakePermissionKind.Domain => "domain",
                _ => "anyone",
            },
            ["role"] = permission.Role switch
            {
                FakeRole.Owner => sharedDrive ? "organizer" : "owner",
                FakeRole.Writer => "writer",
                _ => "reader",
            },
        };
        switch (permission.Kind)
        {
            case FakePermissionKind.User when Tree.Users.FirstOrDefault(u => u.Id == permission.UserId) is { } user:
                json["emailAddress"] = user.Email;
                json["displayName"] = user.Name;
                break;
            case FakePermissionKind.Group when Tree.Groups.FirstOrDefault(g => g.Id == permission.GroupId) is { } group:
                json["emailAddress"] = group.Name.ToLowerInvariant() + "@example.com";
                json["displayName"] = group.Name;
                break;
            case FakePermissionKind.Domain:
                json["domain"] = permission.Domain;
                json["allowFileDiscovery"] = true;
                break;
            case FakePermissionKind.Anyone:
                json["allowFileDiscovery"] = false;
                break;
        }
        json["deleted"] = false;
        return json;
    }

    private int PageSize(HttpContext context)
    {
        var asked = int.TryParse(context.Request.Query["pageSize"], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : 100;
        return Math.Max(1, Math.Min(asked, MaxPageSize ?? int.MaxValue));
    }

    private static string Wrap(string id) => WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes("after:" + id));

    private static string Unwrap(string token) => Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(token))["after:".Length..];

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Writes <paramref name="body"/> narrowed to the request's <c>fields</c> (Drive's partial response).</summary>
    private async Task JsonAsync(HttpContext context, JsonObject body, string? fields = null, bool isFile = false)
    {
        fields ??= context.Request.Query["fields"].ToString();
        var mask = string.IsNullOrEmpty(fields) ? null : FieldMask.Parse(fields);
        var narrowed = (JsonObject)Narrow(body, mask)!;
        if (AlterFile is { } alter)
        {
            foreach (var file in isFile ? [narrowed] : Files(narrowed))
            {
                alter(file);
            }
        }
        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.WriteAsync(narrowed.ToJsonString(), context.RequestAborted);
    }

    /// <summary>The File objects of a response: the body itself (files.get/create), <c>files[]</c>, or <c>changes[].file</c>.</summary>
    private static IEnumerable<JsonObject> Files(JsonObject body)
    {
        if (body["files"] is JsonArray files)
        {
            return files.OfType<JsonObject>();
        }
        if (body["changes"] is JsonArray changes)
        {
            return changes.OfType<JsonObject>().Select(c => c["file"]).OfType<JsonObject>();
        }
        return [];
    }

    private static JsonNode? Narrow(JsonNode? node, FieldMask? mask)
    {
        switch (node)
        {
            case JsonObject obj when mask is not null:
                var result = new JsonObject();
                foreach (var (name, value) in obj)
                {
                    if (mask.Selects(name))
                    {
                        result[name] = Narrow(value?.DeepClone(), mask.Under(name));
                    }
                }
                return result;
            case JsonArray array when mask is not null:
                return new JsonArray([.. array.Select(item => Narrow(item?.DeepClone(), mask))]);
            default:
                return node?.DeepClone();
        }
    }

    private static Task NotFoundAsync(HttpContext context, string id) =>
        ErrorAsync(context, 404, $"File not found: {id}.", "notFound", null, "fileId", "parameter");

    private static async Task ErrorAsync(HttpContext context, int code, string message, string reason, string? status, string? location, string? locationType)
    {
        var item = new JsonObject { ["message"] = message, ["domain"] = code == 403 && reason.Contains("RateLimit", StringComparison.Ordinal) ? "usageLimits" : "global", ["reason"] = reason };
        if (location is not null)
        {
            item["location"] = location;
            item["locationType"] = locationType;
        }
        var error = new JsonObject { ["code"] = code, ["message"] = message, ["errors"] = new JsonArray(item) };
        if (status is not null)
        {
            error["status"] = status;
        }
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.WriteAsync(new JsonObject { ["error"] = error }.ToJsonString(), context.RequestAborted);
    }

    /// <summary>Drive says "slow down" as 403 userRateLimitExceeded and never sends Retry-After: the wait is the client's back-off.</summary>
    public Task RenderRateLimitAsync(HttpContext context, TimeSpan? wait) =>
        ErrorAsync(context, 403, "User rate limit exceeded.", "userRateLimitExceeded", "PERMISSION_DENIED", null, null);

    public Task RenderServerErrorAsync(HttpContext context) =>
        ErrorAsync(context, 503, "The service is currently unavailable.", "backendError", "UNAVAILABLE", null, null);

    private sealed class UploadSession(JsonElement metadata, string contentType, string fields)
    {
        public JsonElement Metadata { get; } = metadata;
        public string? ContentType { get; } = contentType.Length == 0 ? null : contentType;
        public string? Fields { get; } = fields.Length == 0 ? null : fields;
        public MemoryStream Received { get; } = new();
    }
}
