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

    internal static async Task<JsonPageResult<GroupDto>> ListAsync(
        HttpRequest request, TenantContext tenant, TributaryDbContext db, SqliteRenderedPages sqlitePages, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.Read(query, Expandable);
        query.ThrowIfInvalid();

        var filters = common.Filters(tenant, StoreMapper.GroupModel);
        if (RenderedPages.Serve(common))
        {
            return await RenderedPages.ListAsync<StoredGroup, GroupRow, GroupDto>(db, sqlitePages, filters, tenant.RequiredLinkedAccountId,
                cursors, "groups:created_at", common, byModified: false, descending: false,
                CommonModelRows.Group(remoteData: false), (w, r) => CommonModelJson.WriteGroup(w, r, remoteData: false), ct);
        }
        var groups = ListFilter.Apply(db.Groups.AsNoTracking(), filters);
        var remoteData = common.IncludeRemoteData;
        var page = await groups.ToKeysetPageAsync(cursors, "groups:created_at", common.Cursor, common.PageSize,
            CommonModelOrder<StoredGroup, GroupRow>.ByCreated, descending: false, CommonModelRows.Group(remoteData), ct);
        var (users, children) = await MembersAsync(db, page.Rows, common, ct);
        var rows = page.Rows;
        return new JsonPageResult<GroupDto>(page.Next, page.Previous, rows.Count,
            (writer, i) => CommonModelJson.WriteGroup(writer, rows[i], remoteData, users, children));
    }

    internal static async Task<JsonModelResult<GroupDto>> RetrieveAsync(string id, HttpRequest request, TributaryDbContext db, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.ReadRetrieve(query, Expandable);
        query.ThrowIfInvalid();
        if (!Guid.TryParse(id, out var groupId))
        {
            throw ApiException.NotFound();
        }
        var group = await db.Groups.AsNoTracking().Where(g => g.Id == groupId).Select(CommonModelRows.Group(common.IncludeRemoteData))
            .SingleOrDefaultAsync(ct) ?? throw ApiException.NotFound();
        var (users, children) = await MembersAsync(db, [group], common, ct);
        return new JsonModelResult<GroupDto>(writer => CommonModelJson.WriteGroup(writer, group, common.IncludeRemoteData, users, children));
    }

    /// <summary>
    /// One query per expanded relation for the whole page, through the same tenant filter. A member
    /// the store does not hold (not synced yet, or another account's id) stays an id.
    /// </summary>
    private static async Task<(Dictionary<Guid, UserRow>? Users, Dictionary<Guid, GroupRow>? Children)> MembersAsync(
        TributaryDbContext db, List<GroupRow> groups, CommonModelQuery common, CancellationToken ct)
    {
        Dictionary<Guid, UserRow>? users = null;
        Dictionary<Guid, GroupRow>? children = null;
        if (common.Expand.Contains("users"))
        {
            var ids = groups.SelectMany(g => CommonModelJson.ReadIds(g.UsersJson)).Distinct().ToList();
            users = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).Select(CommonModelRows.User(common.IncludeRemoteData))
                .ToDictionaryAsync(u => u.Id, ct);
        }
        if (common.Expand.Contains("child_groups"))
        {
            var ids = groups.SelectMany(g => CommonModelJson.ReadIds(g.ChildGroupsJson)).Distinct().ToList();
            children = await db.Groups.AsNoTracking().Where(g => ids.Contains(g.Id)).Select(CommonModelRows.Group(common.IncludeRemoteData))
                .ToDictionaryAsync(g => g.Id, ct);
        }
        return (users, children);
    }
}
