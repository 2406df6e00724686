using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;
using static Tributary.Server.Tests.FileStorage.FileStorageWorld;

namespace Tributary.Server.Tests.FileStorage.Drives;

public sealed class DrivesEndpointsTests
{
    private const string Path = "/api/filestorage/v1/drives";

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task List_CommonFilters_MatchTheStore(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.ListFiltersAsync<StoredDrive>(world, "drives");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task NameFilter_IsExact(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var myDrive = world.Id(StoreMapper.DriveModel, "drive-my");
        Assert.Equal([myDrive], await world.IdsAsync($"{Path}?name=My%20Drive"));
        Assert.Equal([myDrive], await world.IdsAsync($"{Path}?name=My+Drive"));
        Assert.Equal([myDrive], await world.IdsAsync($"{Path}/?name=My+Drive")); // DRF's trailing slash
        Assert.Equal([world.Id(StoreMapper.DriveModel, "drive-team")], await world.IdsAsync($"{Path}?name=Team%20Drive"));
        Assert.Empty(await world.IdsAsync($"{Path}?name=my%20drive"));
        Assert.Empty(await world.IdsAsync($"{Path}?name=Drive"));
        Assert.Empty(await world.IdsAsync($"{Path}?name=My%20Drive%20"));
        Assert.Empty(await world.IdsAsync($"{Path}?name=My%25"));
        Assert.Equal([myDrive], await world.IdsAsync($"{Path}?name=My%20Drive&remote_id=drive-my"));
        Assert.Empty(await world.IdsAsync($"{Path}?name=My%20Drive&remote_id=drive-team"));

        await world.MarkDeletedAsync<StoredDrive>("drive-my");
        Assert.Empty(await world.IdsAsync($"{Path}?name=My%20Drive"));
        Assert.Equal([myDrive], await world.IdsAsync($"{Path}?name=My%20Drive&include_deleted_data=true"));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task BadInput_IsA400NamingEachParameter(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.BadInputAsync(world, "drives");
        await world.AssertBadRequestAsync($"{Path}?name={new string('n', 255)}", "name");
        // Drives have no relations to expand.
        await world.AssertBadRequestAsync($"{Path}?expand=files", "expand");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task IncludeRemoteData_FillsRemoteData(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.RemoteDataAsync<StoredDrive>(world, "drives");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Paging_PageSizeFive_CollectsEveryIdOnce(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.PagingAsync(world, "drives", NewDrive);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Retrieve_ById(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.RetrieveAsync<StoredDrive>(world, "drives");
        var team = await world.GetJsonAsync($"{Path}/{world.Id(StoreMapper.DriveModel, "drive-team")}");
        Assert.Equal("Team Drive", team.GetProperty("name").GetString());
        Assert.Equal("https://sandbox.tributary.example/drives/drive-team", team.GetProperty("drive_url").GetString());
        Assert.Equal(new DateTime(2025, 1, 6, 10, 0, 0, DateTimeKind.Utc), team.GetProperty("remote_created_at").GetDateTime());
    }
}
