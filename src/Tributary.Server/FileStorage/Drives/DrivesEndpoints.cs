using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Sync;

namespace Tributary.Server.FileStorage.Drives;

internal static class DrivesEndpoints
{
    /// <summary>Drives have no relations; any <c>expand</c> is a 400.</summary>
    public static readonly IReadOnlyList<string> Expandable = [];

    public static RouteGroupBuilder MapDrives(this RouteGroupBuilder fileStorage)
    {
        fileStorage.MapGet("/drives", ListAsync).WithName("ListDrives").WithTags("Drives")
            .WithSummary("List the account's drives")
            .WithDescription("name matches exactly.");
        fileStorage.MapGet("/drives/{id}", RetrieveAsync).WithName("RetrieveDrive").WithTags("Drives")
            .WithSummary("Retrieve a drive");
        return fileStorage;
    }

    internal static async Task<JsonPageResult<DriveDto>> ListAsync(
        HttpRequest request, TenantContext tenant, TributaryDbContext db, SqliteRenderedPages sqlitePages, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.Read(query, Expandable);
        var name = query.String("name", 254);
        query.ThrowIfInvalid();

        var filters = common.Filters(tenant, StoreMapper.DriveModel);
        if (name is not null)
        {
            filters.Add(ListFilter.Equal(nameof(StoredDrive.Name), name));
        }
        if (RenderedPages.Serve(common))
        {
            return await RenderedPages.ListAsync<StoredDrive, DriveRow, DriveDto>(db, sqlitePages, filters, tenant.RequiredLinkedAccountId,
                cursors, "drives:created_at", common, byModified: false, descending: false,
                CommonModelRows.Drive(remoteData: false), (w, r) => CommonModelJson.WriteDrive(w, r, remoteData: false), ct);
        }
        var drives = ListFilter.Apply(db.Drives.AsNoTracking(), filters);
        var remoteData = common.IncludeRemoteData;
        var page = await drives.ToKeysetPageAsync(cursors, "drives:created_at", common.Cursor, common.PageSize,
            CommonModelOrder<StoredDrive, DriveRow>.ByCreated, descending: false, CommonModelRows.Drive(remoteData), ct);
        var rows = page.Rows;
        return new JsonPageResult<DriveDto>(page.Next, page.Previous, rows.Count,
            (writer, i) => CommonModelJson.WriteDrive(writer, rows[i], remoteData));
    }

    internal static async Task<JsonModelResult<DriveDto>> RetrieveAsync(string id, HttpRequest request, TributaryDbContext db, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.ReadRetrieve(query, Expandable);
        query.ThrowIfInvalid();
        if (!Guid.TryParse(id, out var driveId))
        {
            throw ApiException.NotFound();
        }
        var drive = await db.Drives.AsNoTracking().Where(d => d.Id == driveId).Select(CommonModelRows.Drive(common.IncludeRemoteData))
            .SingleOrDefaultAsync(ct) ?? throw ApiException.NotFound();
        return new JsonModelResult<DriveDto>(writer => CommonModelJson.WriteDrive(writer, drive, common.IncludeRemoteData));
    }
}
