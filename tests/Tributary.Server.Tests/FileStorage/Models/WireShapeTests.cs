using System.Text.Json;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;
using static Tributary.Server.Tests.FileStorage.FileStorageWorld;

namespace Tributary.Server.Tests.FileStorage.Models;

/// <summary>
/// Our JSON against Merge's models (reference §(d)): the same keys, no more and no fewer, and the
/// JSON types Merge's SDK expects, on lists and retrieves, plain, with remote data and expanded.
/// </summary>
public sealed class WireShapeTests
{
    private const string Api = "/api/filestorage/v1";

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task File_MatchesMergesModel(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var plain = await ResultsAsync(world, "files?include_deleted_data=true");
        var withRemoteData = await ResultsAsync(world, "files?include_deleted_data=true&include_remote_data=true");
        var expanded = await ResultsAsync(world, "files?include_deleted_data=true&include_remote_data=true&expand=drive,folder,permissions");
        Assert.All(plain, f => WireShapes.AssertShape(f, WireShapes.File, "a file"));
        Assert.All(withRemoteData, f => WireShapes.AssertShape(f, WireShapes.File, "a file with remote data"));
        Assert.All(expanded, f => WireShapes.AssertShape(f, WireShapes.FileExpanded, "an expanded file"));
        var readme = world.Id(StoreMapper.FileModel, "file-readme");
        WireShapes.AssertShape(await world.GetJsonAsync($"{Api}/files/{readme}?include_remote_data=true"), WireShapes.File, "a retrieved file");
        WireShapes.AssertShape(await world.GetJsonAsync($"{Api}/files/{readme}?expand=folder,drive"), WireShapes.FileExpanded, "a retrieved expanded file");

        // The alternatives really occur, so the checks above are not vacuous.
        Assert.Contains(plain, f => f.GetProperty("folder").ValueKind == JsonValueKind.String);
        Assert.Contains(plain, f => f.GetProperty("folder").ValueKind == JsonValueKind.Null);
        Assert.Contains(plain, f => f.GetProperty("size").ValueKind == JsonValueKind.Number);
        Assert.Contains(plain, f => f.GetProperty("checksum").ValueKind == JsonValueKind.Object);
        Assert.Contains(plain, f => f.GetProperty("file_thumbnail_url").ValueKind == JsonValueKind.String);
        Assert.Contains(plain, f => f.GetProperty("remote_was_deleted").GetBoolean());
        Assert.All(plain, f => Assert.Equal(JsonValueKind.Null, f.GetProperty("remote_data").ValueKind));
        Assert.All(withRemoteData, f => Assert.Equal(JsonValueKind.Array, f.GetProperty("remote_data").ValueKind));
        Assert.Contains(expanded, f => f.GetProperty("folder").ValueKind == JsonValueKind.Object);
        Assert.Contains(expanded, f => f.GetProperty("drive").ValueKind == JsonValueKind.Object);
        Assert.Contains(expanded, f => f.GetProperty("drive").ValueKind == JsonValueKind.Null);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Folder_MatchesMergesModel(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var plain = await ResultsAsync(world, "folders?include_deleted_data=true");
        var expanded = await ResultsAsync(world, "folders?include_deleted_data=true&include_remote_data=true&expand=drive,parent_folder,permissions");
        Assert.All(plain, f => WireShapes.AssertShape(f, WireShapes.Folder, "a folder"));
        Assert.All(expanded, f => WireShapes.AssertShape(f, WireShapes.FolderExpanded, "an expanded folder"));
        var apollo = world.Id(StoreMapper.FolderModel, "folder-apollo");
        WireShapes.AssertShape(await world.GetJsonAsync($"{Api}/folders/{apollo}?include_remote_data=true"), WireShapes.Folder, "a retrieved folder");
        WireShapes.AssertShape(await world.GetJsonAsync($"{Api}/folders/{apollo}?expand=parent_folder,drive"), WireShapes.FolderExpanded, "a retrieved expanded folder");

        Assert.Contains(plain, f => f.GetProperty("parent_folder").ValueKind == JsonValueKind.String);
        Assert.Contains(plain, f => f.GetProperty("parent_folder").ValueKind == JsonValueKind.Null);
        Assert.Contains(expanded, f => f.GetProperty("parent_folder").ValueKind == JsonValueKind.Object);
        Assert.Contains(expanded, f => f.GetProperty("drive").ValueKind == JsonValueKind.Object);
        Assert.All(expanded, f => Assert.Equal(JsonValueKind.Array, f.GetProperty("remote_data").ValueKind));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Drive_MatchesMergesModel(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var plain = await ResultsAsync(world, "drives");
        var withRemoteData = await ResultsAsync(world, "drives?include_remote_data=true");
        Assert.All(plain, d => WireShapes.AssertShape(d, WireShapes.Drive, "a drive"));
        Assert.All(withRemoteData, d => WireShapes.AssertShape(d, WireShapes.Drive, "a drive with remote data"));
        WireShapes.AssertShape(await world.GetJsonAsync($"{Api}/drives/{world.Id(StoreMapper.DriveModel, "drive-my")}"), WireShapes.Drive, "a retrieved drive");
        Assert.Contains(plain, d => d.GetProperty("remote_created_at").ValueKind == JsonValueKind.String);
        Assert.Contains(plain, d => d.GetProperty("drive_url").ValueKind == JsonValueKind.String);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task User_MatchesMergesModel(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var plain = await ResultsAsync(world, "users?include_deleted_data=true");
        var withRemoteData = await ResultsAsync(world, "users?include_remote_data=true");
        Assert.All(plain, u => WireShapes.AssertShape(u, WireShapes.User, "a user"));
        Assert.All(withRemoteData, u => WireShapes.AssertShape(u, WireShapes.User, "a user with remote data"));
        WireShapes.AssertShape(await world.GetJsonAsync($"{Api}/users/{world.Id(StoreMapper.UserModel, "user-ada")}"), WireShapes.User, "a retrieved user");
        Assert.Contains(plain, u => u.GetProperty("is_me").GetBoolean());
        Assert.Contains(plain, u => !u.GetProperty("is_me").GetBoolean());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Group_MatchesMergesModel(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var plain = await ResultsAsync(world, "groups");
        var expanded = await ResultsAsync(world, "groups?include_remote_data=true&expand=users,child_groups");
        Assert.All(plain, g => WireShapes.AssertShape(g, WireShapes.Group, "a group"));
        Assert.All(expanded, g => WireShapes.AssertShape(g, WireShapes.GroupExpanded, "an expanded group"));
        var everyone = world.Id(StoreMapper.GroupModel, "group-everyone");
        WireShapes.AssertShape(await world.GetJsonAsync($"{Api}/groups/{everyone}"), WireShapes.Group, "a retrieved group");
        WireShapes.AssertShape(await world.GetJsonAsync($"{Api}/groups/{everyone}?expand=users,child_groups"), WireShapes.GroupExpanded, "a retrieved expanded group");
        Assert.Contains(plain, g => g.GetProperty("users").GetArrayLength() > 0);
        Assert.Contains(plain, g => g.GetProperty("child_groups").GetArrayLength() > 0);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Permission_MatchesMergesModel(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var files = await ResultsAsync(world, "files?include_deleted_data=true");
        var folders = await ResultsAsync(world, "folders?include_deleted_data=true");
        var permissions = files.Concat(folders).SelectMany(r => r.GetProperty("permissions").EnumerateArray()).ToList();
        Assert.All(permissions, p => WireShapes.AssertShape(p, WireShapes.Permission, "a permission"));

        // All four types occur; user is set only for USER and group only for GROUP.
        Assert.Equal(["ANYONE", "COMPANY", "GROUP", "USER"], permissions.Select(p => p.GetProperty("type").GetString()).Distinct().Order(StringComparer.Ordinal));
        Assert.All(permissions, p =>
        {
            var type = p.GetProperty("type").GetString();
            Assert.Equal(type == "USER", p.GetProperty("user").ValueKind == JsonValueKind.String);
            Assert.Equal(type == "GROUP", p.GetProperty("group").ValueKind == JsonValueKind.String);
            Assert.All(p.GetProperty("roles").EnumerateArray(), r => Assert.Contains(r.GetString(), new[] { "READ", "WRITE", "OWNER" }));
        });
        // Permissions stay objects with expand=permissions, and are not expanded further.
        var expanded = await ResultsAsync(world, "files?expand=permissions");
        Assert.All(expanded.SelectMany(r => r.GetProperty("permissions").EnumerateArray()), p => WireShapes.AssertShape(p, WireShapes.Permission, "a permission"));
        // Every file without permissions still has the array.
        var bare = files.Single(f => f.GetProperty("remote_id").GetString() == DrivelessFile);
        Assert.Equal(JsonValueKind.Array, bare.GetProperty("permissions").ValueKind);
        Assert.Equal(0, bare.GetProperty("permissions").GetArrayLength());
    }

    [Fact]
    public void WireShapes_CatchMissingExtraAndMistypedKeys()
    {
        var good = JsonDocument.Parse("""
            {"id": "8f14e45f-ceea-467f-a8d2-1b2c3d4e5f60", "remote_id": null, "created_at": "2024-01-01T00:00:00Z",
             "modified_at": "2024-01-01T00:00:00.123456+00:00", "name": "n", "remote_created_at": null, "drive_url": null,
             "remote_was_deleted": false, "field_mappings": null, "remote_data": [{"path": "/d", "data": 1}]}
            """).RootElement;
        Assert.Empty(WireShapes.Problems(good, WireShapes.Drive));

        var bad = JsonDocument.Parse("""
            {"id": "drive-1", "remote_id": 5, "created_at": "2024-01-01 00:00", "modified_at": "2024-01-01T00:00:00",
             "remote_created_at": null, "drive_url": null, "remote_was_deleted": "false", "field_mappings": [], "remote_data": {},
             "extra": 1}
            """).RootElement;
        var problems = WireShapes.Problems(bad, WireShapes.Drive);
        foreach (var key in new[] { "id", "remote_id", "created_at", "modified_at", "name", "remote_was_deleted", "field_mappings", "remote_data", "extra" })
        {
            Assert.Contains(problems, p => p.StartsWith($"$.{key}:", StringComparison.Ordinal));
        }
        Assert.Equal(9, problems.Count);
    }

    private static async Task<List<JsonElement>> ResultsAsync(FileStorageWorld world, string pathAndQuery)
    {
        var page = await world.GetJsonAsync($"{Api}/{pathAndQuery}");
        Assert.Equal(["next", "previous", "results"], page.EnumerateObject().Select(p => p.Name));
        var results = page.GetProperty("results").EnumerateArray().ToList();
        Assert.NotEmpty(results);
        return results;
    }
}
