using System.Text.Json;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;
using static Tributary.Server.Tests.FileStorage.FileStorageWorld;

namespace Tributary.Server.Tests.FileStorage.Files;

public sealed class FilesEndpointsTests
{
    private const string Path = "/api/filestorage/v1/files";

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task List_CommonFilters_MatchTheStore(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.ListFiltersAsync<StoredFile>(world, "files");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task DriveAndFolderFilters_TakeIdsOrNull(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var rows = await world.RowsAsync<StoredFile>();
        var live = rows.Where(f => !f.RemoteWasDeleted).ToList();
        var myDrive = world.Id(StoreMapper.DriveModel, "drive-my");
        var apollo = world.Id(StoreMapper.FolderModel, "folder-apollo");
        var reports = world.Id(StoreMapper.FolderModel, "folder-reports");
        async Task Expect(string query, Func<StoredFile, bool> predicate) =>
            Assert.Equal(Ordered(live.Where(predicate), f => f.CreatedAt), await world.IdsAsync($"{Path}?{query}"));

        await Expect($"drive_id={myDrive}", f => f.DriveId == myDrive);
        await Expect("drive_id=null", f => f.DriveId == null);
        Assert.Equal([world.Id(StoreMapper.FileModel, DrivelessFile)], await world.IdsAsync($"{Path}?drive_id=null"));
        await Expect($"folder_id={apollo}", f => f.FolderId == apollo);
        Assert.Equal([world.Id(StoreMapper.FileModel, "file-apollo-plan")], await world.IdsAsync($"{Path}?folder_id={apollo}"));
        await Expect("folder_id=null", f => f.FolderId == null);
        Assert.Equal(2, (await world.IdsAsync($"{Path}?folder_id=null")).Count); // README.md and the file shared in
        await Expect($"folder_id=null&drive_id={myDrive}", f => f.FolderId == null && f.DriveId == myDrive);
        await Expect($"folder_id={reports}&drive_id={myDrive}", f => f.FolderId == reports);
        await Expect($"folder_id={reports}&drive_id=null", _ => false);
        await Expect($"folder_id={Guid.NewGuid()}", _ => false);
        await Expect($"drive_id={myDrive.ToString().ToUpperInvariant()}", f => f.DriveId == myDrive);

        // The folder of the deleted file still filters it, once deleted rows are asked for.
        var projects = world.Id(StoreMapper.FolderModel, "folder-projects");
        Assert.Empty(await world.IdsAsync($"{Path}?folder_id={projects}"));
        Assert.Equal([world.Id(StoreMapper.FileModel, DeletedFile)], await world.IdsAsync($"{Path}?folder_id={projects}&include_deleted_data=true"));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task MimeTypeNameAndRemoteCreatedFilters(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var rows = await world.RowsAsync<StoredFile>();
        var live = rows.Where(f => !f.RemoteWasDeleted).ToList();
        async Task Expect(string query, Func<StoredFile, bool> predicate) =>
            Assert.Equal(Ordered(live.Where(predicate), f => f.CreatedAt), await world.IdsAsync($"{Path}?{query}"));

        string[] csvOrPng = ["text/csv", "image/png"];
        await Expect("mime_type=text%2Fcsv%2Cimage%2Fpng", f => f.MimeType is { } m && csvOrPng.Contains(m));
        Assert.Equal(3, (await world.IdsAsync($"{Path}?mime_type=text%2Fcsv%2Cimage%2Fpng")).Count);
        await Expect("mime_type=text/csv&mime_type=image/png", f => f.MimeType is { } m && csvOrPng.Contains(m));
        await Expect("mime_type=text/csv,image/png,text/csv", f => f.MimeType is { } m && csvOrPng.Contains(m));
        await Expect("mime_type=image%2Fsvg%2Bxml", f => f.MimeType == "image/svg+xml");
        await Expect("mime_type=text/plain", f => f.MimeType == "text/plain");
        await Expect("mime_type=text", _ => false);
        await Expect("mime_type=TEXT/CSV", _ => false);

        await Expect("name=README.md", f => f.Name == "README.md");
        Assert.Single(await world.IdsAsync($"{Path}?name=README.md"));
        await Expect("name=Quarterly%20Review", f => f.Name == "Quarterly Review");
        await Expect("name=readme.md", _ => false);
        await Expect("name=README", _ => false);
        await Expect("name=%25.md", _ => false);
        await Expect($"name={DeletedFile.Replace("file-", "", StringComparison.Ordinal)}.txt", _ => false);

        var byRemoteCreation = live.Where(f => f.RemoteCreatedAt is not null).OrderBy(f => f.RemoteCreatedAt).ToList();
        var r = byRemoteCreation[5].RemoteCreatedAt!.Value;
        var later = byRemoteCreation[15].RemoteCreatedAt!.Value;
        await Expect($"remote_created_after={Iso(r)}", f => f.RemoteCreatedAt > r);
        await Expect($"remote_created_before={Iso(r)}", f => f.RemoteCreatedAt < r);
        await Expect($"remote_created_after={Iso(r.AddMilliseconds(-1))}", f => f.RemoteCreatedAt >= r);
        await Expect($"remote_created_after={Iso(r)}&remote_created_before={Iso(later)}", f => f.RemoteCreatedAt > r && f.RemoteCreatedAt < later);
        // A file without a remote creation time matches neither side.
        Assert.DoesNotContain(world.Id(StoreMapper.FileModel, DrivelessFile), await world.IdsAsync($"{Path}?remote_created_after=2000-01-01"));
        Assert.DoesNotContain(world.Id(StoreMapper.FileModel, DrivelessFile), await world.IdsAsync($"{Path}?remote_created_before=2100-01-01"));
        await Expect("remote_created_after=2000-01-01T00:00:00", f => f.RemoteCreatedAt is not null);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task OrderBy_AllFourValues_PageToTheEndAndBack(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var rows = await world.RowsAsync<StoredFile>();
        var live = rows.Where(f => !f.RemoteWasDeleted).ToList();

        Assert.Equal(Ordered(live, f => f.CreatedAt), await PagingWalk.WalkAsync(world, Path, "", 5));
        Assert.Equal(Ordered(live, f => f.CreatedAt), await PagingWalk.WalkAsync(world, Path, "order_by=created_at", 5));
        Assert.Equal(Ordered(live, f => f.CreatedAt, descending: true), await PagingWalk.WalkAsync(world, Path, "order_by=-created_at", 5));
        Assert.Equal(Ordered(live, f => f.ModifiedAt), await PagingWalk.WalkAsync(world, Path, "order_by=modified_at", 5));
        Assert.Equal(Ordered(live, f => f.ModifiedAt, descending: true), await PagingWalk.WalkAsync(world, Path, "order_by=-modified_at", 5));
        Assert.Equal(Ordered(rows, f => f.ModifiedAt, descending: true),
            await PagingWalk.WalkAsync(world, Path, "order_by=-modified_at&include_deleted_data=true&expand=folder,drive", 5));
        var myDrive = world.Id(StoreMapper.DriveModel, "drive-my");
        Assert.Equal(Ordered(live.Where(f => f.DriveId == myDrive && f.ModifiedAt > Base.AddDays(1)), f => f.ModifiedAt),
            await PagingWalk.WalkAsync(world, Path, $"order_by=modified_at&drive_id={myDrive}&modified_after={Iso(Base.AddDays(1))}", 2));
        // The orders really differ, so the comparisons above mean something.
        Assert.NotEqual(Ordered(live, f => f.CreatedAt), Ordered(live, f => f.ModifiedAt, descending: true));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Cursors_AreBoundToTheirListingAndOrder(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var first = await world.GetJsonAsync($"{Path}?page_size=5&order_by=created_at");
        var next = first.GetProperty("next").GetString()!;
        var second = await world.GetJsonAsync($"{Path}?page_size=5&order_by=created_at&cursor={next}");
        Assert.Equal(5, second.GetProperty("results").GetArrayLength());

        // Tampered: one character changed, or cut short.
        var flipped = (next[5] == 'A' ? 'B' : 'A');
        await world.AssertBadRequestAsync($"{Path}?page_size=5&order_by=created_at&cursor={next[..5]}{flipped}{next[6..]}", "cursor");
        await world.AssertBadRequestAsync($"{Path}?page_size=5&order_by=created_at&cursor={next[..^2]}", "cursor");
        await world.AssertBadRequestAsync($"{Path}?page_size=5&cursor=cD0yMDIxLTAxLTA2KzAzJTNBMjQlM0E1My40MzQzMjYlMkIwMCUzQTAw", "cursor");
        // Minted under created_at, used under another order or on another listing.
        await world.AssertBadRequestAsync($"{Path}?page_size=5&order_by=-modified_at&cursor={next}", "cursor");
        await world.AssertBadRequestAsync($"{Path}?page_size=5&order_by=-created_at&cursor={next}", "cursor");
        await world.AssertBadRequestAsync($"/api/filestorage/v1/folders?page_size=5&cursor={next}", "cursor");
        // order_by=created_at is the default order: the cursor carries over.
        Assert.Equal(PagingWalk.ResultIds(second), PagingWalk.ResultIds(await world.GetJsonAsync($"{Path}?page_size=5&cursor={next}")));
        // A cursor's filters are the caller's to keep: another page size is fine.
        Assert.Equal(PagingWalk.ResultIds(second)[..2], PagingWalk.ResultIds(await world.GetJsonAsync($"{Path}?page_size=2&cursor={next}")));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task BadInput_IsA400NamingEachParameter(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.BadInputAsync(world, "files");
        await world.AssertBadRequestAsync($"{Path}?drive_id=drive-my", "drive_id");
        await world.AssertBadRequestAsync($"{Path}?folder_id=12345", "folder_id");
        await world.AssertBadRequestAsync($"{Path}?folder_id=NULL", "folder_id");
        await world.AssertBadRequestAsync($"{Path}?order_by=name", "order_by");
        await world.AssertBadRequestAsync($"{Path}?order_by=created_at,modified_at", "order_by");
        await world.AssertBadRequestAsync($"{Path}?expand=folder,owner", "expand");
        await world.AssertBadRequestAsync($"{Path}?expand=parent_folder", "expand");
        await world.AssertBadRequestAsync($"{Path}?remote_created_after=soon&remote_created_before=2024-01-01T25:00:00Z",
            "remote_created_after", "remote_created_before");
        await world.AssertBadRequestAsync($"{Path}?name={new string('n', 255)}", "name");
        var all = await world.AssertBadRequestAsync(
            $"{Path}?drive_id=not-a-uuid&folder_id=nope&expand=owner&created_after=31/12/2024&page_size=101&order_by=size",
            "drive_id", "folder_id", "expand", "created_after", "page_size", "order_by");
        Assert.Equal(6, all.EnumerateObject().Count());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task IncludeRemoteData_FillsRemoteData(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.RemoteDataAsync<StoredFile>(world, "files");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Paging_PageSizeFive_CollectsEveryIdOnce(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.PagingAsync(world, "files", (account, remoteId, at) => NewFile(account, remoteId, null, null, at));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Retrieve_ById(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        await CommonModelAssertions.RetrieveAsync<StoredFile>(world, "files");
        var deleted = await world.GetJsonAsync($"{Path}/{world.Id(StoreMapper.FileModel, DeletedFile)}");
        Assert.True(deleted.GetProperty("remote_was_deleted").GetBoolean());
        var readme = await world.GetJsonAsync($"{Path}/{world.Id(StoreMapper.FileModel, "file-readme")}");
        Assert.Equal("README.md", readme.GetProperty("name").GetString());
        Assert.Equal("text/markdown", readme.GetProperty("mime_type").GetString());
        Assert.Equal("Start here", readme.GetProperty("description").GetString());
        Assert.Equal(world.Id(StoreMapper.DriveModel, "drive-my"), readme.GetProperty("drive").GetGuid());
        Assert.Equal(JsonValueKind.Null, readme.GetProperty("folder").ValueKind);
        Assert.Equal("sha256", readme.GetProperty("checksum").GetProperty("type").GetString());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Expand_CommaListAndRepeatedKeys_GiveTheSameObjects(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var files = (await world.RowsAsync<StoredFile>()).ToDictionary(f => f.Id);
        var folders = (await world.RowsAsync<StoredFolder>()).ToDictionary(f => f.Id);
        var drives = (await world.RowsAsync<StoredDrive>()).ToDictionary(d => d.Id);

        var comma = await world.GetJsonAsync($"{Path}?expand=drive%2Cfolder%2Cpermissions&include_deleted_data=true");
        var repeated = await world.GetJsonAsync($"{Path}?expand=folder&expand=permissions&expand=drive&expand=folder&include_deleted_data=true");
        var mixed = await world.GetJsonAsync($"{Path}?expand=permissions,folder&expand=drive&include_deleted_data=true");
        Assert.Equal(comma.ToString(), repeated.ToString());
        Assert.Equal(comma.ToString(), mixed.ToString());

        var results = comma.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(files.Count, results.Count);
        foreach (var result in results)
        {
            var file = files[result.GetProperty("id").GetGuid()];
            AssertExpanded(result.GetProperty("folder"), file.FolderId, id => folders[id].Name);
            AssertExpanded(result.GetProperty("drive"), file.DriveId, id => drives[id].Name);
        }
        // The deleted folder still expands (files keep pointing at it).
        var logo = results.Single(r => r.GetProperty("remote_id").GetString() == "file-logo");
        Assert.True(logo.GetProperty("folder").GetProperty("remote_was_deleted").GetBoolean());
        // An expanded folder is not expanded further.
        Assert.Equal(JsonValueKind.String, logo.GetProperty("folder").GetProperty("parent_folder").ValueKind);
        Assert.Equal(JsonValueKind.String, logo.GetProperty("folder").GetProperty("drive").ValueKind);

        // One relation only.
        var onlyFolder = await world.GetJsonAsync($"{Path}?expand=folder");
        Assert.All(onlyFolder.GetProperty("results").EnumerateArray(), r => Assert.NotEqual(JsonValueKind.Object, r.GetProperty("drive").ValueKind));
        Assert.Contains(onlyFolder.GetProperty("results").EnumerateArray(), r => r.GetProperty("folder").ValueKind == JsonValueKind.Object);

        // Retrieve takes both encodings too; remote data reaches the expanded objects.
        var plan = world.Id(StoreMapper.FileModel, "file-apollo-plan");
        var one = await world.GetJsonAsync($"{Path}/{plan}?expand=permissions%2Cfolder%2Cdrive&include_remote_data=true");
        var two = await world.GetJsonAsync($"{Path}/{plan}?expand=drive&expand=folder&expand=permissions&include_remote_data=true");
        Assert.Equal(one.ToString(), two.ToString());
        Assert.Equal("Apollo", one.GetProperty("folder").GetProperty("name").GetString());
        Assert.Equal("My Drive", one.GetProperty("drive").GetProperty("name").GetString());
        Assert.Equal("/folders/folder-apollo", one.GetProperty("folder").GetProperty("remote_data")[0].GetProperty("path").GetString());
        Assert.Equal(2, one.GetProperty("permissions").GetArrayLength());
        var plain = await world.GetJsonAsync($"{Path}/{plan}");
        Assert.Equal(world.Id(StoreMapper.FolderModel, "folder-apollo"), plain.GetProperty("folder").GetGuid());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Expand_LoadsEachRelationOncePerPage(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        // permissions live in the row: expanding them costs nothing.
        await CommonModelAssertions.ExpandQueriesAsync(world, "files", world.Id(StoreMapper.FileModel, "file-logo"), "folder,drive,permissions", relations: 2);
    }

    private static void AssertExpanded(JsonElement value, Guid? id, Func<Guid, string?> name)
    {
        if (id is null)
        {
            Assert.Equal(JsonValueKind.Null, value.ValueKind);
            return;
        }
        Assert.Equal(JsonValueKind.Object, value.ValueKind);
        Assert.Equal(id.Value, value.GetProperty("id").GetGuid());
        Assert.Equal(name(id.Value), value.GetProperty("name").GetString());
    }
}
