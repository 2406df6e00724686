using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Sync;

namespace Tributary.Server.FileStorage.Users;

internal static class UsersEndpoints
{
    /// <summary>Users have no relations; any <c>expand</c> is a 400.</summary>
    public static readonly IReadOnlyList<string> Expandable = [];

    public static RouteGroupBuilder MapUsers(this RouteGroupBuilder fileStorage)
    {
        fileStorage.MapGet("/users", ListAsync).WithName("ListUsers").WithTags("Users")
            .WithSummary("List the account's users")
            .WithDescription("email_address matches exactly, ignoring case; is_me=true lists the user who linked the account.");
        fileStorage.MapGet("/users/{id}", RetrieveAsync).WithName("RetrieveUser").WithTags("Users")
            .WithSummary("Retrieve a user");
        return fileStorage;
    }

    internal static async Task<JsonPageResult<UserDto>> ListAsync(
        HttpRequest request, TenantContext tenant, TributaryDbContext db, SqliteRenderedPages sqlitePages, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.Read(query, Expandable);
        var email = query.String("email_address", 2000);
        // Merge's SDKs send is_me as a string; "true"/"false" is all it takes.
        var isMe = query.Bool("is_me");
        query.ThrowIfInvalid();

        var filters = common.Filters(tenant, StoreMapper.UserModel);
        if (email is not null)
        {
            filters.Add(ListFilter.Equal(nameof(StoredUser.NormalizedEmailAddress), email.ToLowerInvariant()));
        }
        if (isMe is { } me)
        {
            filters.Add(ListFilter.Equal(nameof(StoredUser.IsMe), me));
        }
        if (RenderedPages.Serve(common))
        {
            return await RenderedPages.ListAsync<StoredUser, UserRow, UserDto>(db, sqlitePages, filters, tenant.RequiredLinkedAccountId,
                cursors, "users:created_at", common, byModified: false, descending: false,
                CommonModelRows.User(remoteData: false), (w, r) => CommonModelJson.WriteUser(w, r, remoteData: false), ct);
        }
        var users = ListFilter.Apply(db.Users.AsNoTracking(), filters);
        var remoteData = common.IncludeRemoteData;
        var page = await users.ToKeysetPageAsync(cursors, "users:created_at", common.Cursor, common.PageSize,
            CommonModelOrder<StoredUser, UserRow>.ByCreated, descending: false, CommonModelRows.User(remoteData), ct);
        var rows = page.Rows;
        return new JsonPageResult<UserDto>(page.Next, page.Previous, rows.Count,
            (writer, i) => CommonModelJson.WriteUser(writer, rows[i], remoteData));
    }

    internal static async Task<JsonModelResult<UserDto>> RetrieveAsync(string id, HttpRequest request, TributaryDbContext db, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var common = CommonModelQuery.ReadRetrieve(query, Expandable);
        query.ThrowIfInvalid();
        if (!Guid.TryParse(id, out var userId))
        {
            throw ApiException.NotFound();
        }
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(CommonModelRows.User(common.IncludeRemoteData))
            .SingleOrDefaultAsync(ct) ?? throw ApiException.NotFound();
        return new JsonModelResult<UserDto>(writer => CommonModelJson.WriteUser(writer, user, common.IncludeRemoteData));
    }
}
