using System.Text.Json;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;
using static Tributary.Server.Tests.FileStorage.FileStorageWorld;

namespace Tributary.Server.Tests.FileStorage.Groups;

public sealed class GroupsEndpointsTests
{
    private const string Path = "/api/filestorage/v1/groups";

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task List_CommonFilters_MatchTheStore(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.ListFiltersAsync<StoredGroup>(world, "groups");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Unexpanded_UsersAndChildGroupsAreIdLists(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var everyone = await world.GetJsonAsync($"{Path}/{world.Id(StoreMapper.GroupModel, "group-everyone")}");
        Assert.Equal("Everyone", everyone.GetProperty("name").GetString());
        Assert.Equal(new[] { "user-ada", "user-grace", "user-alan", "user-katherine" }.Select(u => world.Id(StoreMapper.UserModel, u)),
            everyone.GetProperty("users").EnumerateArray().Select(u => u.GetGuid()));
        Assert.Equal([world.Id(StoreMapper.GroupModel, "group-engineering")], everyone.GetProperty("child_groups").EnumerateArray().Select(g => g.GetGuid()));

        // No members: [] (the SDK requires users), never null.
        var empty = await world.GetJsonAsync($"{Path}/{world.Id(StoreMapper.GroupModel, "group-empty")}?expand=users,child_groups");
        Assert.Equal(JsonValueKind.Array, empty.GetProperty("users").ValueKind);
        Assert.Equal(0, empty.GetProperty("users").GetArrayLength());
        Assert.Equal(0, empty.GetProperty("child_groups").GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Expand_CommaListAndRepeatedKeys_GiveTheSameObjects(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var groups = (await world.RowsAsync<StoredGroup>()).ToDictionary(g => g.Id);
        var users = (await world.RowsAsync<StoredUser>()).ToDictionary(u => u.Id);

        var comma = await world.GetJsonAsync($"{Path}?expand=child_groups%2Cusers");
        var repeated = await world.GetJsonAsync($"{Path}?expand=users&expand=child_groups&expand=users");
        Assert.Equal(comma.ToString(), repeated.ToString());
        Assert.Equal(comma.ToString(), (await world.GetJsonAsync($"{Path}?expand=users,child_groups")).ToString());

        var results = comma.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(groups.Count, results.Count);
        foreach (var result in results)
        {
            var group = groups[result.GetProperty("id").GetGuid()];
            // Member order is the stored order; every member is an object.
            var expandedUsers = result.GetProperty("users").EnumerateArray().ToList();
            Assert.Equal(JsonSerializer.Deserialize<List<Guid>>(group.UsersJson), expandedUsers.Select(u => u.GetProperty("id").GetGuid()));
            Assert.All(expandedUsers, u => Assert.Equal(users[u.GetProperty("id").GetGuid()].EmailAddress, u.GetProperty("email_address").GetString()));
            var expandedChildren = result.GetProperty("child_groups").EnumerateArray().ToList();
            Assert.Equal(JsonSerializer.Deserialize<List<Guid>>(group.ChildGroupsJson), expandedChildren.Select(g => g.GetProperty("id").GetGuid()));
            foreach (var child in expandedChildren)
            {
                Assert.Equal(groups[child.GetProperty("id").GetGuid()].Name, child.GetProperty("name").GetString());
                // A child group is not expanded further.
                Assert.All(child.GetProperty("users").EnumerateArray(), u => Assert.Equal(JsonValueKind.String, u.ValueKind));
                Assert.All(child.GetProperty("child_groups").EnumerateArray(), g => Assert.Equal(JsonValueKind.String, g.ValueKind));
            }
        }
        // Katherine, deleted remotely, is still a member and still expands.
        var everyone = results.Single(r => r.GetProperty("remote_id").GetString() == "group-everyone");
        Assert.Equal(["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson"],
            everyone.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("name").GetString()));
        var ops = results.Single(r => r.GetProperty("remote_id").GetString() == "group-ops");
        Assert.Equal(["Engineering", "group-design"], ops.GetProperty("child_groups").EnumerateArray().Select(g => g.GetProperty("name").GetString()));

        // One relation only.
        var onlyUsers = await world.GetJsonAsync($"{Path}/{everyone.GetProperty("id").GetGuid()}?expand=users");
        Assert.Equal(JsonValueKind.Object, onlyUsers.GetProperty("users")[0].ValueKind);
        Assert.Equal(JsonValueKind.String, onlyUsers.GetProperty("child_groups")[0].ValueKind);
        var onlyChildren = await world.GetJsonAsync($"{Path}/{everyone.GetProperty("id").GetGuid()}?expand=child_groups&include_remote_data=true");
        Assert.Equal(JsonValueKind.String, onlyChildren.GetProperty("users")[0].ValueKind);
        Assert.Equal("Engineering", onlyChildren.GetProperty("child_groups")[0].GetProperty("name").GetString());
        Assert.Equal("/groups/group-engineering", onlyChildren.GetProperty("child_groups")[0].GetProperty("remote_data")[0].GetProperty("path").GetString());
        var retrieved = await world.GetJsonAsync($"{Path}/{everyone.GetProperty("id").GetGuid()}?expand=child_groups,users");
        Assert.Equal(everyone.ToString(), retrieved.ToString());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Expand_LoadsEachRelationOncePerPage(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.ExpandQueriesAsync(world, "groups", world.Id(StoreMapper.GroupModel, "group-everyone"), "users,child_groups", relations: 2);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Expand_AMemberNotInTheStore_StaysAnId(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var notSynced = world.Id(StoreMapper.UserModel, "user-not-synced-yet");
        var ada = world.Id(StoreMapper.UserModel, "user-ada");
        await world.InsertAsync(NewGroup(world.AccountId, "group-partial", [ada, notSynced], [world.Id(StoreMapper.GroupModel, "group-gone")], Base));

        var group = await world.GetJsonAsync($"{Path}/{world.Id(StoreMapper.GroupModel, "group-partial")}?expand=users,child_groups");
        Assert.Equal(ada, group.GetProperty("users")[0].GetProperty("id").GetGuid());
        Assert.Equal(notSynced, group.GetProperty("users")[1].GetGuid());
        Assert.Equal(world.Id(StoreMapper.GroupModel, "group-gone"), group.GetProperty("child_groups")[0].GetGuid());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task BadInput_IsA400NamingEachParameter(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.BadInputAsync(world, "groups");
        await world.AssertBadRequestAsync($"{Path}?expand=members", "expand");
        await world.AssertBadRequestAsync($"{Path}?expand=users,parent_group", "expand");
        await world.AssertBadRequestAsync($"{Path}/{world.Id(StoreMapper.GroupModel, "group-everyone")}?expand=user", "expand");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task IncludeRemoteData_FillsRemoteData(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.RemoteDataAsync<StoredGroup>(world, "groups");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Paging_PageSizeFive_CollectsEveryIdOnce(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.PagingAsync(world, "groups", (account, remoteId, at) => NewGroup(account, remoteId, [], [], at));
        // Expanded lists page the same way.
        var rows = await world.RowsAsync<StoredGroup>();
        Assert.Equal(Ordered(rows.Where(g => !g.RemoteWasDeleted), g => g.CreatedAt),
            await PagingWalk.WalkAsync(world, Path, "expand=users,child_groups", 5));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Retrieve_ById(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.RetrieveAsync<StoredGroup>(world, "groups");
    }
}
