using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Sync;

namespace Tributary.Server.FileStorage.Files;

internal static class FilesEndpoints
{
    public static readonly IReadOnlyList<string> Expandable = ["drive", "folder", "permissions"];

    public static RouteGroupBuilder MapFiles(this RouteGroupBuilder fileStorage)
    {
        fileStorage.MapGet("/files", ListAsync).WithName("ListFiles").WithTags("Files")
            .WithSummary("List the account's files")
            .WithDescription("folder_id=null lists the root; drive_id=null lists files outside any drive; mime_type takes a comma list.");
        fileStorage.MapGet("/files/{id}", RetrieveAsync).WithName("RetrieveFile").WithTags("Files")
            .WithSummary("Retrieve a file");
        return fileStorage;
    }

    internal static async Task<JsonPageResult<FileDto>> ListAsync(
        HttpRequest request, TenantContext tenant, TributaryDbContext db, SqliteRenderedPages sqlitePages, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.Read(query, Expandable);
        var drive = ReferenceFilter.Read(query, "drive_id");
        var folder = ReferenceFilter.Read(query, "folder_id");
        var mimeTypes = query.List("mime_type");
        var name = query.String("name", 254);
        var remoteCreatedAfter = query.DateTime("remote_created_after");
        var remoteCreatedBefore = query.DateTime("remote_created_before");
        var order = ListOrder.Read(query);
        query.ThrowIfInvalid();

        var filters = common.Filters(tenant, StoreMapper.FileModel);
        if (drive.Present)
        {
            filters.Add(ListFilter.Equal(nameof(StoredFile.DriveId), drive.Id));
        }
        if (folder.Present)
        {
            filters.Add(ListFilter.Equal(nameof(StoredFile.FolderId), folder.Id));
        }
        if (mimeTypes.Count > 0)
        {
            filters.Add(ListFilter.In(nameof(StoredFile.MimeType), mimeTypes));
        }
        if (name is not null)
        {
            filters.Add(ListFilter.Equal(nameof(StoredFile.Name), name));
        }
        if (remoteCreatedAfter is { } rca)
        {
            filters.Add(ListFilter.After(nameof(StoredFile.RemoteCreatedAt), rca));
        }
        if (remoteCreatedBefore is { } rcb)
        {
            filters.Add(ListFilter.Before(nameof(StoredFile.RemoteCreatedAt), rcb));
        }

        if (RenderedPages.Serve(common))
        {
            return await RenderedPages.ListAsync<StoredFile, FileRow, FileDto>(db, sqlitePages, filters, tenant.RequiredLinkedAccountId,
                cursors, $"files:{order.Name}", common, order.ByModified, order.Descending,
                CommonModelRows.File(remoteData: false), (w, f) => CommonModelJson.WriteFile(w, f, remoteData: false), ct);
        }
        var files = ListFilter.Apply(db.Files.AsNoTracking(), filters);
        var remoteData = common.IncludeRemoteData;
        var page = await files.ToKeysetPageAsync(cursors, $"files:{order.Name}", common.Cursor, common.PageSize,
            CommonModelOrder<StoredFile, FileRow>.By(order.ByModified), order.Descending, CommonModelRows.File(remoteData), ct);
        var related = await RelatedAsync(db, page.Rows, common, ct);
        var rows = page.Rows;
        return new JsonPageResult<FileDto>(page.Next, page.Previous, rows.Count,
            (writer, i) => related.Write(writer, rows[i], remoteData));
    }

    internal static async Task<JsonModelResult<FileDto>> RetrieveAsync(string id, HttpRequest request, TributaryDbContext db, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var expand = query.Expand(Expandable);
        var remoteData = query.Bool("include_remote_data") ?? false;
        query.Bool("include_shell_data");
        query.ThrowIfInvalid();
        var common = new CommonModelQuery(null, 1, null, null, null, null, true, remoteData, false, null, expand);
        if (!Guid.TryParse(id, out var fileId))
        {
            throw ApiException.NotFound();
        }
        var file = await db.Files.AsNoTracking().Where(f => f.Id == fileId).Select(CommonModelRows.File(common.IncludeRemoteData))
            .SingleOrDefaultAsync(ct) ?? throw ApiException.NotFound();
        var related = await RelatedAsync(db, [file], common, ct);
        return new JsonModelResult<FileDto>(writer => related.Write(writer, file, common.IncludeRemoteData));
    }

    /// <summary>One query per expanded relation for the whole page, through the same tenant filter.</summary>
    private static async Task<Related> RelatedAsync(TributaryDbContext db, List<FileRow> files, CommonModelQuery common, CancellationToken ct)
    {
        Dictionary<Guid, FolderRow>? folders = null;
        Dictionary<Guid, DriveRow>? drives = null;
        if (common.Expand.Contains("folder"))
        {
            var ids = files.Where(f => f.FolderId is not null).Select(f => f.FolderId!.Value).Distinct().ToList();
            folders = await db.Folders.AsNoTracking().Where(f => ids.Contains(f.Id)).Select(CommonModelRows.Folder(common.IncludeRemoteData))
                .ToDictionaryAsync(f => f.Id, ct);
        }
        if (common.Expand.Contains("drive"))
        {
            var ids = files.Where(f => f.DriveId is not null).Select(f => f.DriveId!.Value).Distinct().ToList();
            drives = await db.Drives.AsNoTracking().Where(d => ids.Contains(d.Id)).Select(CommonModelRows.Drive(common.IncludeRemoteData))
                .ToDictionaryAsync(d => d.Id, ct);
        }
        return new Related(folders, drives);
    }

    private sealed record Related(Dictionary<Guid, FolderRow>? Folders, Dictionary<Guid, DriveRow>? Drives)
    {
        public void Write(Utf8JsonWriter writer, FileRow file, bool remoteData) => CommonModelJson.WriteFile(writer, file, remoteData,
            file.FolderId is { } folderId && Folders is not null && Folders.TryGetValue(folderId, out var folder) ? folder : null,
            file.DriveId is { } driveId && Drives is not null && Drives.TryGetValue(driveId, out var drive) ? drive : null);
    }
}
