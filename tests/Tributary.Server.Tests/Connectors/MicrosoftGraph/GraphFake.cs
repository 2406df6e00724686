using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tributary.Integrations.Catalog;
using Tributary.Integrations.Providers.MicrosoftGraph;
using Tributary.Server.Tests.Connectors.Compliance;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.MicrosoftGraph;

/// <summary>Which Microsoft product the fake plays: the user's OneDrive, or SharePoint sites with document libraries.</summary>
internal enum GraphFlavor
{
    OneDrive,
    SharePoint,
}

internal sealed record FakeSite(string Id, string DisplayName, IReadOnlyList<string> DriveIds);

/// <summary>
/// Microsoft Graph v1.0 over a <see cref="FakeFileTree"/>, in Graph's own dialect: <c>/me</c>, users,
/// groups and members, <c>/me/drive(s)</c> or sites and their drives, <c>delta</c> per drive (server-driven
/// pages, nextLink/deltaLink tokens, bare-id <c>deleted</c> entries as business drives send them, 410
/// resyncRequired for expired tokens), effective permissions, <c>$batch</c>, downloads that answer
/// 302 to a pre-authenticated URL on another host (which refuses a bearer token), simple uploads by
/// colon path, upload sessions with 320 KiB fragments and Content-Range, folder creation with
/// conflict behaviour, and the identity platform's token endpoint (rotating refresh tokens) under
/// <c>/{tenant}/oauth2/v2.0/</c>. Errors use Graph's <c>{"error": {"code", "message"}}</c>.
/// </summary>
internal sealed partial class GraphFake : IFakeDialect
{
    public const long SimpleUploadMaximum = 4L * 1024 * 1024;
    private const int Fragment = 320 * 1024;

    private readonly ConcurrentDictionary<string, (string ItemId, bool Pdf)> _downloads = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UploadSession> _sessions = new(StringComparer.Ordinal);
    private int _tokenGeneration = 1;
    private int _batchThrottles;

    private GraphFake(GraphFlavor flavor, int pageSize)
    {
        Flavor = flavor;
        PageSize = pageSize;
        Tenant = flavor == GraphFlavor.OneDrive ? "common" : "organizations";
        Tokens = new FakeTokens(rotateRefreshTokens: true);
        Tree = new FakeFileTree(folder => GraphItemId.Format(Tree!.Drives[0].Id, NewItemId()));
        Tree.Changed += NotifySubscribers;
    }

    public GraphFlavor Flavor { get; }
    public int PageSize { get; }
    public string Tenant { get; }
    public FakeFileTree Tree { get; }
    public FakeTokens Tokens { get; }
    public ProviderFakeHost Host { get; private set; } = null!;
    public List<FakeSite> Sites { get; } = [];

    /// <summary>False plays a personal Microsoft account: <c>/users</c> and <c>/groups</c> are refused.</summary>
    public bool DirectoryAvailable { get; set; } = true;

    public string ApiBase => Host.Origin + "/v1.0";
    public string TokenUrl => $"{Host.Origin}/{Tenant}/oauth2/v2.0/token";
    public string AuthorizeUrl => $"{Host.Origin}/{Tenant}/oauth2/v2.0/authorize";

    /// <summary>Pre-authenticated URLs live on another host name (the loopback name instead of the address), as Graph's do.</summary>
    public string PreauthenticatedOrigin => Host.Origin.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);

    /// <summary>Requests to the Graph API itself (faults go only there, not to the token endpoint or pre-authenticated URLs).</summary>
    public static bool IsApiRequest(HttpRequest request) => request.Path.StartsWithSegments("/v1.0");

    /// <summary>Starts the fake with the standard compliance seed (plus, for SharePoint, a second site and library).</summary>
    public static async Task<GraphFake> StartAsync(GraphFlavor flavor, int pageSize, ISpecValidator? validator)
    {
        var fake = new GraphFake(flavor, pageSize);
        var now = TimeProvider.System.GetUtcNow();
        var documents = NewDriveId();
        fake.Tree.Drives.Add(new FakeDrive(documents, flavor == GraphFlavor.OneDrive ? "OneDrive" : "Documents", now.AddDays(-30)));
        fake.Tree.SeedStandard(25);
        if (flavor == GraphFlavor.SharePoint)
        {
            var marketing = NewDriveId();
            fake.Tree.Drives.Add(new FakeDrive(marketing, "Shared Documents", now.AddDays(-20)));
            fake.Sites.Add(new FakeSite("contoso.sharepoint.com," + Guid.NewGuid() + "," + Guid.NewGuid(), "Contoso", [documents]));
            fake.Sites.Add(new FakeSite("contoso.sharepoint.com," + Guid.NewGuid() + "," + Guid.NewGuid(), "Marketing", [marketing]));
            var campaigns = fake.Tree.AddFolder("Campaigns", driveId: marketing, id: GraphItemId.Format(marketing, NewItemId()));
            fake.Tree.AddFile("launch-plan.txt", FakeContent.Of("launch on monday\n"u8.ToArray()), campaigns.Id, "text/plain",
                driveId: marketing, id: GraphItemId.Format(marketing, NewItemId()));
        }
        fake.Host = await ProviderFakeHost.StartAsync(fake, validator, fake.Map);
        return fake;
    }

    /// <summary>The catalog entry pointed at this fake (API base URL, tenant-specific OAuth endpoints).</summary>
    public IntegrationDefinition Integration()
    {
        var slug = Flavor == GraphFlavor.OneDrive ? "onedrive" : "sharepoint";
        var integration = IntegrationCatalog.LoadEmbedded().Find(slug)!;
        return integration with
        {
            ApiBaseUrls = new Dictionary<string, string> { ["api"] = ApiBase },
            Auth = integration.Auth with { AuthorizationUrl = AuthorizeUrl, TokenUrl = TokenUrl },
        };
    }

    public FakeTreeWorld World() => new(Tree, Host, Tokens, IsApiRequest);

    /// <summary>Every delta token issued so far is refused with 410 resyncRequired from now on.</summary>
    public void ExpireDeltaTokens() => Interlocked.Increment(ref _tokenGeneration);

    /// <summary>The next <paramref name="times"/> sub-requests inside a <c>$batch</c> answer 429 on their own.</summary>
    public void ThrottleBatchSubRequests(int times) => Volatile.Write(ref _batchThrottles, times);

    public Task RenderRateLimitAsync(HttpContext context, TimeSpan? wait)
    {
        var seconds = (int)Math.Ceiling((wait ?? TimeSpan.FromSeconds(1)).TotalSeconds);
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Error(context, 429, "TooManyRequests", "Too many requests.");
    }

    public Task RenderServerErrorAsync(HttpContext context) => Error(context, 503, "serviceNotAvailable", "The service is temporarily unavailable.");

    private void Map(WebApplication app)
    {
        Tokens.Map(app, $"/{Tenant}/oauth2/v2.0/authorize", $"/{Tenant}/oauth2/v2.0/token");
        app.Map("/_preauth/download/{token}", PreauthenticatedDownloadAsync);
        app.Map("/_preauth/upload/{session}", UploadFragmentAsync);
        app.Map("/v1.0/{**path}", DispatchAsync);
    }

    private async Task DispatchAsync(HttpContext context)
    {
        if (!Tokens.IsAuthorized(context.Request))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"\", error=\"invalid_token\"";
            await Error(context, 401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.");
            return;
        }
        var path = context.Request.Path.Value!["/v1.0".Length..];
        var method = context.Request.Method;
        var (status, body) = method == "POST" && path == "/$batch"
            ? await BatchAsync(context)
            : await RouteAsync(context, method, path, context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal));
        if (status == 0)
        {
            return; // the route wrote the response itself
        }
        context.Response.StatusCode = status;
        if (body is not null)
        {
            await context.Response.WriteAsJsonAsync(body, (JsonSerializerOptions?)null, "application/json");
        }
    }

    /// <summary>Routes one Graph call; status 0 means the handler already wrote the response (redirects).</summary>
    private async Task<(int Status, JsonNode? Body)> RouteAsync(HttpContext? context, string method, string path, IReadOnlyDictionary<string, string> query)
    {
        var segments = path.Trim('/').Split('/');
        switch (method, segments)
        {
            case ("GET", ["me"]):
                return (200, UserJson(Tree.Me));
            case ("GET", ["users"]):
                return DirectoryAvailable ? (200, Collection(Tree.Users.Select(UserJson))) : Denied();
            case ("GET", ["groups"]):
                return DirectoryAvailable ? (200, Collection(Tree.Groups.Select(g => new JsonObject { ["id"] = g.Id, ["displayName"] = g.Name }))) : Denied();
            case ("GET", ["groups", var groupId, "members"]):
                if (!DirectoryAvailable)
                {
                    return Denied();
                }
                return Tree.Groups.FirstOrDefault(g => g.Id == groupId) is { } group
                    ? (200, Collection(group.MemberIds.Select(id => (JsonNode)new JsonObject { ["@odata.type"] = "#microsoft.graph.user", ["id"] = id })))
                    : NotFound("group");
            case ("GET", ["me", "drive"]) when Flavor == GraphFlavor.OneDrive:
                return (200, DriveJson(Tree.Drives[0]));
            case ("GET", ["me", "drives"]) when Flavor == GraphFlavor.OneDrive:
                return (200, Collection([DriveJson(Tree.Drives[0])]));
            case ("GET", ["sites"]) when Flavor == GraphFlavor.SharePoint:
                return (200, Collection(Sites.Select(s => (JsonNode)new JsonObject
                {
                    ["id"] = s.Id, ["displayName"] = s.DisplayName, ["webUrl"] = $"https://contoso.sharepoint.com/sites/{s.DisplayName}",
                })));
            case ("GET", ["sites", "root", "drive"]) when Flavor == GraphFlavor.SharePoint:
                return (200, DriveJson(Drive(Sites[0].DriveIds[0])!));
            case ("GET", ["sites", var siteId, "drives"]) when Flavor == GraphFlavor.SharePoint:
                return Sites.FirstOrDefault(s => s.Id == siteId) is { } site
                    ? (200, Collection(site.DriveIds.Select(d => DriveJson(Drive(d)!))))
                    : NotFound("site");
            case ("GET", ["drives", var driveId, "root"]):
                return Drive(driveId) is { } rootDrive ? (200, RootJson(rootDrive)) : NotFound("drive");
            case ("GET", ["drives", var driveId, "items", var itemRef, var delta]) when delta is "delta" or "delta()":
                return Delta(driveId, itemRef, query);
            case ("GET", ["drives", var driveId, "root", var delta]) when delta is "delta" or "delta()":
                return Delta(driveId, "root", query);
            case ("GET", ["drives", var driveId, "items", var itemId, "permissions"]):
                return Item(driveId, itemId) is { } item ? (200, Collection(item.Permissions.Select(PermissionJson))) : NotFound("item");
            case ("GET", ["drives", var driveId, "items", var itemId, "content"]):
                return Download(context!, driveId, itemId, query);
            case ("POST", ["drives", var driveId, "items", var parentRef, "children"]):
                return await CreateFolderAsync(context!, driveId, parentRef);
            case ("PUT" or "POST", ["drives", var driveId, "items", ..]) when path.Contains(":/", StringComparison.Ordinal):
                return await ColonAddressedAsync(context!, method, driveId, path);
            case ("POST", ["subscriptions"]):
                return await CreateSubscriptionAsync(context!);
            case ("PATCH", ["subscriptions", var subscriptionId]):
                return await RenewSubscriptionAsync(context!, subscriptionId);
            case ("DELETE", ["subscriptions", var subscriptionId]):
                return DeleteSubscription(subscriptionId);
            default:
                return (400, ErrorJson("invalidRequest", $"The fake has no route for {method} {path}."));
        }
    }

    private (int, JsonNode?) Delta(string driveId, string itemRef, IReadOnlyDictionary<string, string> query)
    {
        var drive = Drive(driveId);
        if (drive is null)
        {
            return NotFound("drive");
        }
        if (itemRef != "root" && itemRef != RootId(drive.Id))
        {
            return (400, ErrorJson("invalidRequest", "Delta is only supported on the root folder of this drive."));
        }
        var token = query.TryGetValue("token", out var raw) ? DeltaToken.Parse(raw) : null;
        if (raw is not null && token is null)
        {
            return (400, ErrorJson("invalidRequest", "The delta token is malformed."));
        }
        if (token is not null && token.Generation != Volatile.Read(ref _tokenGeneration))
        {
            return (410, ErrorJson("resyncRequired", "Resync required. Replace any local items with the server's version (including deletes)."));
        }
        var generation = Volatile.Read(ref _tokenGeneration);
        var page = new List<JsonNode>();
        var link = $"{ApiBase}/drives/{Uri.EscapeDataString(drive.Id)}/items/{RootId(drive.Id)}/delta?token=";
        if (token is null or { Since: null })
        {
            // A full enumeration: the root first, then every item, in a stable order, server-sized pages.
            var start = token?.Start ?? Tree.Sequence;
            if (token is null)
            {
                page.Add(RootJson(drive));
            }
            var rest = Tree.Items.Where(i => i.DriveId == drive.Id && string.CompareOrdinal(i.Id, token?.After ?? "") > 0)
                .OrderBy(i => i.Id, StringComparer.Ordinal).Take(PageSize - page.Count + 1).ToList();
            var more = rest.Count > PageSize - page.Count;
            rest = [.. rest.Take(PageSize - page.Count)];
            page.AddRange(rest.Select(ItemJson));
            var body = new JsonObject { ["value"] = new JsonArray([.. page]) };
            if (more)
            {
                body["@odata.nextLink"] = link + new DeltaToken(generation, start, null, null, rest[^1].Id, 0).Format();
            }
            else
            {
                body["@odata.deltaLink"] = link + new DeltaToken(generation, null, start, null, null, 0).Format();
            }
            return (200, body);
        }

        // Changes since the token: the latest state of each item changed in (since, end], oldest first.
        var end = token.End ?? Tree.Sequence;
        var changes = Tree.ChangesSince(token.Since ?? 0)
            .Where(c => c.Item.DriveId == drive.Id && c.Change.Sequence <= end && c.Change.Sequence > token.AfterSequence)
            .Take(PageSize + 1).ToList();
        var hasMore = changes.Count > PageSize;
        changes = [.. changes.Take(PageSize)];
        page.AddRange(changes.Select(c => c.Change.Removed || c.Item.Deleted ? DeletedJson(c.Item) : ItemJson(c.Item)));
        var answer = new JsonObject { ["value"] = new JsonArray([.. page]) };
        if (hasMore)
        {
            answer["@odata.nextLink"] = link + new DeltaToken(generation, null, token.Since, end, null, changes[^1].Change.Sequence).Format();
        }
        else
        {
            answer["@odata.deltaLink"] = link + new DeltaToken(generation, null, end, null, null, 0).Format();
        }
        return (200, answer);
    }

    private (int, JsonNode?) Download(HttpContext context, string driveId, string itemId, IReadOnlyDictionary<string, string> query)
    {
        var item = Item(driveId, itemId);
        if (item is null || item.IsFolder)
        {
            return NotFound("item");
        }
        var pdf = query.TryGetValue("format", out var format) && format == "pdf";
        if (query.ContainsKey("format") && !pdf)
        {
            return (400, ErrorJson("notSupported", $"Conversion to {format} is not supported."));
        }
        if (pdf && !(item.MimeType ?? "").Contains("officedocument", StringComparison.Ordinal))
        {
            return (406, ErrorJson("notSupported", "The item cannot be converted to PDF."));
        }
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _downloads[token] = (item.Id, pdf);
        context.Response.StatusCode = 302;
        context.Response.Headers.Location = $"{PreauthenticatedOrigin}/_preauth/download/{token}";
        return (0, null);
    }

    private async Task PreauthenticatedDownloadAsync(HttpContext context, string token)
    {
        if (context.Request.Headers.Authorization.Count > 0)
        {
            // The URL is the credential; Graph's download hosts refuse a bearer token meant for graph.microsoft.com.
            await Error(context, 401, "unauthenticated", "Pre-authenticated URLs must be requested without an Authorization header.");
            return;
        }
        if (!_downloads.TryGetValue(token, out var download) || Tree.Find(download.ItemId) is not { Deleted: false } item)
        {
            await Error(context, 404, "itemNotFound", "The item does not exist.");
            return;
        }
        var content = download.Pdf ? FakeContent.Of(Encoding.ASCII.GetBytes($"%PDF-1.4\n% converted {item.Name}\n%%EOF\n")) : item.Content!;
        var length = content.Length;
        long from = 0, to = length - 1;
        var status = 200;
        if (!download.Pdf && RangeOf(context.Request.Headers.Range.ToString(), length) is { } range)
        {
            (from, to) = range;
            status = 206;
            context.Response.Headers.ContentRange = $"bytes {from}-{to}/{length}";
        }
        context.Response.StatusCode = status;
        context.Response.ContentType = download.Pdf ? "application/pdf" : item.MimeType ?? "application/octet-stream";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{(download.Pdf ? Path.ChangeExtension(item.Name, ".pdf") : item.Name)}\"";
        context.Response.Headers.AcceptRanges = "bytes";
        context.Response.ContentLength = to - from + 1;
        await content.WriteToAsync(context.Response.Body, from, to, context.RequestAborted);
    }

    private async Task<(int, JsonNode?)> CreateFolderAsync(HttpContext context, string driveId, string parentRef)
    {
        var drive = Drive(driveId);
        var parent = ParentOf(drive, parentRef);
        if (drive is null || parent is null)
        {
            return NotFound("item");
        }
        var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
        if (body?["name"]?.GetValue<string>() is not { Length: > 0 } name || body["folder"] is not JsonObject)
        {
            return (400, ErrorJson("invalidRequest", "A folder needs a name and a folder facet."));
        }
        var conflict = body["@microsoft.graph.conflictBehavior"]?.GetValue<string>() ?? "fail";
        if (Resolve(drive, parent.Value.TreeId, name, conflict) is not { } finalName)
        {
            return (409, ErrorJson("nameAlreadyExists", $"An item named {name} already exists."));
        }
        var folder = Tree.AddFolder(finalName, parent.Value.TreeId, drive.Id, GraphItemId.Format(drive.Id, NewItemId()));
        return (201, ItemJson(folder));
    }

    private async Task<(int, JsonNode?)> ColonAddressedAsync(HttpContext context, string method, string driveId, string path)
    {
        // /drives/{d}/items/{parent}:/{name}:/content | :/createUploadSession
        var drive = Drive(driveId);
        var itemsAt = path.IndexOf("/items/", StringComparison.Ordinal) + "/items/".Length;
        var colon = path.IndexOf(":/", itemsAt, StringComparison.Ordinal);
        var close = path.IndexOf(':', colon + 2);
        if (drive is null || close < 0)
        {
            return (400, ErrorJson("invalidRequest", "Malformed path address."));
        }
        var parent = ParentOf(drive, path[itemsAt..colon]);
        var name = path[(colon + 2)..close];
        var action = path[(close + 1)..];
        if (parent is null)
        {
            return NotFound("item");
        }
        if (method == "PUT" && action == "/content")
        {
            if (context.Request.ContentLength is > SimpleUploadMaximum)
            {
                return (413, ErrorJson("requestTooLarge", "Use an upload session for files over 4 MiB."));
            }
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var conflict = context.Request.Query["@microsoft.graph.conflictBehavior"].ToString() is { Length: > 0 } c ? c : "replace";
            if (Resolve(drive, parent.Value.TreeId, name, conflict) is not { } finalName)
            {
                return (409, ErrorJson("nameAlreadyExists", $"An item named {name} already exists."));
            }
            var file = Tree.AddFile(finalName, FakeContent.Of(buffer.ToArray()), parent.Value.TreeId, MimeOf(finalName), drive.Id, GraphItemId.Format(drive.Id, NewItemId()));
            return (201, ItemJson(file));
        }
        if (method == "POST" && action == "/createUploadSession")
        {
            var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
            var conflict = body?["item"]?["@microsoft.graph.conflictBehavior"]?.GetValue<string>() ?? "replace";
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            _sessions[id] = new UploadSession(drive.Id, parent.Value.TreeId, name, conflict, new MemoryStream());
            return (200, new JsonObject
            {
                ["uploadUrl"] = $"{PreauthenticatedOrigin}/_preauth/upload/{id}",
                ["expirationDateTime"] = Date(TimeProvider.System.GetUtcNow().AddHours(1)),
                ["nextExpectedRanges"] = new JsonArray("0-"),
            });
        }
        return (400, ErrorJson("invalidRequest", $"The fake has no route for {method} {path}."));
    }

    private async Task UploadFragmentAsync(HttpContext context, string session)
    {
        if (context.Request.Headers.Authorization.Count > 0)
        {
            await Error(context, 401, "unauthenticated", "Upload URLs are pre-authenticated; send no Authorization header.");
            return;
        }
        if (!_sessions.TryGetValue(session, out var upload))
        {
            await Error(context, 404, "itemNotFound", "The upload session does not exist or expired.");
            return;
        }
        if (context.Request.Method == "DELETE")
        {
            _sessions.TryRemove(session, out _);
            context.Response.StatusCode = 204;
            return;
        }
        var range = System.Net.Http.Headers.ContentRangeHeaderValue.TryParse(context.Request.Headers.ContentRange.ToString(), out var parsed) ? parsed : null;
        if (context.Request.Method != "PUT" || range is not { From: { } from, To: { } to, Length: { } total })
        {
            await Error(context, 400, "invalidRequest", "A fragment needs PUT and Content-Range: bytes {from}-{to}/{total}.");
            return;
        }
        var length = to - from + 1;
        if (from != upload.Received.Length)
        {
            await Error(context, 416, "invalidRange", $"Expected the fragment starting at {upload.Received.Length}.");
            return;
        }
        if (to + 1 != total && length % Fragment != 0)
        {
            await Error(context, 400, "invalidRange", "Fragments other than the last must be a multiple of 320 KiB.");
            return;
        }
        var before = upload.Received.Length;
        await context.Request.Body.CopyToAsync(upload.Received);
        if (upload.Received.Length - before != length)
        {
            await Error(context, 400, "invalidRange", "The fragment's length does not match its Content-Range.");
            return;
        }
        if (upload.Received.Length < total)
        {
            context.Response.StatusCode = 202;
            await context.Response.WriteAsJsonAsync(new JsonObject
            {
                ["expirationDateTime"] = Date(TimeProvider.System.GetUtcNow().AddHours(1)),
                ["nextExpectedRanges"] = new JsonArray($"{upload.Received.Length}-"),
            });
            return;
        }
        _sessions.TryRemove(session, out _);
        var drive = Drive(upload.DriveId)!;
        if (Resolve(drive, upload.ParentId, upload.Name, upload.Conflict) is not { } finalName)
        {
            await Error(context, 409, "nameAlreadyExists", $"An item named {upload.Name} already exists.");
            return;
        }
        var file = Tree.AddFile(finalName, FakeContent.Of(upload.Received.ToArray()), upload.ParentId, MimeOf(finalName), drive.Id,
            GraphItemId.Format(drive.Id, NewItemId()));
        context.Response.StatusCode = 201;
        await context.Response.WriteAsJsonAsync(ItemJson(file));
    }

    private async Task<(int, JsonNode?)> BatchAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
        if (body?["requests"] is not JsonArray requests || requests.Count is 0 or > 20)
        {
            return (400, ErrorJson("invalidRequest", "A batch needs 1 to 20 requests."));
        }
        var responses = new JsonArray();
        foreach (var request in requests.OfType<JsonObject>())
        {
            var id = request["id"]?.GetValue<string>() ?? "";
            var url = request["url"]?.GetValue<string>() ?? "";
            var method = request["method"]?.GetValue<string>() ?? "GET";
            if (Interlocked.Decrement(ref _batchThrottles) >= 0)
            {
                responses.Add(new JsonObject
                {
                    ["id"] = id, ["status"] = 429,
                    ["headers"] = new JsonObject { ["Retry-After"] = "1", ["Content-Type"] = "application/json" },
                    ["body"] = ErrorJson("TooManyRequests", "Too many requests."),
                });
                continue;
            }
            Interlocked.CompareExchange(ref _batchThrottles, 0, -1);
            var question = url.IndexOf('?', StringComparison.Ordinal);
            var path = question < 0 ? url : url[..question];
            var query = question < 0 ? new Dictionary<string, string>(StringComparer.Ordinal)
                : Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(url[question..]).ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
            var (status, answer) = method == "GET" && !path.EndsWith("/content", StringComparison.Ordinal)
                ? await RouteAsync(null, method, Uri.UnescapeDataString(path), query)
                : (400, ErrorJson("invalidRequest", "The fake batches only GET requests."));
            responses.Add(new JsonObject
            {
                ["id"] = id, ["status"] = status, ["headers"] = new JsonObject { ["Content-Type"] = "application/json" }, ["body"] = answer,
            });
        }
        return (200, new JsonObject { ["responses"] = responses });
    }

    private static (int, JsonNode?) NotFound(string what) => (404, ErrorJson("itemNotFound", $"The {what} does not exist."));

    private static (int, JsonNode?) Denied() => (403, ErrorJson("Authorization_RequestDenied", "Insufficient privileges to complete the operation."));

    private static JsonObject ErrorJson(string code, string message) => new() { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };

    private static async Task Error(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(ErrorJson(code, message), (JsonSerializerOptions?)null, "application/json");
    }

    private static JsonObject Collection(IEnumerable<JsonNode> values) => new() { ["value"] = new JsonArray([.. values]) };

    private FakeDrive? Drive(string id) => Tree.Drives.FirstOrDefault(d => d.Id == id);

    private FakeItem? Item(string driveId, string itemId) =>
        Tree.Find(GraphItemId.Format(driveId, itemId)) is { Deleted: false } item ? item : null;

    /// <summary>The parent an address names: the drive root (<c>root</c> or its id) is null in the tree.</summary>
    private (string? TreeId, bool Found)? ParentOf(FakeDrive? drive, string itemRef)
    {
        if (drive is null)
        {
            return null;
        }
        if (itemRef == "root" || itemRef == RootId(drive.Id))
        {
            return (null, true);
        }
        return Item(drive.Id, itemRef) is { IsFolder: true } folder ? (folder.Id, true) : null;
    }

    /// <summary>Applies <c>@microsoft.graph.conflictBehavior</c>: the name to use, or null to fail.</summary>
    private string? Resolve(FakeDrive drive, string? parentId, string name, string conflict)
    {
        var siblings = Tree.Children(drive.Id, parentId).Select(i => i.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!siblings.Contains(name))
        {
            return name;
        }
        switch (conflict)
        {
            case "fail":
                return null;
            case "replace":
                Tree.Delete(Tree.Children(drive.Id, parentId).First(i => string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase)).Id);
                return name;
            default:
                var stem = Path.GetFileNameWithoutExtension(name);
                var extension = Path.GetExtension(name);
                for (var n = 1; ; n++)
                {
                    var candidate = $"{stem} {n}{extension}";
                    if (!siblings.Contains(candidate))
                    {
                        return candidate;
                    }
                }
        }
    }

    private JsonObject DriveJson(FakeDrive drive) => new()
    {
        ["id"] = drive.Id,
        ["name"] = drive.Name,
        ["driveType"] = Flavor == GraphFlavor.OneDrive ? "business" : "documentLibrary",
        ["createdDateTime"] = Date(drive.CreatedAt),
        ["webUrl"] = Flavor == GraphFlavor.OneDrive
            ? "https://contoso-my.sharepoint.com/personal/ada_example_com/Documents"
            : $"https://contoso.sharepoint.com/sites/{Uri.EscapeDataString(drive.Name)}",
    };

    private JsonObject RootJson(FakeDrive drive) => new()
    {
        ["id"] = RootId(drive.Id),
        ["name"] = "root",
        ["root"] = new JsonObject(),
        ["folder"] = new JsonObject { ["childCount"] = Tree.Children(drive.Id, null).Count },
        ["createdDateTime"] = Date(drive.CreatedAt),
        ["lastModifiedDateTime"] = Date(drive.CreatedAt),
        ["parentReference"] = new JsonObject { ["driveId"] = drive.Id, ["driveType"] = Flavor == GraphFlavor.OneDrive ? "business" : "documentLibrary" },
    };

    private JsonObject ItemJson(FakeItem item)
    {
        var (driveId, wireId) = Split(item.Id);
        var json = new JsonObject
        {
            ["id"] = wireId,
            ["name"] = item.Name,
            ["eTag"] = $"\"{{{wireId}}},{item.Version}\"",
            ["cTag"] = $"\"c:{{{wireId}}},{item.Version}\"",
            ["createdDateTime"] = Date(item.CreatedAt),
            ["lastModifiedDateTime"] = Date(item.ModifiedAt),
            ["webUrl"] = $"https://contoso.sharepoint.com/Documents{Tree.PathOf(item)}",
            ["parentReference"] = new JsonObject
            {
                ["driveId"] = driveId,
                ["driveType"] = Flavor == GraphFlavor.OneDrive ? "business" : "documentLibrary",
                ["id"] = item.ParentId is { } parent ? Split(parent).ItemId : RootId(driveId),
            },
        };
        if (item.Description is not null)
        {
            json["description"] = item.Description;
        }
        if (item.IsFolder)
        {
            json["folder"] = new JsonObject { ["childCount"] = Tree.Children(item.DriveId, item.Id).Count };
            json["size"] = Tree.Items.Where(i => !i.IsFolder && i.DriveId == item.DriveId && Tree.PathOf(i).StartsWith(Tree.PathOf(item) + "/", StringComparison.Ordinal))
                .Sum(i => i.Content!.Length);
        }
        else
        {
            json["size"] = item.Content!.Length;
            var file = new JsonObject { ["mimeType"] = item.MimeType };
            if (item.Content.Length <= 16 * 1024 * 1024)
            {
                file["hashes"] = new JsonObject { ["sha256Hash"] = item.Content.Sha256Hex().ToUpperInvariant() };
            }
            json["file"] = file;
        }
        if (item.Permissions.Count > 1)
        {
            json["shared"] = new JsonObject { ["scope"] = item.Permissions.Any(p => p.Kind == FakePermissionKind.Anyone) ? "anonymous" : "users" };
        }
        return json;
    }

    /// <summary>A deleted item as business drives report it: the id, its parent, the facet; no name.</summary>
    private static JsonObject DeletedJson(FakeItem item)
    {
        var (driveId, wireId) = Split(item.Id);
        return new JsonObject
        {
            ["id"] = wireId,
            ["deleted"] = new JsonObject { ["state"] = "deleted" },
            ["parentReference"] = new JsonObject { ["driveId"] = driveId, ["id"] = item.ParentId is { } p ? Split(p).ItemId : RootId(driveId) },
        };
    }

    private JsonObject UserJson(FakeUser user) => new()
    {
        ["id"] = user.Id,
        ["displayName"] = user.Name,
        ["mail"] = user.Email,
        ["userPrincipalName"] = user.Email,
    };

    private JsonNode PermissionJson(FakePermission permission)
    {
        var role = permission.Role switch { FakeRole.Owner => "owner", FakeRole.Writer => "write", _ => "read" };
        var json = new JsonObject { ["id"] = permission.Id, ["roles"] = new JsonArray(role) };
        switch (permission.Kind)
        {
            case FakePermissionKind.User:
                var user = Tree.Users.FirstOrDefault(u => u.Id == permission.UserId);
                json["grantedToV2"] = new JsonObject { ["user"] = new JsonObject { ["id"] = permission.UserId, ["displayName"] = user?.Name } };
                break;
            case FakePermissionKind.Group:
                var group = Tree.Groups.FirstOrDefault(g => g.Id == permission.GroupId);
                json["grantedToV2"] = new JsonObject { ["group"] = new JsonObject { ["id"] = permission.GroupId, ["displayName"] = group?.Name } };
                break;
            case FakePermissionKind.Domain:
                json["link"] = new JsonObject { ["scope"] = "organization", ["type"] = "view", ["webUrl"] = "https://contoso.sharepoint.com/:t:/g/" + permission.Id };
                break;
            case FakePermissionKind.Anyone:
                json["link"] = new JsonObject { ["scope"] = "anonymous", ["type"] = "view", ["webUrl"] = "https://1drv.ms/t/s!" + permission.Id };
                break;
        }
        return json;
    }

    private static (string DriveId, string ItemId) Split(string treeId)
    {
        var id = GraphItemId.Parse(treeId);
        return (id.DriveId, id.ItemId);
    }

    private static (long From, long To)? RangeOf(string header, long length)
    {
        if (!System.Net.Http.Headers.RangeHeaderValue.TryParse(header, out var range) || range.Ranges.Count != 1)
        {
            return null;
        }
        var only = range.Ranges.First();
        if (only.From is { } from)
        {
            return from >= length ? null : (from, Math.Min(only.To ?? length - 1, length - 1));
        }
        return only.To is { } suffix ? (Math.Max(0, length - suffix), length - 1) : null;
    }

    private static string MimeOf(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".txt" => "text/plain",
        ".docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".pdf" => "application/pdf",
        _ => "application/octet-stream",
    };

    private static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Business-style drive ids: <c>b!</c> plus base64url.</summary>
    private static string NewDriveId() => "b!" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_').TrimEnd('=');

    /// <summary>Business-style item ids: <c>01</c> plus 32 base32 characters.</summary>
    private static string NewItemId()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = RandomNumberGenerator.GetBytes(32);
        return "01" + string.Concat(bytes.Select(b => alphabet[b % 32]));
    }

    private static string RootId(string driveId) => "01" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(driveId)))[..32];

    private sealed record UploadSession(string DriveId, string? ParentId, string Name, string Conflict, MemoryStream Received);

    /// <summary>A delta token: a full enumeration started at <see cref="Start"/> (paging after <see cref="After"/>), or changes after <see cref="Since"/>.</summary>
    private sealed record DeltaToken(int Generation, long? Start, long? Since, long? End, string? After, long AfterSequence)
    {
        public string Format() => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(this)).Replace('+', '-').Replace('/', '_').TrimEnd('=');

        public static DeltaToken? Parse(string token)
        {
            try
            {
                var base64 = token.Replace('-', '+').Replace('_', '/');
                base64 += new string('=', (4 - base64.Length % 4) % 4);
                return JsonSerializer.Deserialize<DeltaToken>(Convert.FromBase64String(base64));
            }
            catch (Exception e) when (e is FormatException or JsonException)
            {
                return null;
            }
        }
    }
}
