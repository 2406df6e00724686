using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Connectors.Specs;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Connectors.Box;

#pragma warning disable CA5350 // SHA-1 is Box's integrity check for uploads, not security.

/// <summary>
/// Box Platform API 2.0 over a <see cref="FakeFileTree"/>: <c>/2.0</c> is api.box.com, <c>/api/2.0</c> is
/// upload.box.com, <c>/oauth2/token</c> and <c>/api/oauth2/authorize</c> the OAuth endpoints (rotating
/// refresh tokens), and a second loopback server plays dl.boxcloud.com, where <c>/files/{id}/content</c>
/// redirects. Events are derived from the tree's journal the way Box emits them (one per change, one
/// ITEM_TRASH for a trashed folder, redelivered duplicates). Every exchange is checked against Box's OpenAPI.
/// </summary>
internal sealed partial class BoxFake : IFakeDialect, IAsyncDisposable
{
    public const long StreamBase = 1152922976252290000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lock _lock = new();
    private readonly List<(string EventId, string Type, JsonObject Source)> _events = [];
    private readonly Dictionary<string, (string Name, string? Parent, long Version, bool Deleted)> _known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UploadSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, long), string> _sha1 = new();
    private long _journalSeen;
    private int _commitsToDelay;

    private BoxFake(FakeFileTree tree, FakeTokens tokens)
    {
        Tree = tree;
        Tokens = tokens;
        Baseline();
        foreach (var item in Tree.Items)
        {
            _webhookSeen[item.Id] = (item.Name, item.ParentId);
        }
        Tree.Changed += DeliverWebhooks;
    }

    public FakeFileTree Tree { get; }
    public FakeTokens Tokens { get; }
    public ProviderFakeHost Host { get; private set; } = null!;
    public LoopbackServer DownloadHost { get; private set; } = null!;

    /// <summary>Whether the token may list enterprise users and groups (an admin); otherwise Box answers 403.</summary>
    public bool EnterpriseAdmin { get; set; } = true;

    /// <summary>Box redelivers events: each chunk after the first repeats the previous chunk's last event.</summary>
    public bool DuplicateEvents { get; set; } = true;

    /// <summary>The part size upload sessions ask for (Box picks it; 8 MiB and up in reality).</summary>
    public int PartSize { get; set; } = 1024 * 1024;

    /// <summary>Commits answered 202 + Retry-After before the file is assembled.</summary>
    public int CommitsToDelay { set => _commitsToDelay = value; }

    /// <summary>Requests the download host saw, with the Authorization header they carried (null when none).</summary>
    public ConcurrentQueue<(string Path, string? Authorization)> Downloads { get; } = new();

    public string ApiBase => Host.Origin + "/2.0";
    public string UploadBase => Host.Origin + "/api/2.0";
    public string TokenUrl => Host.Origin + "/oauth2/token";
    public string AuthorizeUrl => Host.Origin + "/api/oauth2/authorize";

    public static OpenApiSpecValidator Validator() =>
        new(ProviderSpecs.File("box/openapi.json"), ValidatorOptions());

    public static OpenApiSpecValidatorOptions ValidatorOptions()
    {
        var options = new OpenApiSpecValidatorOptions
        {
            // The fake consent page (its form post, the browser's favicon request) is the fake's own, not Box's API.
            // The code exchange carries RFC 6749's redirect_uri, which the platform sends to every provider and
            // Box's description omits (Box accepts it); refresh-grant requests are still checked.
            Ignore = r => r.Path.EndsWith("/oauth2/authorize/consent", StringComparison.Ordinal)
                || r.Path == "/favicon.ico"
                || (r.Path == "/oauth2/token" && r.Body?.Contains("grant_type=authorization_code", StringComparison.Ordinal) == true),
        };
        // The spec's ClientError.code enum lacks codes Box really sends (rate_limit_exceeded, item_name_in_use):
        // the fake sends the spec's generic ones (too_many_requests, conflict); the connector reads only the status.
        // Box documents that ?fields= adds the requested fields to the mini representation of folders in a listing.
        options.SchemaSubstitutions["Folder--Mini"] = "Folder--Full";
        return options;
    }

    public static async Task<BoxFake> StartAsync(FakeFileTree tree)
    {
        var fake = new BoxFake(tree, new FakeTokens(rotateRefreshTokens: true));
        fake.DownloadHost = await LoopbackServer.StartAsync(app => app.MapGet("/d/{id}", fake.ServeDownloadAsync));
        fake.Host = await ProviderFakeHost.StartAsync(fake, Validator(), fake.Map);
        return fake;
    }

    /// <summary>A new Box-style numeric id.</summary>
    public static Func<bool, string> NumericIds()
    {
        var next = 100000L;
        return folder => Interlocked.Increment(ref next).ToString(CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        Notifier.Dispose();
        await Host.DisposeAsync();
        await DownloadHost.DisposeAsync();
    }

    // ------------------------------------------------------------------ dialect

    public async Task RenderRateLimitAsync(HttpContext context, TimeSpan? wait)
    {
        context.Response.Headers["retry-after"] = Math.Max(1, (int)Math.Ceiling((wait ?? TimeSpan.FromSeconds(1)).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await WriteErrorAsync(context, 429, "too_many_requests", "Request rate limit exceeded, please try again later");
    }

    public Task RenderServerErrorAsync(HttpContext context) =>
        WriteErrorAsync(context, 500, "internal_server_error", "Internal Server Error");

    private static Task WriteErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["type"] = "error", ["status"] = status, ["code"] = code, ["message"] = message,
            ["help_url"] = "https://developer.box.com/guides/api-calls/permissions-and-errors/common-errors/",
            ["request_id"] = Guid.NewGuid().ToString("N")[..16],
        });
    }

    // ------------------------------------------------------------------ routes

    private void Map(WebApplication app)
    {
        Tokens.Map(app, "/api/oauth2/authorize", "/oauth2/token");
        app.MapGet("/2.0/users/me", AuthorizedJson(UsersMe));
        app.MapGet("/2.0/users", AuthorizedJson(Users));
        app.MapGet("/2.0/groups", AuthorizedJson(Groups));
        app.MapGet("/2.0/groups/{id}/memberships", AuthorizedJson(Memberships));
        app.MapGet("/2.0/folders/{id}/items", AuthorizedJson(FolderItems));
        app.MapGet("/2.0/folders/{id}", AuthorizedJson(c => GetItem(c, folder: true)));
        app.MapGet("/2.0/files/{id}", AuthorizedJson(c => GetItem(c, folder: false)));
        app.MapGet("/2.0/files/{id}/collaborations", AuthorizedJson(Collaborations));
        app.MapGet("/2.0/folders/{id}/collaborations", AuthorizedJson(Collaborations));
        app.MapGet("/2.0/files/{id}/content", AuthorizedJson(Content));
        app.MapGet("/2.0/events", AuthorizedJson(Events));
        app.MapPost("/2.0/folders", Authorized(CreateFolderAsync));
        app.MapPost("/api/2.0/files/content", Authorized(SimpleUploadAsync));
        app.MapPost("/api/2.0/files/upload_sessions", Authorized(CreateSessionAsync));
        app.MapPut("/api/2.0/files/upload_sessions/{id}", Authorized(UploadPartAsync));
        app.MapPost("/api/2.0/files/upload_sessions/{id}/commit", Authorized(CommitAsync));
        MapWebhooks(app);
    }

    private RequestDelegate Authorized(Func<HttpContext, Task> handler) => context =>
    {
        if (!Tokens.IsAuthorized(context.Request))
        {
            // Box answers an expired or unknown token with an empty 401 and a WWW-Authenticate challenge.
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"Service\", error=\"invalid_token\", error_description=\"The access token provided is invalid.\"";
            return Task.CompletedTask;
        }
        return handler(context);
    };

    private RequestDelegate AuthorizedJson(Func<HttpContext, object> handler) => Authorized(context =>
    {
        var result = handler(context);
        return result is Task task ? task : context.Response.WriteAsJsonAsync(result, Json);
    });

    private static Task NotFound(HttpContext context) => WriteErrorAsync(context, 404, "not_found", "Not Found");

    private static int Int(HttpContext context, string name, int fallback) =>
        int.TryParse(context.Request.Query[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    private JsonObject UsersMe(HttpContext context) => User(Tree.Me, full: true);

    private object Users(HttpContext context)
    {
        if (!EnterpriseAdmin)
        {
            return WriteErrorAsync(context, 403, "forbidden", "Access denied - insufficient permission");
        }
        var offset = Int(context, "offset", 0);
        var limit = Int(context, "limit", 100);
        return new JsonObject
        {
            ["total_count"] = Tree.Users.Count, ["limit"] = limit, ["offset"] = offset,
            ["entries"] = new JsonArray([.. Tree.Users.Skip(offset).Take(limit).Select(u => (JsonNode)User(u, full: true))]),
        };
    }

    private object Groups(HttpContext context)
    {
        if (!EnterpriseAdmin)
        {
            return WriteErrorAsync(context, 403, "forbidden", "Access denied - insufficient permission");
        }
        var offset = Int(context, "offset", 0);
        var limit = Int(context, "limit", 100);
        return new JsonObject
        {
            ["total_count"] = Tree.Groups.Count, ["limit"] = limit, ["offset"] = offset,
            ["entries"] = new JsonArray([.. Tree.Groups.Skip(offset).Take(limit).Select(g => (JsonNode)Group(g))]),
        };
    }

    private object Memberships(HttpContext context)
    {
        var group = Tree.Groups.FirstOrDefault(g => g.Id == (string?)context.Request.RouteValues["id"]);
        if (group is null || !EnterpriseAdmin)
        {
            return group is null ? NotFound(context) : WriteErrorAsync(context, 403, "forbidden", "Access denied - insufficient permission");
        }
        var offset = Int(context, "offset", 0);
        var limit = Int(context, "limit", 100);
        return new JsonObject
        {
            ["total_count"] = group.MemberIds.Count, ["limit"] = limit, ["offset"] = offset,
            ["entries"] = new JsonArray([.. group.MemberIds.Skip(offset).Take(limit).Select(m => (JsonNode)new JsonObject
            {
                ["type"] = "group_membership", ["id"] = $"{group.Id}-{m}", ["role"] = "member",
                ["user"] = User(Tree.Users.Single(u => u.Id == m), full: false), ["group"] = Group(group),
            })]),
        };
    }

    private object FolderItems(HttpContext context)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        string? parent = id == "0" ? null : id;
        if (parent is not null && Tree.Find(parent) is not { IsFolder: true, Deleted: false })
        {
            return NotFound(context);
        }
        // Box lists folders first, then files, each by name.
        var children = Tree.Items.Where(i => i.ParentId == parent)
            .OrderBy(i => i.IsFolder ? 0 : 1).ThenBy(i => i.Name, StringComparer.OrdinalIgnoreCase).ToList();
        var limit = Math.Min(Int(context, "limit", 100), 1000);
        var fields = Fields(context);
        if (context.Request.Query["usemarker"] == "true")
        {
            var start = context.Request.Query["marker"] is { Count: > 0 } m ? DecodeMarker(m.ToString()) : 0;
            var page = children.Skip(start).Take(limit).ToList();
            var more = start + page.Count < children.Count;
            return new JsonObject
            {
                ["limit"] = limit,
                ["next_marker"] = more ? EncodeMarker(start + page.Count) : null,
                ["entries"] = new JsonArray([.. page.Select(i => (JsonNode)Item(i, fields))]),
            };
        }
        var offset = Int(context, "offset", 0);
        return new JsonObject
        {
            ["total_count"] = children.Count, ["limit"] = limit, ["offset"] = offset,
            ["order"] = new JsonArray(new JsonObject { ["by"] = "type", ["direction"] = "ASC" }, new JsonObject { ["by"] = "name", ["direction"] = "ASC" }),
            ["entries"] = new JsonArray([.. children.Skip(offset).Take(limit).Select(i => (JsonNode)Item(i, fields))]),
        };
    }

    private static string EncodeMarker(int position) => Convert.ToBase64String(BitConverter.GetBytes(position)).TrimEnd('=');

    private static int DecodeMarker(string marker) => BitConverter.ToInt32(Convert.FromBase64String(marker.PadRight(8, '=')));

    private object GetItem(HttpContext context, bool folder)
    {
        var item = Tree.Find((string)context.Request.RouteValues["id"]!);
        if (item is null || item.IsFolder != folder)
        {
            return NotFound(context);
        }
        return Item(item, Fields(context)); // a trashed item still answers, with item_status "trashed"
    }

    private object Collaborations(HttpContext context)
    {
        var item = Tree.Find((string)context.Request.RouteValues["id"]!);
        if (item is null || item.Deleted)
        {
            return NotFound(context);
        }
        return new JsonObject
        {
            ["limit"] = Int(context, "limit", 100),
            ["next_marker"] = null,
            ["entries"] = new JsonArray([.. Collaborators(item).Select(p => (JsonNode)Collaboration(p))]),
        };
    }

    private object Content(HttpContext context)
    {
        var item = Tree.Find((string)context.Request.RouteValues["id"]!);
        if (item is null || item.Deleted || item.IsFolder)
        {
            return NotFound(context);
        }
        // Box answers with a redirect to a short-lived URL on its download host, which needs no token.
        context.Response.StatusCode = 302;
        context.Response.Headers.Location = $"{DownloadHost.Origin}/d/{item.Id}?v={item.Version}";
        return Task.CompletedTask;
    }

    private async Task ServeDownloadAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        Downloads.Enqueue((context.Request.Path + context.Request.QueryString, authorization.Length == 0 ? null : authorization));
        if (authorization.Length > 0)
        {
            // The real download host would see the user's Box token here: that is a leak.
            context.Response.StatusCode = 400;
            return;
        }
        var item = Tree.Find((string)context.Request.RouteValues["id"]!);
        if (item?.Content is not { } content || item.Deleted)
        {
            context.Response.StatusCode = 404;
            return;
        }
        long from = 0, to = content.Length - 1;
        context.Response.ContentType = "application/octet-stream";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{item.Name}\"";
        context.Response.Headers.AcceptRanges = "bytes";
        if (context.Request.Headers.Range.ToString() is { Length: > 0 } range && range.StartsWith("bytes=", StringComparison.Ordinal))
        {
            var parts = range["bytes=".Length..].Split('-');
            from = long.Parse(parts[0], CultureInfo.InvariantCulture);
            if (parts[1].Length > 0)
            {
                to = Math.Min(long.Parse(parts[1], CultureInfo.InvariantCulture), content.Length - 1);
            }
            if (from >= content.Length)
            {
                context.Response.StatusCode = 416;
                context.Response.Headers.ContentRange = $"bytes */{content.Length}";
                return;
            }
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {from}-{to}/{content.Length}";
        }
        context.Response.ContentLength = to - from + 1;
        await content.WriteToAsync(context.Response.Body, from, to, context.RequestAborted);
    }

    private async Task CreateFolderAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var name = body?["name"]?.GetValue<string>();
        var parentId = body?["parent"]?["id"]?.GetValue<string>();
        string? parent = parentId == "0" ? null : parentId;
        if (string.IsNullOrEmpty(name) || parentId is null)
        {
            await WriteErrorAsync(context, 400, "bad_request", "name and parent.id are required");
            return;
        }
        if (parent is not null && Tree.Find(parent) is not { IsFolder: true, Deleted: false })
        {
            await NotFound(context);
            return;
        }
        if (NameTaken(parent, name) is { } conflict)
        {
            await WriteErrorAsync(context, 409, "conflict", $"Item with the same name already exists ({conflict.Id})");
            return;
        }
        var folder = Tree.AddFolder(name, parent);
        context.Response.StatusCode = 201;
        await context.Response.WriteAsJsonAsync(Item(folder, Fields(context)), Json);
    }

    private async Task SimpleUploadAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form.Keys.FirstOrDefault() != "attributes" || form.Files.GetFile("file") is not { } file)
        {
            await WriteErrorAsync(context, 400, "bad_request", "Box wants the attributes part before the file part");
            return;
        }
        var attributes = JsonNode.Parse(form["attributes"].ToString());
        var name = attributes?["name"]?.GetValue<string>() ?? "";
        var parentId = attributes?["parent"]?["id"]?.GetValue<string>();
        string? parent = parentId == "0" ? null : parentId;
        using var copy = new MemoryStream();
        await file.CopyToAsync(copy, context.RequestAborted);
        var bytes = copy.ToArray();
        if (context.Request.Headers["content-md5"].ToString() is { Length: > 0 } md5 && !md5.Equals(Convert.ToHexStringLower(SHA1.HashData(bytes)), StringComparison.OrdinalIgnoreCase))
        {
            await WriteErrorAsync(context, 400, "bad_request", "The content-md5 header does not match the file");
            return;
        }
        if (NameTaken(parent, name) is { } conflict)
        {
            await WriteErrorAsync(context, 409, "conflict", $"Item with the same name already exists ({conflict.Id})");
            return;
        }
        var item = Tree.AddFile(name, FakeContent.Of(bytes), parent);
        context.Response.StatusCode = 201;
        await context.Response.WriteAsJsonAsync(new JsonObject { ["total_count"] = 1, ["entries"] = new JsonArray(Item(item, Fields(context))) }, Json);
    }

    private sealed class UploadSession(string name, string? parent, long size)
    {
        public string Name => name;
        public string? Parent => parent;
        public long Size => size;
        public ConcurrentDictionary<long, byte[]> Parts { get; } = new();
    }

    private async Task CreateSessionAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var folderId = body?["folder_id"]?.GetValue<string>();
        var size = body?["file_size"]?.GetValue<long>() ?? 0;
        var name = body?["file_name"]?.GetValue<string>() ?? "";
        string? parent = folderId == "0" ? null : folderId;
        if (folderId is null || size <= 0 || name.Length == 0)
        {
            await WriteErrorAsync(context, 400, "bad_request", "folder_id, file_size and file_name are required");
            return;
        }
        var id = Guid.NewGuid().ToString("N").ToUpperInvariant();
        _sessions[id] = new UploadSession(name, parent, size);
        var endpoint = $"{UploadBase}/files/upload_sessions/{id}";
        context.Response.StatusCode = 201;
        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["id"] = id, ["type"] = "upload_session",
            ["session_expires_at"] = Date(TimeProvider.System.GetUtcNow().AddDays(7)),
            ["part_size"] = PartSize, ["total_parts"] = (int)((size + PartSize - 1) / PartSize), ["num_parts_processed"] = 0,
            ["session_endpoints"] = new JsonObject
            {
                ["upload_part"] = endpoint, ["commit"] = endpoint + "/commit", ["abort"] = endpoint,
                ["list_parts"] = endpoint + "/parts", ["status"] = endpoint, ["log_event"] = endpoint + "/log",
            },
        }, Json);
    }

    private async Task UploadPartAsync(HttpContext context)
    {
        if (!_sessions.TryGetValue((string)context.Request.RouteValues["id"]!, out var session))
        {
            await NotFound(context);
            return;
        }
        using var copy = new MemoryStream();
        await context.Request.Body.CopyToAsync(copy, context.RequestAborted);
        var bytes = copy.ToArray();
        var range = System.Net.Http.Headers.ContentRangeHeaderValue.TryParse(context.Request.Headers.ContentRange, out var r) ? r : null;
        var digest = context.Request.Headers["Digest"].ToString();
        if (range is not { From: { } from, To: { } to, Length: { } total } || total != session.Size || to - from + 1 != bytes.Length
            || from % PartSize != 0 || (bytes.Length != PartSize && to != total - 1))
        {
            await WriteErrorAsync(context, 416, "bad_request", "Content-Range must cover one whole part of part_size bytes");
            return;
        }
        if (digest != "sha=" + Convert.ToBase64String(SHA1.HashData(bytes)))
        {
            await WriteErrorAsync(context, 412, "precondition_failed", "The Digest header does not match the part");
            return;
        }
        session.Parts[from] = bytes;
        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["part"] = new JsonObject
            {
                ["part_id"] = Convert.ToHexString(SHA1.HashData(bytes))[..8], ["offset"] = from, ["size"] = bytes.Length,
                ["sha1"] = Convert.ToHexStringLower(SHA1.HashData(bytes)),
            },
        }, Json);
    }

    private async Task CommitAsync(HttpContext context)
    {
        if (!_sessions.TryGetValue((string)context.Request.RouteValues["id"]!, out var session))
        {
            await NotFound(context);
            return;
        }
        var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var listed = body?["parts"]?.AsArray().Select(p => p!["offset"]!.GetValue<long>()).ToList() ?? [];
        var assembled = session.Parts.OrderBy(p => p.Key).SelectMany(p => p.Value).ToArray();
        if (listed.Count != session.Parts.Count || assembled.Length != session.Size)
        {
            await WriteErrorAsync(context, 400, "bad_request", "The parts list does not match the uploaded parts");
            return;
        }
        if (context.Request.Headers["Digest"].ToString() != "sha=" + Convert.ToBase64String(SHA1.HashData(assembled)))
        {
            await WriteErrorAsync(context, 412, "precondition_failed", "The Digest header does not match the file");
            return;
        }
        if (Interlocked.Decrement(ref _commitsToDelay) >= 0)
        {
            context.Response.StatusCode = 202;
            context.Response.Headers.RetryAfter = "1";
            return;
        }
        var item = Tree.AddFile(session.Name, FakeContent.Of(assembled), session.Parent);
        _sessions.TryRemove((string)context.Request.RouteValues["id"]!, out _);
        context.Response.StatusCode = 201;
        await context.Response.WriteAsJsonAsync(new JsonObject { ["total_count"] = 1, ["entries"] = new JsonArray(Item(item, null)) }, Json);
    }

    private FakeItem? NameTaken(string? parent, string name) =>
        Tree.Items.FirstOrDefault(i => i.ParentId == parent && string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase));

    // ------------------------------------------------------------------ events

    private void Baseline()
    {
        lock (_lock)
        {
            _journalSeen = Tree.Sequence;
            foreach (var item in Tree.Items)
            {
                _known[item.Id] = (item.Name, item.ParentId, item.Version, item.Deleted);
            }
        }
    }

    /// <summary>Turns the tree's journal since the last look into Box events.</summary>
    private void SyncEvents()
    {
        lock (_lock)
        {
            var sequence = Tree.Sequence;
            var changes = Tree.ChangesSince(_journalSeen);
            var trashed = changes.Where(c => c.Item.Deleted).Select(c => c.Item.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var (_, item) in changes)
            {
                var known = _known.TryGetValue(item.Id, out var k) ? k : ((string Name, string? Parent, long Version, bool Deleted)?)null;
                if (item.Deleted)
                {
                    // Trashing a folder trashes its subtree, but Box sends one event, for the folder.
                    if (known is { Deleted: false } && !(item.ParentId is { } p && trashed.Contains(p)))
                    {
                        Emit("ITEM_TRASH", item);
                    }
                }
                else if (known is null || known.Value.Deleted)
                {
                    Emit(known is null ? (item.IsFolder ? "ITEM_CREATE" : "ITEM_UPLOAD") : "ITEM_UNDELETE_VIA_TRASH", item);
                }
                else
                {
                    if (known.Value.Name != item.Name)
                    {
                        Emit("ITEM_RENAME", item);
                    }
                    if (known.Value.Parent != item.ParentId)
                    {
                        Emit("ITEM_MOVE", item);
                    }
                    if (known.Value.Name == item.Name && known.Value.Parent == item.ParentId)
                    {
                        Emit("ITEM_UPLOAD", item);
                    }
                }
                _known[item.Id] = (item.Name, item.ParentId, item.Version, item.Deleted);
            }
            _journalSeen = sequence;
        }
    }

    private void Emit(string type, FakeItem item) =>
        _events.Add((Guid.NewGuid().ToString("N"), type, Item(item, ["type", "id", "etag", "sequence_id", "name", "size", "sha1", "parent", "item_status", "created_at", "modified_at"])));

    private JsonObject Events(HttpContext context)
    {
        SyncEvents();
        lock (_lock)
        {
            var position = context.Request.Query["stream_position"].ToString();
            if (position == "now")
            {
                return new JsonObject { ["chunk_size"] = 0, ["next_stream_position"] = StreamBase + _events.Count, ["entries"] = new JsonArray() };
            }
            var index = (int)Math.Clamp(long.Parse(position, CultureInfo.InvariantCulture) - StreamBase, 0, _events.Count);
            var limit = Math.Min(Int(context, "limit", 100), 500);
            var chunk = new List<(string EventId, string Type, JsonObject Source)>();
            if (DuplicateEvents && index > 0 && index < _events.Count)
            {
                chunk.Add(_events[index - 1]); // a redelivery
            }
            var fresh = _events.Skip(index).Take(Math.Max(1, limit - chunk.Count)).ToList();
            chunk.AddRange(fresh);
            if (fresh.Count == 0)
            {
                chunk.Clear();
            }
            return new JsonObject
            {
                ["chunk_size"] = chunk.Count,
                ["next_stream_position"] = StreamBase + index + fresh.Count,
                ["entries"] = new JsonArray([.. chunk.Select(e => (JsonNode)new JsonObject
                {
                    ["type"] = "event", ["event_id"] = e.EventId, ["event_type"] = e.Type,
                    ["created_at"] = e.Source["modified_at"]?.DeepClone(), ["recorded_at"] = e.Source["modified_at"]?.DeepClone(),
                    ["created_by"] = User(Tree.Me, full: false), ["session_id"] = "fake",
                    ["source"] = e.Source.DeepClone(),
                })]),
            };
        }
    }

    // ------------------------------------------------------------------ rendering

    private static string[]? Fields(HttpContext context) =>
        context.Request.Query["fields"] is { Count: > 0 } fields ? fields.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null;

    private static string Date(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static JsonObject User(FakeUser user, bool full)
    {
        var json = new JsonObject { ["type"] = "user", ["id"] = user.Id, ["name"] = user.Name, ["login"] = user.Email };
        if (full)
        {
            json["status"] = "active";
            json["language"] = "en";
        }
        return json;
    }

    private static JsonObject Group(FakeGroup group) =>
        new() { ["type"] = "group", ["id"] = group.Id, ["name"] = group.Name, ["group_type"] = "managed_group" };

    private IEnumerable<FakePermission> Collaborators(FakeItem item) =>
        item.Permissions.Where(p => p.Kind is FakePermissionKind.User or FakePermissionKind.Group && !(p.Role == FakeRole.Owner && p.UserId == Tree.Me.Id));

    private JsonObject Collaboration(FakePermission permission)
    {
        JsonObject grantee = permission.Kind == FakePermissionKind.Group
            ? Group(Tree.Groups.Single(g => g.Id == permission.GroupId))
            : User(Tree.Users.Single(u => u.Id == permission.UserId), full: false);
        return new JsonObject
        {
            ["type"] = "collaboration", ["id"] = permission.Id,
            ["role"] = permission.Role switch { FakeRole.Owner => "co-owner", FakeRole.Writer => "editor", _ => "viewer" },
            ["status"] = "accepted", ["accessible_by"] = grantee, ["created_at"] = Date(DateTimeOffset.UnixEpoch),
        };
    }

    private string Sha1(FakeItem item) =>
        _sha1.GetOrAdd((item.Id, item.Version), _ => Convert.ToHexStringLower(SHA1.HashData(item.Content!.ToArray())));

    /// <summary>A file or folder as Box renders it: <c>type,id,etag</c> always, plus the requested fields (or the standard set).</summary>
    private JsonObject Item(FakeItem item, string[]? fields)
    {
        var all = new JsonObject
        {
            ["type"] = item.IsFolder ? "folder" : "file",
            ["id"] = item.Id,
            ["etag"] = item.Version.ToString(CultureInfo.InvariantCulture),
            ["sequence_id"] = item.Version.ToString(CultureInfo.InvariantCulture),
            ["name"] = item.Name,
        };
        if (!item.IsFolder)
        {
            all["sha1"] = Sha1(item);
            all["size"] = item.Content?.Length ?? 0;
        }
        else
        {
            all["size"] = Tree.Items.Where(i => !i.IsFolder && IsUnder(i, item.Id)).Sum(i => i.Content?.Length ?? 0);
        }
        var parent = item.ParentId is { } parentId ? Tree.Find(parentId) : null;
        all["parent"] = parent is null
            ? new JsonObject { ["type"] = "folder", ["id"] = "0", ["sequence_id"] = null, ["etag"] = null, ["name"] = "All Files" }
            : new JsonObject { ["type"] = "folder", ["id"] = parent.Id, ["sequence_id"] = parent.Version.ToString(CultureInfo.InvariantCulture), ["etag"] = parent.Version.ToString(CultureInfo.InvariantCulture), ["name"] = parent.Name };
        all["created_at"] = Date(item.CreatedAt);
        all["modified_at"] = Date(item.ModifiedAt);
        all["description"] = item.Description ?? "";
        all["item_status"] = item.Deleted ? "trashed" : "active";
        if (item.Deleted)
        {
            all["trashed_at"] = Date(item.ModifiedAt);
        }
        all["owned_by"] = User(Tree.Me, full: false);
        all["has_collaborations"] = Collaborators(item).Any();
        var link = item.Permissions.FirstOrDefault(p => p.Kind == FakePermissionKind.Anyone) ?? item.Permissions.FirstOrDefault(p => p.Kind == FakePermissionKind.Domain);
        all["shared_link"] = link is null ? null : new JsonObject
        {
            ["url"] = $"https://app.box.com/s/{item.Id}",
            ["download_url"] = item.IsFolder ? null : $"https://app.box.com/shared/static/{item.Id}",
            ["vanity_url"] = null,
            ["vanity_name"] = null,
            ["access"] = link.Kind == FakePermissionKind.Anyone ? "open" : "company",
            ["effective_access"] = link.Kind == FakePermissionKind.Anyone ? "open" : "company",
            ["effective_permission"] = link.Role == FakeRole.Writer ? "can_edit" : "can_download",
            ["unshared_at"] = null,
            ["is_password_enabled"] = false,
            ["permissions"] = new JsonObject { ["can_download"] = true, ["can_preview"] = true, ["can_edit"] = link.Role == FakeRole.Writer },
            ["download_count"] = 0,
            ["preview_count"] = 0,
        };
        if (fields is null)
        {
            all.Remove("has_collaborations"); // a full-representation field: only when asked for
            return all;
        }
        var kept = new JsonObject();
        foreach (var (key, value) in all)
        {
            if (key is "type" or "id" or "etag" || fields.Contains(key, StringComparer.Ordinal))
            {
                kept[key] = value?.DeepClone();
            }
        }
        return kept;
    }

    private bool IsUnder(FakeItem item, string folderId)
    {
        for (var parent = item.ParentId; parent is not null; parent = Tree.Find(parent)?.ParentId)
        {
            if (parent == folderId)
            {
                return true;
            }
        }
        return false;
    }
}
