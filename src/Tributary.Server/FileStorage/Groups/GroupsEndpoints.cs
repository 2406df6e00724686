using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Sync;

namespace Tributary.Server.FileStorage.Groups;

internal static class GroupsEndpoints
{
    public static readonly IReadOnlyList<string> Expandable = ["child_groups", "users"];

    public static RouteGroupBuilder MapGroups(this RouteGroupBuilder fileStorage)
    {
        fileStorage.MapGet("/groups", ListAsync).WithName("ListGroups").WithTags("Groups")
            .WithSummary("List the account's groups")
            .WithDescription("expand=users,child_groups turns the id lists into objects.");
        fileStorage.MapGet("/groups/{id}", RetrieveAsync).WithName("RetrieveGroup").WithTags("Groups")
            .WithSummary("Retrieve a group");
        return fileStorage;
    }

    internal static async Task<Ok<Paginated<GroupDto>>> ListAsync(
        HttpRequest request, TenantContext tenant, TributaryDbContext db, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.Read(query, Expandable);
        query.ThrowIfInvalid();

        var groups = common.Apply(db.Groups.AsNoTracking(), tenant, StoreMapper.GroupModel);
        var page = await groups.ToPageAsync(cursors, "groups:created_at", common.Cursor, common.PageSize,
            g => g.CreatedAt, g => g.Id, descending: false, g => g, ct);
        var results = await ToDtosAsync(db, page.Results, common, ct);
        return TypedResults.Ok(new Paginated<GroupDto>(page.Next, page.Previous, results));
    }

    internal static async Task<Ok<GroupDto>> RetrieveAsync(string id, HttpRequest request, TributaryDbContext db, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.ReadRetrieve(query, Expandable);
        query.ThrowIfInvalid();
        if (!Guid.TryParse(id, out var groupId))
        {
            throw ApiException.NotFound();
        }
        var group = await db.Groups.AsNoTracking().SingleOrDefaultAsync(g => g.Id == groupId, ct) ?? throw ApiException.NotFound();
        var dtos = await ToDtosAsync(db, [group], common, ct);
        return TypedResults.Ok(dtos[0]);
    }

    /// <summary>
    /// One query per expanded relation for the whole page, through the same tenant filter. A member
    /// the store does not hold (not synced yet, or another account's id) stays an id.
    /// </summary>
    private static async Task<List<GroupDto>> ToDtosAsync(TributaryDbContext db, IReadOnlyList<StoredGroup> groups, CommonModelQuery common, CancellationToken ct)
    {
        var members = groups.ToDictionary(g => g.Id, g => (Users: CommonModelDtos.IdList(g.UsersJson), Children: CommonModelDtos.IdList(g.ChildGroupsJson)));
        Dictionary<Guid, UserDto>? users = null;
        Dictionary<Guid, GroupDto>? children = null;
        if (common.Expand.Contains("users"))
        {
            var ids = members.Values.SelectMany(m => m.Users).Distinct().ToList();
            users = (await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).ToListAsync(ct))
                .ToDictionary(u => u.Id, u => CommonModelDtos.User(u, common.IncludeRemoteData));
        }
        if (common.Expand.Contains("child_groups"))
        {
            var ids = members.Values.SelectMany(m => m.Children).Distinct().ToList();
            children = (await db.Groups.AsNoTracking().Where(g => ids.Contains(g.Id)).ToListAsync(ct))
                .ToDictionary(g => g.Id, g => CommonModelDtos.Group(g, common.IncludeRemoteData));
        }
        return groups.Select(g => CommonModelDtos.Group(g, common.IncludeRemoteData,
            users is null ? null : Expand(members[g.Id].Users, users),
            children is null ? null : Expand(members[g.Id].Children, children))).ToList();
    }

    private static List<object> Expand<T>(List<Guid> ids, Dictionary<Guid, T> loaded) where T : notnull =>
        ids.Select(id => loaded.TryGetValue(id, out var row) ? (object)row : id).ToList();
}
