using Microsoft.EntityFrameworkCore;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;
using static Tributary.Server.Tests.FileStorage.FileStorageWorld;

namespace Tributary.Server.Tests.FileStorage.Users;

public sealed class UsersEndpointsTests
{
    private const string Path = "/api/filestorage/v1/users";

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task List_CommonFilters_MatchTheStore(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.ListFiltersAsync<StoredUser>(world, "users");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task EmailAddress_IsExactButIgnoresCase(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var ada = world.Id(StoreMapper.UserModel, "user-ada");
        var mixed = world.Id(StoreMapper.UserModel, MixedCaseUser);

        Assert.Equal([ada], await world.IdsAsync($"{Path}?email_address=ada%40sandbox.example"));
        Assert.Equal([ada], await world.IdsAsync($"{Path}?email_address=ADA@Sandbox.EXAMPLE"));
        Assert.Equal([mixed], await world.IdsAsync($"{Path}?email_address=mixed.case%40sandbox.example"));
        Assert.Equal([mixed], await world.IdsAsync($"{Path}?email_address={Uri.EscapeDataString(MixedCaseEmail)}"));
        // The address comes back as the provider spelled it.
        var user = await world.GetJsonAsync($"{Path}?email_address=MIXED.CASE%40SANDBOX.EXAMPLE");
        Assert.Equal(MixedCaseEmail, user.GetProperty("results")[0].GetProperty("email_address").GetString());

        // Exact: no prefixes, suffixes, wildcards or padding.
        Assert.Empty(await world.IdsAsync($"{Path}?email_address=ada"));
        Assert.Empty(await world.IdsAsync($"{Path}?email_address=ada%40sandbox"));
        Assert.Empty(await world.IdsAsync($"{Path}?email_address=%25%40sandbox.example"));
        Assert.Empty(await world.IdsAsync($"{Path}?email_address=_da%40sandbox.example"));
        Assert.Empty(await world.IdsAsync($"{Path}?email_address=%20ada%40sandbox.example%20"));

        // Katherine was deleted remotely.
        Assert.Empty(await world.IdsAsync($"{Path}?email_address=katherine%40sandbox.example"));
        Assert.Equal([world.Id(StoreMapper.UserModel, DeletedUser)], await world.IdsAsync($"{Path}?email_address=Katherine%40sandbox.example&include_deleted_data=true"));
        Assert.Equal([ada], await world.IdsAsync($"{Path}?email_address=ada%40sandbox.example&is_me=true"));
        Assert.Empty(await world.IdsAsync($"{Path}?email_address=ada%40sandbox.example&is_me=false"));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task EmailAddress_FollowsAChangedAddress(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var ada = world.Id(StoreMapper.UserModel, "user-ada");
        // What the sync does on a change: load the row and set the mapped fields (SyncRunner.Copy).
        await world.App.WithDbAsync(async (db, _) =>
        {
            var row = await db.Users.IgnoreQueryFilters().SingleAsync(u => u.Id == ada, TestContext.Current.CancellationToken);
            row.EmailAddress = "Countess@Analytical.Example";
            return await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        });

        Assert.Empty(await world.IdsAsync($"{Path}?email_address=ada%40sandbox.example"));
        Assert.Equal([ada], await world.IdsAsync($"{Path}?email_address=countess%40analytical.example"));
        Assert.Equal("Countess@Analytical.Example", (await world.GetJsonAsync($"{Path}/{ada}")).GetProperty("email_address").GetString());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task IsMe_TakesTheSdksStrings(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var rows = await world.RowsAsync<StoredUser>();
        var live = rows.Where(u => !u.RemoteWasDeleted).ToList();
        var ada = world.Id(StoreMapper.UserModel, "user-ada");

        foreach (var yes in new[] { "true", "True", "TRUE", "1" })
        {
            Assert.Equal([ada], await world.IdsAsync($"{Path}?is_me={yes}"));
        }
        foreach (var no in new[] { "false", "False", "0" })
        {
            Assert.Equal(Ordered(live.Where(u => !u.IsMe), u => u.CreatedAt), await world.IdsAsync($"{Path}?is_me={no}"));
        }
        Assert.Equal(3, (await world.IdsAsync($"{Path}?is_me=false")).Count); // Grace, Alan and the mixed-case user
        Assert.Equal(Ordered(rows.Where(u => !u.IsMe), u => u.CreatedAt), await world.IdsAsync($"{Path}?is_me=false&include_deleted_data=true"));
        Assert.Equal(Ordered(live, u => u.CreatedAt), await world.IdsAsync($"{Path}?is_me="));
        await world.AssertBadRequestAsync($"{Path}?is_me=yes", "is_me");
        await world.AssertBadRequestAsync($"{Path}?is_me=me", "is_me");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task BadInput_IsA400NamingEachParameter(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.BadInputAsync(world, "users");
        await world.AssertBadRequestAsync($"{Path}?email_address={new string('e', 2001)}", "email_address");
        await world.AssertBadRequestAsync($"{Path}?expand=groups", "expand");
        var all = await world.AssertBadRequestAsync($"{Path}?is_me=perhaps&page_size=101&created_before=x", "is_me", "page_size", "created_before");
        Assert.Equal(3, all.EnumerateObject().Count());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task IncludeRemoteData_FillsRemoteData(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.RemoteDataAsync<StoredUser>(world, "users");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Paging_PageSizeFive_CollectsEveryIdOnce(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.PagingAsync(world, "users", (account, remoteId, at) => NewUser(account, remoteId, $"{remoteId}@example.com", at));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Retrieve_ById(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.RetrieveAsync<StoredUser>(world, "users");
        var ada = await world.GetJsonAsync($"{Path}/{world.Id(StoreMapper.UserModel, "user-ada")}");
        Assert.Equal("Ada Lovelace", ada.GetProperty("name").GetString());
        Assert.Equal("ada@sandbox.example", ada.GetProperty("email_address").GetString());
        Assert.True(ada.GetProperty("is_me").GetBoolean());
        Assert.False((await world.GetJsonAsync($"{Path}/{world.Id(StoreMapper.UserModel, "user-grace")}")).GetProperty("is_me").GetBoolean());
    }
}
