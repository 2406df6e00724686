using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Http;

namespace Tributary.Integrations.Providers.WebDav;

/// <summary>WebDAV settings (<c>Integrations:webdav:*</c>).</summary>
public sealed record WebDavOptions
{
    /// <summary>Records per change page (a page never splits one folder's listing).</summary>
    public int PageSize { get; init; } = 500;
}

/// <summary>
/// WebDAV (RFC 4918): Nextcloud, ownCloud, rclone, Apache mod_dav, any server that speaks it. The
/// credential is the form Link collected (<c>{url, username, password}</c>, HTTP Basic). WebDAV has
/// no change feed, no stable ids and no delete signal, so every read walks the tree breadth first
/// with <c>PROPFIND Depth: 1</c> and reports a full snapshot: the platform marks rows absent from a
/// completed snapshot as deleted. The cursor is the list of folders still to walk, so a read
/// resumes where it stopped. Uploads stream in one PUT (plain WebDAV has no chunked upload).
/// </summary>
public sealed class WebDavConnector : IFileStorageConnector
{
    private const string FinalCursor = "done";
    private const string WalkPrefix = "walk:";
    private static readonly HttpMethod Propfind = new("PROPFIND");
    private static readonly HttpMethod Mkcol = new("MKCOL");
    private readonly ProviderHttp _http;
    private readonly WebDavOptions _options;

    public WebDavConnector(HttpClient client, TimeProvider time, WebDavOptions options)
    {
        _options = options;
        _http = new ProviderHttp(client, time, new ProviderHttpOptions { Provider = "WebDAV", Authorize = Basic, Classify = Classify });
    }

    public async IAsyncEnumerable<ChangePage> ReadChangesAsync(ConnectorContext context, string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var account = Account.From(context);
        var pending = new Queue<string>(cursor is not null && cursor.StartsWith(WalkPrefix, StringComparison.Ordinal) ? DecodeCursor(cursor) : ["/"]);
        var records = new List<RemoteRecord>();
        if (pending.Count == 1 && pending.Peek() == "/")
        {
            records.Add(new RemoteDrive(account.DriveId, account.DriveName, account.BaseUrl, null));
            records.Add(new RemoteUser(account.Username, account.Username, account.Username.Contains('@', StringComparison.Ordinal) ? account.Username : null, IsMe: true));
        }
        while (pending.Count > 0)
        {
            var folder = pending.Dequeue();
            foreach (var entry in await ListAsync(context, account, folder, depth: "1", cancellationToken))
            {
                if (entry.Path == folder || entry.Path == "/")
                {
                    continue;
                }
                if (entry.IsCollection)
                {
                    records.Add(WebDavMapper.ToFolder(entry, account.DriveId, account.BaseUrl));
                    pending.Enqueue(entry.Path);
                }
                else
                {
                    records.Add(WebDavMapper.ToFile(entry, account.DriveId, account.BaseUrl));
                }
            }
            if (records.Count >= _options.PageSize || pending.Count == 0)
            {
                var last = pending.Count == 0;
                yield return new ChangePage(records, [], last ? FinalCursor : EncodeCursor(pending), last, IsFullSnapshot: true);
                records = [];
            }
        }
    }

    public async Task<RemoteContent> DownloadAsync(ConnectorContext context, string fileRemoteId, string? exportMimeType, ByteRange? range, CancellationToken cancellationToken)
    {
        if (exportMimeType is not null)
        {
            throw new ProviderException(ProviderErrorKind.InvalidRequest, "WebDAV files have no export formats; download them without mime_type.");
        }
        var account = Account.From(context);
        var response = await _http.SendAsync(context, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, WebDavMapper.Url(account.BaseUrl, fileRemoteId, folder: false));
            if (range is not null)
            {
                request.Headers.Range = new RangeHeaderValue(range.From, range.To);
            }
            return request;
        }, cancellationToken);
        var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var headers = response.Content.Headers;
        var served = response.StatusCode == HttpStatusCode.PartialContent && headers.ContentRange is { From: { } from } contentRange
            ? new ByteRange(from, contentRange.To)
            : null;
        return new RemoteContent(new ResponseBodyStream(response, body), headers.ContentType?.ToString() ?? "application/octet-stream",
            WebDavMapper.NameOf(fileRemoteId), headers.ContentLength, served is null ? headers.ContentLength : headers.ContentRange?.Length, served);
    }

    public async Task<UploadedFile> UploadAsync(ConnectorContext context, FileUpload upload, Stream content, CancellationToken cancellationToken)
    {
        var account = Account.From(context);
        var path = (upload.FolderRemoteId ?? "").TrimEnd('/') + "/" + upload.Name;
        var sent = false;
        using (await _http.SendAsync(context, () =>
        {
            // The body is a stream that can be read once: a retry after it was sent would upload nothing.
            if (sent)
            {
                throw new ProviderException(ProviderErrorKind.Transient, "The WebDAV server failed during the upload; the file was not stored.");
            }
            sent = true;
            var request = new HttpRequestMessage(HttpMethod.Put, WebDavMapper.Url(account.BaseUrl, path, folder: false)) { Content = new StreamContent(content) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(upload.MimeType ?? "application/octet-stream");
            if (upload.Length is { } length)
            {
                request.Content.Headers.ContentLength = length;
            }
            // Merge's POST /files creates; it never overwrites an existing file.
            request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Any);
            return request;
        }, cancellationToken))
        {
        }
        var entry = (await ListAsync(context, account, path, depth: "0", cancellationToken)).Single();
        return new UploadedFile(WebDavMapper.ToFile(entry, account.DriveId, account.BaseUrl));
    }

    public async Task<RemoteFolder> CreateFolderAsync(ConnectorContext context, string name, string? parentRemoteId, string? driveRemoteId, CancellationToken cancellationToken)
    {
        var account = Account.From(context);
        var path = (parentRemoteId ?? "").TrimEnd('/') + "/" + name;
        using (await _http.SendAsync(context, () => new HttpRequestMessage(Mkcol, WebDavMapper.Url(account.BaseUrl, path, folder: true)), cancellationToken))
        {
        }
        var entry = (await ListAsync(context, account, path, depth: "0", cancellationToken)).Single();
        return WebDavMapper.ToFolder(entry, account.DriveId, account.BaseUrl);
    }

    public IReadOnlyList<string> ExportFormats(string nativeMimeType) => [];

    private async Task<IReadOnlyList<DavEntry>> ListAsync(ConnectorContext context, Account account, string path, string depth, CancellationToken ct)
    {
        using var response = await _http.SendAsync(context, () =>
        {
            var request = new HttpRequestMessage(Propfind, WebDavMapper.Url(account.BaseUrl, path, folder: depth == "1"))
            {
                Content = new StringContent(WebDavMapper.PropfindBody, Encoding.UTF8, "application/xml"),
            };
            request.Headers.Add("Depth", depth);
            return request;
        }, ct);
        if (response.StatusCode != HttpStatusCode.MultiStatus)
        {
            throw new ProviderException(ProviderErrorKind.InvalidRequest, $"The server answered PROPFIND {path} with HTTP {(int)response.StatusCode}, not 207: is the URL a WebDAV folder?");
        }
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        XDocument document;
        try
        {
            using var reader = XmlReader.Create(body, new XmlReaderSettings { Async = true, DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            document = await XDocument.LoadAsync(reader, LoadOptions.None, ct);
        }
        catch (XmlException e)
        {
            throw new ProviderException(ProviderErrorKind.Transient, $"The server's PROPFIND answer for {path} is not valid XML: {e.Message}", inner: e);
        }
        return WebDavMapper.ParseMultistatus(document, account.BasePath);
    }

    private static ProviderErrorKind? Classify(ProviderErrorResponse error) => (int)error.Status switch
    {
        405 or 409 or 412 or 507 => ProviderErrorKind.InvalidRequest,
        _ => null,
    };

    private static void Basic(HttpRequestMessage request, JsonElement credential)
    {
        var username = credential.TryGetProperty("username", out var u) ? u.GetString() : null;
        var password = credential.TryGetProperty("password", out var p) ? p.GetString() : null;
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
    }

    private static string EncodeCursor(IEnumerable<string> pending) =>
        WalkPrefix + Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(pending.ToArray()));

    private static string[] DecodeCursor(string cursor)
    {
        try
        {
            return JsonSerializer.Deserialize<string[]>(Convert.FromBase64String(cursor[WalkPrefix.Length..])) ?? ["/"];
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return ["/"];
        }
    }

    /// <summary>The account as its credential describes it.</summary>
    private sealed record Account(string BaseUrl, string BasePath, string Username, string DriveId, string DriveName)
    {
        public static Account From(ConnectorContext context)
        {
            var credential = context.Credential;
            var url = credential.TryGetProperty("url", out var u) ? u.GetString() : null;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            {
                throw new ProviderException(ProviderErrorKind.Unauthorized, "The WebDAV credential has no valid URL; relink the account.");
            }
            var baseUrl = uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/";
            var username = credential.TryGetProperty("username", out var n) ? n.GetString() ?? "" : "";
            return new Account(baseUrl, new Uri(baseUrl).AbsolutePath, username, baseUrl, $"{uri.Host}{uri.AbsolutePath.TrimEnd('/')}");
        }
    }
}
