using Microsoft.AspNetCore.Http.HttpResults;
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

    internal static async Task<Ok<Paginated<FileDto>>> ListAsync(
        HttpRequest request, TenantContext tenant, TributaryDbContext db, CursorCodec cursors, CancellationToken ct)
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

        var files = common.Apply(db.Files.AsNoTracking(), tenant, StoreMapper.FileModel);
        if (drive.Present)
        {
            files = files.Where(f => f.DriveId == drive.Id);
        }
        if (folder.Present)
        {
            files = files.Where(f => f.FolderId == folder.Id);
        }
        if (mimeTypes.Count > 0)
        {
            files = files.Where(f => f.MimeType != null && mimeTypes.Contains(f.MimeType));
        }
        if (name is not null)
        {
            files = files.Where(f => f.Name == name);
        }
        if (remoteCreatedAfter is { } rca)
        {
            files = files.Where(f => f.RemoteCreatedAt > rca);
        }
        if (remoteCreatedBefore is { } rcb)
        {
            files = files.Where(f => f.RemoteCreatedAt < rcb);
        }

        var page = await files.ToPageAsync(cursors, $"files:{order.Name}", common.Cursor, common.PageSize,
            order.ByModified ? f => f.ModifiedAt : f => f.CreatedAt, f => f.Id, order.Descending, f => f, ct);
        var results = await ToDtosAsync(db, page.Results, common, ct);
        return TypedResults.Ok(new Paginated<FileDto>(page.Next, page.Previous, results));
    }

    internal static async Task<Ok<FileDto>> RetrieveAsync(string id, HttpRequest request, TributaryDbContext db, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var expand = query.Expand(Expandable);
        var remoteData = query.Bool("include_remote_data") ?? false;
        query.Bool("include_shell_data");
        query.ThrowIfInvalid();
        if (!Guid.TryParse(id, out var fileId))
        {
            throw ApiException.NotFound();
        }
        var file = await db.Files.AsNoTracking().SingleOrDefaultAsync(f => f.Id == fileId, ct) ?? throw ApiException.NotFound();
        var dtos = await ToDtosAsync(db, [file], new CommonModelQuery(null, 1, null, null, null, null, true, remoteData, false, null, expand), ct);
        return TypedResults.Ok(dtos[0]);
    }

    /// <summary>One query per expanded relation for the whole page, through the same tenant filter.</summary>
    private static async Task<List<FileDto>> ToDtosAsync(TributaryDbContext db, IReadOnlyList<StoredFile> files, CommonModelQuery common, CancellationToken ct)
    {
        Dictionary<Guid, FolderDto> folders = [];
        Dictionary<Guid, DriveDto> drives = [];
        if (common.Expand.Contains("folder"))
        {
            var ids = files.Where(f => f.FolderId is not null).Select(f => f.FolderId!.Value).Distinct().ToList();
            folders = (await db.Folders.AsNoTracking().Where(f => ids.Contains(f.Id)).ToListAsync(ct))
                .ToDictionary(f => f.Id, f => CommonModelDtos.Folder(f, common.IncludeRemoteData));
        }
        if (common.Expand.Contains("drive"))
        {
            var ids = files.Where(f => f.DriveId is not null).Select(f => f.DriveId!.Value).Distinct().ToList();
            drives = (await db.Drives.AsNoTracking().Where(d => ids.Contains(d.Id)).ToListAsync(ct))
                .ToDictionary(d => d.Id, d => CommonModelDtos.Drive(d, common.IncludeRemoteData));
        }
        return files.Select(f => CommonModelDtos.File(f, common.IncludeRemoteData,
            f.FolderId is { } folderId && folders.TryGetValue(folderId, out var folder) ? folder : null,
            f.DriveId is { } driveId && drives.TryGetValue(driveId, out var drive) ? drive : null)).ToList();
    }
}
