using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tributary.Integrations.Catalog;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Http;

namespace Tributary.Integrations.Providers.MicrosoftGraph;

/// <summary>
/// The File Storage connector over Microsoft Graph v1.0, shared by OneDrive and SharePoint, which
/// differ only in which drives they read (<see cref="DiscoverDrivesAsync"/>) and where an upload
/// without a folder goes (<see cref="DefaultDrivePath"/>).
/// </summary>
/// <remarks>
/// A read walks: the signed-in user, users, groups (members through <c>$batch</c>), the drives, then
/// each drive's <c>delta</c> from the root. Started without a token, delta IS the full listing and
/// ends with a deltaLink that covers every change made since the listing began, so nothing changed
/// during a long first read is lost. Permissions come from <c>/permissions</c>, 20 items per
/// <c>$batch</c>. A 410 on a delta link restarts the whole read as a full snapshot.
/// </remarks>
public abstract partial class GraphConnector : IFileStorageConnector, IPushSubscriptions
{
    /// <summary>Set on requests to pre-authenticated URLs (download redirects, upload sessions): they must not carry the bearer token.</summary>
    public static readonly HttpRequestOptionsKey<bool> Preauthenticated = new("tributary.graph.preauthenticated");

    private const string ItemSelect =
        "id,name,parentReference,file,folder,package,deleted,root,size,eTag,cTag,createdDateTime,lastModifiedDateTime,webUrl,remoteItem,shared,description";

    private const string DeltaPreferences = "deltashowremovedasdeleted, deltatraversepermissiongaps, deltashowsharingchanges, hierarchicalsharing";

    private static readonly string[] OfficeMimeTypes =
    [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "application/rtf",
    ];

    private readonly TimeProvider _time;

    protected GraphConnector(IntegrationDefinition integration, HttpClient http, TimeProvider time, GraphConnectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(integration);
        _time = time;
        Options = options.Validated(integration.Slug);
        Api = integration.ApiBaseUrl("api");
        Http = new ProviderHttp(http, time, new ProviderHttpOptions
        {
            Provider = integration.Name,
            BaseBackoff = options.RetryBaseBackoff,
            Authorize = static (request, credential) =>
            {
                if (!request.Options.TryGetValue(Preauthenticated, out var preauthenticated) || !preauthenticated)
                {
                    ProviderHttpOptions.BearerAccessToken(request, credential);
                }
            },
        });
    }

    /// <summary>Graph's base URL, e.g. <c>https://graph.microsoft.com/v1.0</c>.</summary>
    protected string Api { get; }

    protected ProviderHttp Http { get; }

    protected GraphConnectorOptions Options { get; }

    /// <summary>The drives this integration syncs, with the API path each was read from (for <c>remote_data</c>).</summary>
    protected abstract IAsyncEnumerable<(JsonElement Drive, string Path)> DiscoverDrivesAsync(ConnectorContext context, CancellationToken cancellationToken);

    /// <summary>The drive an upload or folder without a parent goes to, e.g. <c>/me/drive</c>.</summary>
    protected abstract string DefaultDrivePath { get; }

    public async IAsyncEnumerable<ChangePage> ReadChangesAsync(ConnectorContext context, string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var state = cursor is null ? GraphCursor.NewFull() : GraphCursor.Decode(cursor);
        if (state.Step == GraphStep.Idle)
        {
            // An incremental run: every drive continues from its deltaLink; the directory is re-read when due.
            var due = state.DirectoryReadAt is not { } at || _time.GetUtcNow() - at >= Options.DirectoryRefreshInterval;
            state = state with
            {
                Full = false,
                Step = due ? GraphStep.Me : GraphStep.Delta,
                Link = null,
                Drives = [.. state.Drives.Select(d => d with { CaughtUp = false })],
            };
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            List<RemoteRecord> records = [];
            List<RemoteDeletion> deletions = [];
            switch (state.Step)
            {
                case GraphStep.Me:
                {
                    using var me = await GetJsonAsync(context, $"{Api}/me?$select=id,displayName,mail,userPrincipalName", cancellationToken);
                    var user = GraphMapper.MapUser(me.RootElement, isMe: true, "/me");
                    records.Add(user);
                    state = state with { Step = GraphStep.Users, MeId = user.RemoteId, Link = null };
                    break;
                }
                case GraphStep.Users:
                {
                    var url = state.Link ?? $"{Api}/users?$select=id,displayName,mail,userPrincipalName{Top('&')}";
                    using var page = await GetDirectoryPageAsync(context, url, cancellationToken);
                    if (page is not null)
                    {
                        foreach (var user in Values(page.RootElement))
                        {
                            records.Add(GraphMapper.MapUser(user, GraphMapper.String(user, "id") == state.MeId, "/users"));
                        }
                    }
                    var next = page is null ? null : NextLink(page.RootElement);
                    state = state with { Step = next is null ? GraphStep.Groups : GraphStep.Users, Link = next };
                    break;
                }
                case GraphStep.Groups:
                {
                    var url = state.Link ?? $"{Api}/groups?$select=id,displayName{Top('&')}";
                    using var page = await GetDirectoryPageAsync(context, url, cancellationToken);
                    if (page is not null)
                    {
                        var groups = Values(page.RootElement);
                        var members = await BatchGetValuesAsync(context,
                            [.. groups.Select(g => $"/groups/{Escape(GraphMapper.String(g, "id")!)}/members?$select=id")], cancellationToken);
                        for (var i = 0; i < groups.Count; i++)
                        {
                            records.Add(GraphMapper.MapGroup(groups[i], members[i] is { } m ? m.EnumerateArray() : [], "/groups"));
                        }
                    }
                    var next = page is null ? null : NextLink(page.RootElement);
                    state = state with { Step = next is null ? GraphStep.Drives : GraphStep.Groups, Link = next };
                    break;
                }
                case GraphStep.Drives:
                {
                    var known = state.Drives.ToDictionary(d => d.Id, StringComparer.Ordinal);
                    var drives = new List<GraphDriveCursor>();
                    await foreach (var (drive, path) in DiscoverDrivesAsync(context, cancellationToken))
                    {
                        var remote = GraphMapper.MapDrive(drive, path);
                        if (drives.Any(d => d.Id == remote.RemoteId))
                        {
                            continue;
                        }
                        records.Add(remote);
                        drives.Add(known.TryGetValue(remote.RemoteId, out var existing)
                            ? existing
                            : new GraphDriveCursor(remote.RemoteId, await RootIdAsync(context, remote.RemoteId, cancellationToken), null, false));
                    }
                    deletions.AddRange(state.Drives.Where(d => drives.All(n => n.Id != d.Id)).Select(d => new RemoteDeletion(FileStorageModel.Drive, d.Id)));
                    state = state with { Step = GraphStep.Delta, Drives = drives, DirectoryReadAt = _time.GetUtcNow() };
                    break;
                }
                case GraphStep.Delta:
                {
                    var index = state.Drives.ToList().FindIndex(d => !d.CaughtUp);
                    if (index < 0)
                    {
                        state = state with { Step = GraphStep.Idle };
                        break;
                    }
                    var drive = state.Drives[index];
                    var url = drive.Link ?? $"{Api}/drives/{Escape(drive.Id)}/items/root/delta?$select={ItemSelect}{Top('&')}";
                    JsonDocument page;
                    try
                    {
                        page = await SendJsonAsync(context, () =>
                        {
                            var request = new HttpRequestMessage(HttpMethod.Get, url);
                            request.Headers.Add("Prefer", DeltaPreferences);
                            return request;
                        }, cancellationToken);
                    }
                    catch (ProviderException e) when (e.HttpStatus == (int)HttpStatusCode.Gone)
                    {
                        // resyncRequired: the token expired. Changes may have been lost, so everything is read again as a full snapshot.
                        state = GraphCursor.NewFull();
                        continue;
                    }
                    catch (ProviderException e) when (e.HttpStatus == (int)HttpStatusCode.NotFound && drive.Link is not null)
                    {
                        // The drive (a document library) is gone.
                        deletions.Add(new RemoteDeletion(FileStorageModel.Drive, drive.Id));
                        state = state with { Drives = [.. state.Drives.Where((_, i) => i != index)] };
                        break;
                    }
                    using (page)
                    {
                        await MapDeltaPageAsync(context, page.RootElement, drive, records, deletions, cancellationToken);
                        var next = NextLink(page.RootElement);
                        var deltaLink = GraphMapper.String(page.RootElement, "@odata.deltaLink");
                        if (next is null && deltaLink is null)
                        {
                            throw new ProviderException(ProviderErrorKind.Transient, "Microsoft Graph ended a delta page with neither a nextLink nor a deltaLink.");
                        }
                        var updated = drive with { Link = next ?? deltaLink, CaughtUp = next is null };
                        var drives = state.Drives.ToList();
                        drives[index] = updated;
                        state = state with { Drives = drives, Step = drives.All(d => d.CaughtUp) ? GraphStep.Idle : GraphStep.Delta };
                    }
                    break;
                }
                default:
                    throw new InvalidOperationException($"Unexpected step {state.Step}.");
            }

            var final = state.Step == GraphStep.Idle;
            yield return new ChangePage(records, deletions, state.Encode(), final, state.Full);
            if (final)
            {
                yield break;
            }
        }
    }

    public async Task<RemoteContent> DownloadAsync(
        ConnectorContext context, string fileRemoteId, string? exportMimeType, ByteRange? range, CancellationToken cancellationToken)
    {
        var id = GraphItemId.Parse(fileRemoteId);
        var convert = exportMimeType is not null && string.Equals(exportMimeType, "application/pdf", StringComparison.OrdinalIgnoreCase);
        var url = $"{Api}/drives/{Escape(id.DriveId)}/items/{Escape(id.ItemId)}/content{(convert ? "?format=pdf" : "")}";
        var response = await Http.SendAsync(context, () => WithRange(new HttpRequestMessage(HttpMethod.Get, url), range), cancellationToken);
        // Graph answers 302 to a pre-authenticated URL on another host. A client that follows redirects itself
        // drops the bearer token on the way; otherwise we follow here, without it.
        for (var hops = 0; (int)response.StatusCode is >= 300 and < 400; hops++)
        {
            var location = response.Headers.Location;
            var from = response.RequestMessage?.RequestUri ?? new Uri(url);
            response.Dispose();
            if (location is null || hops >= 5)
            {
                throw new ProviderException(ProviderErrorKind.Transient, "Microsoft Graph redirected the download without a usable Location.");
            }
            var target = location.IsAbsoluteUri ? location : new Uri(from, location);
            response = await Http.SendAsync(context, () => WithRange(Preauthorized(new HttpRequestMessage(HttpMethod.Get, target)), range), cancellationToken);
        }

        var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var headers = response.Content.Headers;
        var contentType = convert ? "application/pdf" : headers.ContentType?.MediaType ?? "application/octet-stream";
        var fileName = headers.ContentDisposition?.FileNameStar ?? headers.ContentDisposition?.FileName?.Trim('"');
        if (range is null)
        {
            return new RemoteContent(body, contentType, fileName, headers.ContentLength);
        }
        if (response.StatusCode == HttpStatusCode.PartialContent && headers.ContentRange is { From: { } servedFrom } served)
        {
            var servedTo = served.To ?? (headers.ContentLength is { } l ? servedFrom + l - 1 : (long?)null);
            return new RemoteContent(body, contentType, fileName, headers.ContentLength, served.Length, new ByteRange(servedFrom, servedTo));
        }
        // The server ignored the Range header: skip to the start and stop at the end ourselves.
        var total = headers.ContentLength;
        if (total is { } t && range.From >= t)
        {
            return new RemoteContent(body, contentType, fileName, total);
        }
        await SkipAsync(body, range.From, cancellationToken);
        var to = range.To is { } end && total is { } all ? Math.Min(end, all - 1) : range.To ?? (total - 1);
        if (to is { } last)
        {
            var length = last - range.From + 1;
            return new RemoteContent(new BoundedStream(body, length), contentType, fileName, length, total, new ByteRange(range.From, last));
        }
        return new RemoteContent(body, contentType, fileName, null, total, new ByteRange(range.From, null));
    }

    public async Task<UploadedFile> UploadAsync(ConnectorContext context, FileUpload upload, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        ArgumentNullException.ThrowIfNull(content);
        var (driveId, parentId) = await ParentAsync(context, upload.FolderRemoteId, upload.DriveRemoteId, cancellationToken);
        var itemPath = $"{Api}/drives/{Escape(driveId)}/items/{Escape(parentId)}:/{Escape(upload.Name)}:";

        // Read up to the simple-upload limit (plus one byte to know whether there is more); memory stays bounded by it.
        var prefixLength = (int)Math.Min(Options.SimpleUploadLimit + 1, upload.Length is { } declared ? declared + 1 : Options.SimpleUploadLimit + 1);
        var prefix = upload.Length > Options.SimpleUploadLimit ? [] : new byte[prefixLength];
        var read = prefix.Length == 0 ? 0 : await content.ReadAtLeastAsync(prefix, prefix.Length, throwOnEndOfStream: false, cancellationToken);
        JsonDocument item;
        if (prefix.Length > 0 && read <= Options.SimpleUploadLimit)
        {
            CheckLength(upload, read);
            item = await SendJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Put, $"{itemPath}/content?@microsoft.graph.conflictBehavior=rename")
            {
                Content = Octets(new ByteArrayContent(prefix, 0, read)),
            }, cancellationToken);
        }
        else
        {
            item = await UploadInSessionAsync(context, itemPath, upload, prefix.AsMemory(0, read), content, cancellationToken);
        }
        using (item)
        {
            return new UploadedFile(await MapWrittenAsync<RemoteFile>(context, item.RootElement, driveId, parentId == "root", cancellationToken));
        }
    }

    public async Task<RemoteFolder> CreateFolderAsync(ConnectorContext context, string name, string? parentRemoteId, string? driveRemoteId, CancellationToken cancellationToken)
    {
        var (driveId, parentId) = await ParentAsync(context, parentRemoteId, driveRemoteId, cancellationToken);
        var body = new JsonObject { ["name"] = name, ["folder"] = new JsonObject(), ["@microsoft.graph.conflictBehavior"] = "rename" };
        using var item = await SendJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Post, $"{Api}/drives/{Escape(driveId)}/items/{Escape(parentId)}/children")
        {
            Content = JsonContent.Create(body),
        }, cancellationToken);
        return await MapWrittenAsync<RemoteFolder>(context, item.RootElement, driveId, parentId == "root", cancellationToken);
    }

    /// <summary>Office documents convert to PDF (<c>?format=pdf</c>); they also download as themselves.</summary>
    public IReadOnlyList<string> ExportFormats(string nativeMimeType) =>
        OfficeMimeTypes.Contains(nativeMimeType, StringComparer.OrdinalIgnoreCase) ? [nativeMimeType, "application/pdf"] : [];

    /// <summary>Lists a collection to the end, following <c>@odata.nextLink</c>.</summary>
    protected async IAsyncEnumerable<JsonElement> ListAsync(ConnectorContext context, string url, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (string? next = url; next is not null;)
        {
            using var page = await GetJsonAsync(context, next, cancellationToken);
            foreach (var value in Values(page.RootElement))
            {
                yield return value.Clone();
            }
            next = NextLink(page.RootElement);
        }
    }

    protected Task<JsonDocument> GetJsonAsync(ConnectorContext context, string url, CancellationToken cancellationToken) =>
        SendJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);

    protected static string Escape(string segment) => Uri.EscapeDataString(segment);

    private async Task<JsonDocument> SendJsonAsync(ConnectorContext context, Func<HttpRequestMessage> create, CancellationToken cancellationToken) =>
        await Http.SendForJsonAsync(context, () =>
        {
            var request = create();
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            return request;
        }, cancellationToken);

    /// <summary>A users or groups page, or null when the account may not list the directory (personal accounts, missing consent).</summary>
    private async Task<JsonDocument?> GetDirectoryPageAsync(ConnectorContext context, string url, CancellationToken cancellationToken)
    {
        try
        {
            return await GetJsonAsync(context, url, cancellationToken);
        }
        catch (ProviderException e) when (e.HttpStatus is 400 or 403 or 404)
        {
            return null;
        }
    }

    private async Task<string> RootIdAsync(ConnectorContext context, string driveId, CancellationToken cancellationToken)
    {
        using var root = await GetJsonAsync(context, $"{Api}/drives/{Escape(driveId)}/root?$select=id", cancellationToken);
        return GraphMapper.String(root.RootElement, "id") ?? throw new ProviderException(ProviderErrorKind.Transient, "Microsoft Graph sent a drive root without an id.");
    }

    private async Task MapDeltaPageAsync(
        ConnectorContext context, JsonElement page, GraphDriveCursor drive, List<RemoteRecord> records, List<RemoteDeletion> deletions, CancellationToken cancellationToken)
    {
        var items = Values(page);
        // Items to keep need their permissions; deleted, root and skipped entries do not.
        var wanted = items.Where(i => GraphMapper.MapItem(i, drive.Id, drive.RootId, null) is GraphItemUpsert).ToList();
        var permissions = await BatchGetValuesAsync(context, [.. wanted.Select(i =>
            $"/drives/{Escape(GraphMapper.String(i, "parentReference", "driveId") ?? drive.Id)}/items/{Escape(GraphMapper.String(i, "id")!)}/permissions")], cancellationToken);
        var byItem = new Dictionary<string, JsonElement?>(StringComparer.Ordinal);
        for (var i = 0; i < wanted.Count; i++)
        {
            byItem[GraphMapper.String(wanted[i], "id")!] = permissions[i];
        }
        foreach (var item in items)
        {
            switch (GraphMapper.MapItem(item, drive.Id, drive.RootId, byItem.GetValueOrDefault(GraphMapper.String(item, "id") ?? "")))
            {
                case GraphItemUpsert upsert:
                    records.Add(upsert.Record);
                    break;
                case GraphItemDeletion { Model: { } model } deletion:
                    deletions.Add(new RemoteDeletion(model, deletion.RemoteId));
                    break;
                case GraphItemDeletion deletion:
                    // Business drives send deleted items as a bare id: whichever it was, it is gone.
                    deletions.Add(new RemoteDeletion(FileStorageModel.File, deletion.RemoteId));
                    deletions.Add(new RemoteDeletion(FileStorageModel.Folder, deletion.RemoteId));
                    break;
            }
        }
    }

    /// <summary>
    /// GETs each relative URL through <c>$batch</c> (up to 20 per request) and returns each one's
    /// <c>value</c> array (following nextLinks), or null when Graph refuses or no longer has it. Sub-requests
    /// Graph throttles on their own (429/503/5xx inside the batch) are retried after the wait they name.
    /// </summary>
    private async Task<JsonElement?[]> BatchGetValuesAsync(ConnectorContext context, IReadOnlyList<string> urls, CancellationToken cancellationToken)
    {
        var results = new JsonElement?[urls.Count];
        var pending = Enumerable.Range(0, urls.Count).ToList();
        for (var attempt = 1; pending.Count > 0; attempt++)
        {
            var retry = new List<int>();
            TimeSpan? wait = null;
            foreach (var chunk in pending.Chunk(Options.BatchSize))
            {
                var body = new JsonObject
                {
                    ["requests"] = new JsonArray([.. chunk.Select(i => (JsonNode)new JsonObject { ["id"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture), ["method"] = "GET", ["url"] = urls[i] })]),
                };
                using var answer = await SendJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Post, $"{Api}/$batch") { Content = JsonContent.Create(body) }, cancellationToken);
                if (!answer.RootElement.TryGetProperty("responses", out var responses) || responses.ValueKind != JsonValueKind.Array)
                {
                    throw new ProviderException(ProviderErrorKind.Transient, "Microsoft Graph answered a $batch without responses.");
                }
                foreach (var response in responses.EnumerateArray())
                {
                    if (!int.TryParse(GraphMapper.String(response, "id"), System.Globalization.CultureInfo.InvariantCulture, out var index) || !chunk.Contains(index))
                    {
                        continue;
                    }
                    var status = response.TryGetProperty("status", out var s) && s.TryGetInt32(out var code) ? code : 0;
                    if (status is >= 200 and < 300)
                    {
                        results[index] = await ValuesWithNextLinksAsync(context, response.GetProperty("body"), cancellationToken);
                    }
                    else if (status is 429 or 408 or >= 500)
                    {
                        retry.Add(index);
                        if (GraphMapper.String(response, "headers", "Retry-After") is { } seconds
                            && double.TryParse(seconds, System.Globalization.CultureInfo.InvariantCulture, out var delay))
                        {
                            var named = TimeSpan.FromSeconds(delay);
                            wait = wait is { } w && w > named ? w : named;
                        }
                    }
                    else if (status == 401)
                    {
                        throw new ProviderException(ProviderErrorKind.Unauthorized, "Microsoft Graph refused the credential inside a $batch.") { HttpStatus = 401 };
                    }
                    // 403/404: the item vanished or its permissions are not visible to this user.
                }
            }
            if (retry.Count == 0)
            {
                break;
            }
            var pause = wait ?? Http.Options.BaseBackoff * Math.Pow(2, attempt - 1);
            if (attempt >= Http.Options.MaxAttempts || pause > Http.Options.MaxInlineWait)
            {
                throw new ProviderException(ProviderErrorKind.RateLimited, $"Microsoft Graph kept throttling {retry.Count} $batch sub-requests.", pause) { HttpStatus = 429 };
            }
            await Task.Delay(pause, _time, cancellationToken);
            pending = retry;
        }
        return results;
    }

    private async Task<JsonElement> ValuesWithNextLinksAsync(ConnectorContext context, JsonElement body, CancellationToken cancellationToken)
    {
        var next = NextLink(body);
        if (next is null)
        {
            return body.TryGetProperty("value", out var value) ? value.Clone() : JsonDocument.Parse("[]").RootElement.Clone();
        }
        var all = new JsonArray([.. Values(body).Select(v => JsonNode.Parse(v.GetRawText()))]);
        await foreach (var value in ListAsync(context, next, cancellationToken))
        {
            all.Add(JsonNode.Parse(value.GetRawText()));
        }
        return JsonSerializer.SerializeToElement(all);
    }

    private async Task<JsonDocument> UploadInSessionAsync(
        ConnectorContext context, string itemPath, FileUpload upload, ReadOnlyMemory<byte> prefix, Stream rest, CancellationToken cancellationToken)
    {
        // Content-Range needs the total size. Without a declared length the body is spooled to a temporary file first.
        FileStream? spool = null;
        var source = rest;
        long total;
        if (upload.Length is { } declared)
        {
            total = declared;
        }
        else
        {
            spool = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 81920,
                FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            await spool.WriteAsync(prefix, cancellationToken);
            await rest.CopyToAsync(spool, cancellationToken);
            total = spool.Length;
            spool.Position = 0;
            source = spool;
            prefix = ReadOnlyMemory<byte>.Empty;
        }

        await using (spool)
        {
            var sessionBody = new JsonObject
            {
                ["item"] = new JsonObject { ["@microsoft.graph.conflictBehavior"] = "rename", ["name"] = upload.Name, ["fileSize"] = total },
            };
            using var session = await SendJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Post, $"{itemPath}/createUploadSession")
            {
                Content = JsonContent.Create(sessionBody),
            }, cancellationToken);
            var uploadUrl = GraphMapper.String(session.RootElement, "uploadUrl")
                ?? throw new ProviderException(ProviderErrorKind.Transient, "Microsoft Graph created an upload session without an uploadUrl.");
            try
            {
                var chunk = new byte[Options.UploadChunkSize];
                long offset = 0;
                while (true)
                {
                    var filled = 0;
                    if (!prefix.IsEmpty)
                    {
                        var take = Math.Min(prefix.Length, chunk.Length);
                        prefix[..take].CopyTo(chunk);
                        prefix = prefix[take..];
                        filled = take;
                    }
                    filled += await source.ReadAtLeastAsync(chunk.AsMemory(filled), chunk.Length - filled, throwOnEndOfStream: false, cancellationToken);
                    if (offset + filled > total || (filled < chunk.Length && offset + filled != total))
                    {
                        throw new ProviderException(ProviderErrorKind.InvalidRequest,
                            $"The upload body has {(offset + filled > total ? "more" : "fewer")} bytes than its declared length {total}.");
                    }
                    var from = offset;
                    var count = filled;
                    using var response = await Http.SendAsync(context, () =>
                    {
                        var content = Octets(new ByteArrayContent(chunk, 0, count));
                        content.Headers.ContentRange = new ContentRangeHeaderValue(from, from + count - 1, total);
                        return Preauthorized(new HttpRequestMessage(HttpMethod.Put, uploadUrl) { Content = content });
                    }, cancellationToken);
                    offset += count;
                    if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created)
                    {
                        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                        return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
                    }
                    if (offset >= total)
                    {
                        throw new ProviderException(ProviderErrorKind.Transient, $"Microsoft Graph answered the last upload fragment with HTTP {(int)response.StatusCode} instead of the item.");
                    }
                }
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                await CancelSessionAsync(context, uploadUrl);
                throw;
            }
        }
    }

    private async Task CancelSessionAsync(ConnectorContext context, string uploadUrl)
    {
        try
        {
            using var _ = await Http.SendAsync(context, () => Preauthorized(new HttpRequestMessage(HttpMethod.Delete, uploadUrl)), CancellationToken.None);
        }
        catch (ProviderException)
        {
            // Best effort: an abandoned session expires on its own.
        }
    }

    private static void CheckLength(FileUpload upload, long actual)
    {
        if (upload.Length is { } declared && declared != actual)
        {
            throw new ProviderException(ProviderErrorKind.InvalidRequest, $"The upload body has {actual} bytes but its declared length is {declared}.");
        }
    }

    /// <summary>Where a new item goes: into the given folder, or the root of the given (or default) drive.</summary>
    private async Task<(string DriveId, string ParentId)> ParentAsync(ConnectorContext context, string? folderRemoteId, string? driveRemoteId, CancellationToken cancellationToken)
    {
        if (folderRemoteId is not null)
        {
            var folder = GraphItemId.Parse(folderRemoteId);
            return (folder.DriveId, folder.ItemId);
        }
        if (driveRemoteId is not null)
        {
            return (driveRemoteId, "root");
        }
        using var drive = await GetJsonAsync(context, $"{Api}{DefaultDrivePath}?$select=id", cancellationToken);
        return (GraphMapper.String(drive.RootElement, "id") ?? throw new ProviderException(ProviderErrorKind.Transient, "Microsoft Graph sent a drive without an id."), "root");
    }

    /// <summary>Maps an item Graph just created, with its permissions (one more call, as a sync would read them).</summary>
    private async Task<T> MapWrittenAsync<T>(ConnectorContext context, JsonElement item, string driveId, bool atRoot, CancellationToken cancellationToken) where T : RemoteRecord
    {
        var itemId = GraphMapper.String(item, "id") ?? throw new ProviderException(ProviderErrorKind.Transient, "Microsoft Graph returned an item without an id.");
        var rootId = atRoot ? GraphMapper.String(item, "parentReference", "id") ?? "" : "";
        var permissions = await BatchGetValuesAsync(context, [$"/drives/{Escape(driveId)}/items/{Escape(itemId)}/permissions"], cancellationToken);
        return GraphMapper.MapItem(item, driveId, rootId, permissions[0]) is GraphItemUpsert { Record: T record }
            ? record
            : throw new ProviderException(ProviderErrorKind.Transient, $"Microsoft Graph returned an item that is not a {typeof(T).Name[6..].ToLowerInvariant()}.");
    }

    private string Top(char separator) => Options.PageSize is { } top ? $"{separator}$top={top}" : "";

    private static List<JsonElement> Values(JsonElement page) =>
        page.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray()] : [];

    private static string? NextLink(JsonElement page) => GraphMapper.String(page, "@odata.nextLink");

    private static HttpRequestMessage Preauthorized(HttpRequestMessage request)
    {
        request.Options.Set(Preauthenticated, true);
        return request;
    }

    private static HttpRequestMessage WithRange(HttpRequestMessage request, ByteRange? range)
    {
        if (range is not null)
        {
            request.Headers.Range = new RangeHeaderValue(range.From, range.To);
        }
        return request;
    }

    private static HttpContent Octets(HttpContent content)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private static async Task SkipAsync(Stream body, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (count > 0)
        {
            var read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken);
            if (read == 0)
            {
                return;
            }
            count -= read;
        }
    }
}
