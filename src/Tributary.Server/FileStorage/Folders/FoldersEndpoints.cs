using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Sync;

namespace Tributary.Server.FileStorage.Folders;

internal static class FoldersEndpoints
{
    /// <summary>
    /// Merge's folder relations. <c>permissions</c> is accepted and changes nothing: permissions are
    /// always objects (see the reference, (d) "Permission representation").
    /// </summary>
    public static readonly IReadOnlyList<string> Expandable = ["drive", "parent_folder", "permissions"];

    public static RouteGroupBuilder MapFolders(this RouteGroupBuilder fileStorage)
    {
        fileStorage.MapGet("/folders", ListAsync).WithName("ListFolders").WithTags("Folders")
            .WithSummary("List the account's folders")
            .WithDescription("parent_folder_id=null lists the root folders; drive_id=null lists folders outside any drive.");
        fileStorage.MapGet("/folders/{id}", RetrieveAsync).WithName("RetrieveFolder").WithTags("Folders")
            .WithSummary("Retrieve a folder");
        return fileStorage;
    }

    internal static async Task<Ok<Paginated<FolderDto>>> ListAsync(
        HttpRequest request, TenantContext tenant, TributaryDbContext db, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.Read(query, Expandable);
        var drive = ReferenceFilter.Read(query, "drive_id");
        var parent = ReferenceFilter.Read(query, "parent_folder_id");
        var name = query.String("name", 254);
        query.ThrowIfInvalid();

        var folders = common.Apply(db.Folders.AsNoTracking(), tenant, StoreMapper.FolderModel);
        if (drive.Present)
        {
            folders = folders.Where(f => f.DriveId == drive.Id);
        }
        if (parent.Present)
        {
            folders = folders.Where(f => f.ParentFolderId == parent.Id);
        }
        if (name is not null)
        {
            folders = folders.Where(f => f.Name == name);
        }

        var page = await folders.ToPageAsync(cursors, "folders:created_at", common.Cursor, common.PageSize,
            f => f.CreatedAt, f => f.Id, descending: false, f => f, ct);
        var results = await ToDtosAsync(db, page.Results, common, ct);
        return TypedResults.Ok(new Paginated<FolderDto>(page.Next, page.Previous, results));
    }

    internal static async Task<Ok<FolderDto>> RetrieveAsync(string id, HttpRequest request, TributaryDbContext db, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.ReadRetrieve(query, Expandable);
        query.ThrowIfInvalid();
        if (!Guid.TryParse(id, out var folderId))
        {
            throw ApiException.NotFound();
        }
        var folder = await db.Folders.AsNoTracking().SingleOrDefaultAsync(f => f.Id == folderId, ct) ?? throw ApiException.NotFound();
        var dtos = await ToDtosAsync(db, [folder], common, ct);
        return TypedResults.Ok(dtos[0]);
    }

    /// <summary>One query per expanded relation for the whole page, through the same tenant filter.</summary>
    private static async Task<List<FolderDto>> ToDtosAsync(TributaryDbContext db, IReadOnlyList<StoredFolder> folders, CommonModelQuery common, CancellationToken ct)
    {
        Dictionary<Guid, FolderDto> parents = [];
        Dictionary<Guid, DriveDto> drives = [];
        if (common.Expand.Contains("parent_folder"))
        {
            var ids = folders.Where(f => f.ParentFolderId is not null).Select(f => f.ParentFolderId!.Value).Distinct().ToList();
            parents = (await db.Folders.AsNoTracking().Where(f => ids.Contains(f.Id)).ToListAsync(ct))
                .ToDictionary(f => f.Id, f => CommonModelDtos.Folder(f, common.IncludeRemoteData));
        }
        if (common.Expand.Contains("drive"))
        {
            var ids = folders.Where(f => f.DriveId is not null).Select(f => f.DriveId!.Value).Distinct().ToList();
            drives = (await db.Drives.AsNoTracking().Where(d => ids.Contains(d.Id)).ToListAsync(ct))
                .ToDictionary(d => d.Id, d => CommonModelDtos.Drive(d, common.IncludeRemoteData));
        }
        return folders.Select(f => CommonModelDtos.Folder(f, common.IncludeRemoteData,
            f.ParentFolderId is { } parentId && parents.TryGetValue(parentId, out var parent) ? parent : null,
            f.DriveId is { } driveId && drives.TryGetValue(driveId, out var drive) ? drive : null)).ToList();
    }
}
