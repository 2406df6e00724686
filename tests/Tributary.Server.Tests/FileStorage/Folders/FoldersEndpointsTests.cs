using System.Text.Json;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;
using static Tributary.Server.Tests.FileStorage.FileStorageWorld;

namespace Tributary.Server.Tests.FileStorage.Folders;

public sealed class FoldersEndpointsTests
{
    private const string Path = "/api/filestorage/v1/folders";

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task List_CommonFilters_MatchTheStore(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.ListFiltersAsync<StoredFolder>(world, "folders");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task DriveParentAndNameFilters(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var rows = await world.RowsAsync<StoredFolder>();
        var live = rows.Where(f => !f.RemoteWasDeleted).ToList();
        var myDrive = world.Id(StoreMapper.DriveModel, "drive-my");
        var teamDrive = world.Id(StoreMapper.DriveModel, "drive-team");
        var projects = world.Id(StoreMapper.FolderModel, "folder-projects");
        var apollo = world.Id(StoreMapper.FolderModel, "folder-apollo");
        async Task Expect(string query, Func<StoredFolder, bool> predicate, bool includeDeleted = false) =>
            Assert.Equal(Ordered((includeDeleted ? rows : live).Where(predicate), f => f.CreatedAt), await world.IdsAsync($"{Path}?{query}"));
        string Name(string remoteId) => rows.Single(f => f.RemoteId == remoteId).Name!;

        await Expect($"drive_id={myDrive}", f => f.DriveId == myDrive);
        await Expect($"drive_id={teamDrive}", f => f.DriveId == teamDrive);
        await Expect("drive_id=null", f => f.DriveId == null);
        Assert.Equal([world.Id(StoreMapper.FolderModel, DrivelessFolder)], await world.IdsAsync($"{Path}?drive_id=null"));
        await Expect($"drive_id={Guid.NewGuid()}", _ => false);

        // parent_folder_id=null is the root: Projects, Reports and Shared, plus the folder shared in.
        await Expect("parent_folder_id=null", f => f.ParentFolderId == null);
        Assert.Equal(4, (await world.IdsAsync($"{Path}?parent_folder_id=null")).Count);
        await Expect($"parent_folder_id=null&drive_id={teamDrive}", f => f.ParentFolderId == null && f.DriveId == teamDrive);
        await Expect($"parent_folder_id={projects}", f => f.ParentFolderId == projects);
        Assert.Equal([apollo], await world.IdsAsync($"{Path}?parent_folder_id={projects}"));
        // Designs, under Apollo, was deleted remotely.
        await Expect($"parent_folder_id={apollo}", _ => false);
        await Expect($"parent_folder_id={apollo}&include_deleted_data=true", f => f.ParentFolderId == apollo, includeDeleted: true);
        Assert.Equal([world.Id(StoreMapper.FolderModel, DeletedFolder)], await world.IdsAsync($"{Path}?parent_folder_id={apollo}&include_deleted_data=true"));

        await Expect("name=Apollo", f => f.Name == "Apollo");
        Assert.Single(await world.IdsAsync($"{Path}?name=Apollo"));
        await Expect($"name={Uri.EscapeDataString(Name("folder-archive"))}", f => f.RemoteId == "folder-archive");
        await Expect("name=apollo", _ => false);
        await Expect("name=Apoll", _ => false);
        await Expect("name=Apollo&parent_folder_id=null", _ => false);
        await Expect($"name=Apollo&parent_folder_id={projects}&drive_id={myDrive}", f => f.RemoteId == "folder-apollo");
        await Expect($"name={Uri.EscapeDataString(Name(DeletedFolder))}", _ => false);
        await Expect($"name={Uri.EscapeDataString(Name(DeletedFolder))}&include_deleted_data=true", f => f.RemoteId == DeletedFolder, includeDeleted: true);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Expand_CommaListAndRepeatedKeys_GiveTheSameObjects(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var folders = (await world.RowsAsync<StoredFolder>()).ToDictionary(f => f.Id);
        var drives = (await world.RowsAsync<StoredDrive>()).ToDictionary(d => d.Id);

        var comma = await world.GetJsonAsync($"{Path}?expand=drive%2Cparent_folder%2Cpermissions&include_deleted_data=true");
        var repeated = await world.GetJsonAsync($"{Path}?expand=permissions&expand=parent_folder&expand=drive&expand=drive&include_deleted_data=true");
        Assert.Equal(comma.ToString(), repeated.ToString());
        Assert.Equal(comma.ToString(), (await world.GetJsonAsync($"{Path}?expand=parent_folder,drive&expand=permissions&include_deleted_data=true")).ToString());

        var results = comma.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(folders.Count, results.Count);
        foreach (var result in results)
        {
            var folder = folders[result.GetProperty("id").GetGuid()];
            var parent = result.GetProperty("parent_folder");
            if (folder.ParentFolderId is { } parentId)
            {
                Assert.Equal(parentId, parent.GetProperty("id").GetGuid());
                Assert.Equal(folders[parentId].Name, parent.GetProperty("name").GetString());
                // Not expanded any further.
                Assert.NotEqual(JsonValueKind.Object, parent.GetProperty("parent_folder").ValueKind);
                Assert.NotEqual(JsonValueKind.Object, parent.GetProperty("drive").ValueKind);
            }
            else
            {
                Assert.Equal(JsonValueKind.Null, parent.ValueKind);
            }
            var drive = result.GetProperty("drive");
            if (folder.DriveId is { } driveId)
            {
                Assert.Equal(drives[driveId].Name, drive.GetProperty("name").GetString());
            }
            else
            {
                Assert.Equal(JsonValueKind.Null, drive.ValueKind);
            }
        }

        var onlyParent = await world.GetJsonAsync($"{Path}?expand=parent_folder");
        Assert.All(onlyParent.GetProperty("results").EnumerateArray(), r => Assert.NotEqual(JsonValueKind.Object, r.GetProperty("drive").ValueKind));
        var permissionsOnly = await world.GetJsonAsync($"{Path}?expand=permissions");
        Assert.Equal((await world.GetJsonAsync(Path)).ToString(), permissionsOnly.ToString());

        var archive = world.Id(StoreMapper.FolderModel, "folder-archive");
        var one = await world.GetJsonAsync($"{Path}/{archive}?expand=parent_folder%2Cdrive&include_remote_data=true");
        var two = await world.GetJsonAsync($"{Path}/{archive}?expand=drive&expand=parent_folder&include_remote_data=true");
        Assert.Equal(one.ToString(), two.ToString());
        Assert.Equal("Shared", one.GetProperty("parent_folder").GetProperty("name").GetString());
        Assert.Equal("Team Drive", one.GetProperty("drive").GetProperty("name").GetString());
        Assert.Equal("/drives/drive-team", one.GetProperty("drive").GetProperty("remote_data")[0].GetProperty("path").GetString());
        var plain = await world.GetJsonAsync($"{Path}/{archive}");
        Assert.Equal(world.Id(StoreMapper.FolderModel, "folder-shared"), plain.GetProperty("parent_folder").GetGuid());
        Assert.Equal(world.Id(StoreMapper.DriveModel, "drive-team"), plain.GetProperty("drive").GetGuid());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Expand_LoadsEachRelationOncePerPage(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.ExpandQueriesAsync(world, "folders", world.Id(StoreMapper.FolderModel, "folder-archive"), "parent_folder,drive,permissions", relations: 2);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task BadInput_IsA400NamingEachParameter(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.BadInputAsync(world, "folders");
        await world.AssertBadRequestAsync($"{Path}?drive_id=drive-my", "drive_id");
        await world.AssertBadRequestAsync($"{Path}?parent_folder_id=root", "parent_folder_id");
        await world.AssertBadRequestAsync($"{Path}?expand=folder", "expand");
        await world.AssertBadRequestAsync($"{Path}?expand=child_folders,drive", "expand");
        await world.AssertBadRequestAsync($"{Path}?name={new string('n', 255)}", "name");
        var all = await world.AssertBadRequestAsync($"{Path}?drive_id=x&parent_folder_id=y&expand=z&modified_after=w&page_size=101",
            "drive_id", "parent_folder_id", "expand", "modified_after", "page_size");
        Assert.Equal(5, all.EnumerateObject().Count());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task IncludeRemoteData_FillsRemoteData(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.RemoteDataAsync<StoredFolder>(world, "folders");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Paging_PageSizeFive_CollectsEveryIdOnce(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.PagingAsync(world, "folders", (account, remoteId, at) => NewFolder(account, remoteId, null, null, at));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Retrieve_ById(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.RetrieveAsync<StoredFolder>(world, "folders");
        var apollo = await world.GetJsonAsync($"{Path}/{world.Id(StoreMapper.FolderModel, "folder-apollo")}");
        Assert.Equal("Apollo", apollo.GetProperty("name").GetString());
        Assert.Equal("https://sandbox.tributary.example/folders/folder-apollo", apollo.GetProperty("folder_url").GetString());
        Assert.Equal(world.Id(StoreMapper.FolderModel, "folder-projects"), apollo.GetProperty("parent_folder").GetGuid());
        var permissions = apollo.GetProperty("permissions").EnumerateArray().ToList();
        Assert.Equal(["USER", "GROUP"], permissions.Select(p => p.GetProperty("type").GetString()));
        Assert.Equal(world.Id(StoreMapper.GroupModel, "group-engineering"), permissions[1].GetProperty("group").GetGuid());
        Assert.Equal(["READ", "WRITE"], permissions[1].GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        await world.AssertBadRequestAsync($"{Path}/{world.Id(StoreMapper.FolderModel, "folder-apollo")}?expand=folder", "expand");
    }
}
