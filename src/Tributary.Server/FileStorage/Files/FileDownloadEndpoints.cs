using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.FileStorage.Live;
using Tributary.Server.Linking;
using Tributary.Server.Sync;
using Tributary.Data;

namespace Tributary.Server.FileStorage.Files;

/// <summary>Merge's <c>DownloadRequestMeta</c>: here the URL is a signed Tributary link, so <c>headers</c> is always empty.</summary>
internal sealed record DownloadRequestMetaDto(Guid Id, string Url, string Method, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// File downloads: the proxied bytes (<c>/files/{id}/download</c>), and "direct download" metadata
/// (<c>download/request-meta</c>) whose URL is a short-lived signed link on Tributary itself, served
/// without API key or account token and never carrying the provider's credential.
/// </summary>
internal static class FileDownloadEndpoints
{
    public const int MaxIds = 100;

    /// <summary>
    /// Maps the download endpoints into the account-token group. Routing prefers literal segments, so
    /// <c>files/download/request-meta</c> never reaches <c>files/{id}/download</c> and
    /// <c>files/{id}/download/request-meta</c> is its own, longer route (see the route tests).
    /// </summary>
    public static RouteGroupBuilder MapFileDownloads(this RouteGroupBuilder fileStorage)
    {
        fileStorage.MapGet("/files/download/request-meta", ListRequestMetaAsync).WithName("ListFileDownloadRequestMeta").WithTags("Files")
            .WithSummary("Signed download URLs for many files")
            .WithDescription("mime_types is a comma list in priority order: each file gets the first format it offers, else its default.");
        fileStorage.MapGet("/files/{id}/download/request-meta", RequestMetaAsync).WithName("RetrieveFileDownloadRequestMeta").WithTags("Files")
            .WithSummary("A signed download URL for a file")
            .WithDescription($"The URL serves the bytes without API key or account token for {DownloadLinks.Lifetime.TotalMinutes:0} minutes.");
        fileStorage.MapGet("/files/{id}/download", DownloadAsync).WithName("DownloadFile").WithTags("Files")
            .WithSummary("Download a file's bytes (streamed from the provider)")
            .WithDescription("mime_type exports a provider-native document; Range: bytes=a-b, a- and -n answer 206.");
        return fileStorage;
    }

    /// <summary>The signed links, outside the account-token group: the link itself is the credential.</summary>
    public static IEndpointRouteBuilder MapSignedDownloads(this IEndpointRouteBuilder app)
    {
        app.MapGet(DownloadLinks.RoutePrefix + "/{token}", SignedDownloadAsync).WithName("SignedFileDownload").WithTags("Files")
            .WithSummary("Download through a signed link from download/request-meta (no authentication)");
        return app;
    }

    internal static async Task DownloadAsync(string id, HttpContext http, TenantContext tenant, TributaryDbContext db, LiveConnectors live, CancellationToken ct)
    {
        var query = QueryReader.From(http.Request);
        var mimeType = query.String("mime_type", 255);
        query.Bool("include_shell_data");
        query.ThrowIfInvalid();
        var file = await FindAsync(db, id, ct);
        var account = await live.AccountAsync(tenant.RequiredLinkedAccountId, ct);
        await FileDownloads.ServeAsync(http, live, account, file, mimeType, ct);
    }

    internal static async Task<Ok<DownloadRequestMetaDto>> RequestMetaAsync(
        string id, HttpContext http, TenantContext tenant, TributaryDbContext db, LiveConnectors live, DownloadLinks links, CancellationToken ct)
    {
        var query = QueryReader.From(http.Request);
        var mimeType = query.String("mime_type", 255);
        query.ThrowIfInvalid();
        var file = await FindAsync(db, id, ct);
        var account = await live.AccountAsync(tenant.RequiredLinkedAccountId, ct);
        var format = FileDownloads.Format(live.ConnectorFor(account), file, mimeType);
        return TypedResults.Ok(Meta(http, links, account.Id, file.Id, format.ExportMimeType));
    }

    internal static async Task<Ok<Paginated<DownloadRequestMetaDto>>> ListRequestMetaAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, LiveConnectors live, DownloadLinks links, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(http.Request);
        var cursor = query.String("cursor");
        var pageSize = query.PageSize();
        var createdAfter = query.DateTime("created_after");
        var createdBefore = query.DateTime("created_before");
        var modifiedAfter = query.DateTime("modified_after");
        var modifiedBefore = query.DateTime("modified_before");
        var includeDeleted = query.Bool("include_deleted_data") ?? false;
        var ids = query.Guids("ids");
        if (ids.Count > MaxIds)
        {
            query.AddError("ids", $"Pass at most {MaxIds} ids (got {ids.Count}).");
        }
        var mimeTypes = query.List("mime_types");
        var order = ListOrder.Read(query);
        query.ThrowIfInvalid();

        var account = await live.AccountAsync(tenant.RequiredLinkedAccountId, ct);
        var connector = live.ConnectorFor(account);
        // The same created/modified/deleted filters as every common-model list.
        var window = new CommonModelQuery(cursor, pageSize, createdAfter, createdBefore, modifiedAfter, modifiedBefore,
            includeDeleted, IncludeRemoteData: false, IncludeShellData: false, RemoteId: null, Expand: new HashSet<string>());
        var files = window.Apply(db.Files.AsNoTracking(), tenant, StoreMapper.FileModel);
        if (ids.Count > 0)
        {
            files = files.Where(f => ids.Contains(f.Id));
        }

        var page = await files.ToPageAsync(cursors, $"files-download-request-meta:{order.Name}", cursor, pageSize,
            order.ByModified ? f => f.ModifiedAt : f => f.CreatedAt, f => f.Id, order.Descending,
            f => Meta(http, links, account.Id, f.Id, FileDownloads.Pick(connector, f, mimeTypes)), ct);
        return TypedResults.Ok(page);
    }

    internal static async Task SignedDownloadAsync(
        string token, HttpContext http, TributaryDbContext db, LiveConnectors live, DownloadLinks links, AccountRateLimiter rateLimiter, CancellationToken ct)
    {
        var link = links.Read(token);
        // No tenant is set on this request: the signature authorizes exactly this account and file.
        var account = await live.AccountAsync(link.LinkedAccountId, ct);
        var file = await db.Files.IgnoreQueryFilters().AsNoTracking()
            .SingleOrDefaultAsync(f => f.Id == link.FileId && f.LinkedAccountId == link.LinkedAccountId, ct)
            ?? throw ApiException.NotFound();
        await rateLimiter.AcquireAsync(http, account.OrganizationId, account.Id);
        http.Response.Headers.CacheControl = "private, no-store";
        // Served from Tributary's origin to browsers: never render it as a page.
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        await FileDownloads.ServeAsync(http, live, account, file, link.MimeType, ct);
    }

    private static DownloadRequestMetaDto Meta(HttpContext http, DownloadLinks links, Guid accountId, Guid fileId, string? mimeType) =>
        new(fileId, links.CreateUrl(PublicUrls.Base(http), accountId, fileId, mimeType), "GET", new Dictionary<string, string>());

    /// <summary>A file of the request's account (the tenant filter applies), or 404.</summary>
    private static async Task<StoredFile> FindAsync(TributaryDbContext db, string id, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var fileId))
        {
            throw ApiException.NotFound();
        }
        return await db.Files.AsNoTracking().SingleOrDefaultAsync(f => f.Id == fileId, ct) ?? throw ApiException.NotFound();
    }
}
