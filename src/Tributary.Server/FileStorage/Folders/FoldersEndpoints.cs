using System.Text.Json;
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

    internal static async Task<JsonPageResult<FolderDto>> ListAsync(
        HttpRequest request, TenantContext tenant, TributaryDbContext db, SqliteRenderedPages sqlitePages, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.Read(query, Expandable);
        var drive = ReferenceFilter.Read(query, "drive_id");
        var parent = ReferenceFilter.Read(query, "parent_folder_id");
        var name = query.String("name", 254);
        query.ThrowIfInvalid();

        var filters = common.Filters(tenant, StoreMapper.FolderModel);
        if (drive.Present)
        {
            filters.Add(ListFilter.Equal(nameof(StoredFolder.DriveId), drive.Id));
        }
        if (parent.Present)
        {
            filters.Add(ListFilter.Equal(nameof(StoredFolder.ParentFolderId), parent.Id));
        }
        if (name is not null)
        {
            filters.Add(ListFilter.Equal(nameof(StoredFolder.Name), name));
        }

        if (RenderedPages.Serve(common))
        {
            return await RenderedPages.ListAsync<StoredFolder, FolderRow, FolderDto>(db, sqlitePages, filters, tenant.RequiredLinkedAccountId,
                cursors, "folders:created_at", common, byModified: false, descending: false,
                CommonModelRows.Folder(remoteData: false), (w, f) => CommonModelJson.WriteFolder(w, f, remoteData: false), ct);
        }
        var folders = ListFilter.Apply(db.Folders.AsNoTracking(), filters);
        var remoteData = common.IncludeRemoteData;
        var page = await folders.ToKeysetPageAsync(cursors, "folders:created_at", common.Cursor, common.PageSize,
            CommonModelOrder<StoredFolder, FolderRow>.ByCreated, descending: false, CommonModelRows.Folder(remoteData), ct);
        var related = await RelatedAsync(db, page.Rows, common, ct);
        var rows = page.Rows;
        return new JsonPageResult<FolderDto>(page.Next, page.Previous, rows.Count,
            (writer, i) => related.Write(writer, rows[i], remoteData));
    }

    internal static async Task<JsonModelResult<FolderDto>> RetrieveAsync(string id, HttpRequest request, TributaryDbContext db, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.ReadRetrieve(query, Expandable);
        query.ThrowIfInvalid();
        if (!Guid.TryParse(id, out var folderId))
        {
            throw ApiException.NotFound();
        }
        var folder = await db.Folders.AsNoTracking().Where(f => f.Id == folderId).Select(CommonModelRows.Folder(common.IncludeRemoteData))
            .SingleOrDefaultAsync(ct) ?? throw ApiException.NotFound();
        var related = await RelatedAsync(db, [folder], common, ct);
        return new JsonModelResult<FolderDto>(writer => related.Write(writer, folder, common.IncludeRemoteData));
    }

    /// <summary>One query per expanded relation for the whole page, through the same tenant filter.</summary>
    private static async Task<Related> RelatedAsync(TributaryDbContext db, List<FolderRow> folders, CommonModelQuery common, CancellationToken ct)
    {
        Dictionary<Guid, FolderRow>? parents = null;
        Dictionary<Guid, DriveRow>? drives = null;
        if (common.Expand.Contains("parent_folder"))
        {
            var ids = folders.Where(f => f.ParentFolderId is not null).Select(f => f.ParentFolderId!.Value).Distinct().ToList();
            parents = await db.Folders.AsNoTracking().Where(f => ids.Contains(f.Id)).Select(CommonModelRows.Folder(common.IncludeRemoteData))
                .ToDictionaryAsync(f => f.Id, ct);
        }
        if (common.Expand.Contains("drive"))
        {
            var ids = folders.Where(f => f.DriveId is not null).Select(f => f.DriveId!.Value).Distinct().ToList();
            drives = await db.Drives.AsNoTracking().Where(d => ids.Contains(d.Id)).Select(CommonModelRows.Drive(common.IncludeRemoteData))
                .ToDictionaryAsync(d => d.Id, ct);
        }
        return new Related(parents, drives);
    }

    private sealed record Related(Dictionary<Guid, FolderRow>? Parents, Dictionary<Guid, DriveRow>? Drives)
    {
        public void Write(Utf8JsonWriter writer, FolderRow folder, bool remoteData) => CommonModelJson.WriteFolder(writer, folder, remoteData,
            folder.ParentFolderId is { } parentId && Parents is not null && Parents.TryGetValue(parentId, out var parent) ? parent : null,
            folder.DriveId is { } driveId && Drives is not null && Drives.TryGetValue(driveId, out var drive) ? drive : null);
    }
}
