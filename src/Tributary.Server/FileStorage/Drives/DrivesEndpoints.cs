using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
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

    internal static async Task<Ok<Paginated<DriveDto>>> ListAsync(
        HttpRequest request, TenantContext tenant, TributaryDbContext db, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.Read(query, Expandable);
        var name = query.String("name", 254);
        query.ThrowIfInvalid();

        var drives = common.Apply(db.Drives.AsNoTracking(), tenant, StoreMapper.DriveModel);
        if (name is not null)
        {
            drives = drives.Where(d => d.Name == name);
        }

        var page = await drives.ToPageAsync(cursors, "drives:created_at", common.Cursor, common.PageSize,
            d => d.CreatedAt, d => d.Id, descending: false, d => CommonModelDtos.Drive(d, common.IncludeRemoteData), ct);
        return TypedResults.Ok(page);
    }

    internal static async Task<Ok<DriveDto>> RetrieveAsync(string id, HttpRequest request, TributaryDbContext db, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.ReadRetrieve(query, Expandable);
        query.ThrowIfInvalid();
        if (!Guid.TryParse(id, out var driveId))
        {
            throw ApiException.NotFound();
        }
        var drive = await db.Drives.AsNoTracking().SingleOrDefaultAsync(d => d.Id == driveId, ct) ?? throw ApiException.NotFound();
        return TypedResults.Ok(CommonModelDtos.Drive(drive, common.IncludeRemoteData));
    }
}
