using System.Text;
using System.Text.Json;
using Tributary.Data.Entities.FileStorage;
using Tributary.Integrations.FileStorage;
using Tributary.Server.FileStorage;
using Tributary.Server.Sync;

namespace Tributary.Server.Tests.FileStorage.Models;

/// <summary>
/// The list and retrieve endpoints write rows with <see cref="CommonModelJson"/>; the write endpoints
/// (and OpenAPI) use the <see cref="CommonModelDtos"/> records. Both must give the same bytes, for every
/// model, with nulls, non-ASCII and characters JSON escapes, with and without remote data and expansions.
/// </summary>
public sealed class CommonModelJsonTests
{
    private static readonly Guid Account = Guid.Parse("0199a3f0-0000-7000-8000-000000000001");
    private static readonly DateTime Created = new(2025, 3, 4, 5, 6, 7, 891, DateTimeKind.Utc);
    private static readonly DateTime Modified = new DateTime(2025, 6, 7, 8, 9, 10, DateTimeKind.Utc).AddTicks(1234567);

    private static RemoteData Raw(string path) =>
        new(path, JsonDocument.Parse("""{"name":"Ünïcødé \"quoted\" <tag> & 'apos' \u0001 😀","n":1.50,"big":12345678901234567890,"e":-1e-7,"nested":{"a":[true,false,null,{}],"b":[]},"esc":"line\nbreak \\ / \u00e9"}""").RootElement);

    public static TheoryData<bool> RemoteDataFlags => new() { true, false };

    [Theory]
    [MemberData(nameof(RemoteDataFlags))]
    public void File_MatchesTheDto(bool remoteData)
    {
        var full = Stamp(StoreMapper.ToFile(Account, new RemoteFile("file-1", "Report «Q1» \"final\".pdf", "https://x.example/f?a=1&b=<2>", null, 123_456_789_012,
            "application/pdf", "Ünïcødé ✓ \t tab", "folder-1", "drive-1", new RemoteChecksum("sha256", "abc+/=é"),
            [
                new RemotePermission("perm-1", PermissionType.User, "user-1", null, [PermissionRole.Read, PermissionRole.Write]),
                new RemotePermission("perm-\"2\"", PermissionType.Group, null, "group-1", [PermissionRole.Owner]),
                new RemotePermission("perm-3", PermissionType.Anyone, null, null, []),
            ],
            new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)), null) { Raw = Raw("/files/1") }));
        var bare = Stamp(StoreMapper.ToFile(Account, new RemoteFile("f", null, null, null, null, null, null, null, null, null, [], null, null)));
        var folder = Stamp(StoreMapper.ToFolder(Account, new RemoteFolder("folder-1", "Földer", null, 5, null, "root", "drive-1", [], null, null) { Raw = Raw("/folders/1") }));
        var drive = Stamp(StoreMapper.ToDrive(Account, new RemoteDrive("drive-1", "Drïve", "https://d", DateTimeOffset.UnixEpoch) { Raw = Raw("/drives/1") }));

        foreach (var file in new[] { full, bare })
        {
            AssertSame(CommonModelDtos.File(file, remoteData), w => CommonModelJson.WriteFile(w, FileRow(file, remoteData), remoteData));
        }
        AssertSame(CommonModelDtos.File(full, remoteData, CommonModelDtos.Folder(folder, remoteData), CommonModelDtos.Drive(drive, remoteData)),
            w => CommonModelJson.WriteFile(w, FileRow(full, remoteData), remoteData, FolderRow(folder, remoteData), DriveRow(drive, remoteData)));
    }

    [Theory]
    [MemberData(nameof(RemoteDataFlags))]
    public void Folder_MatchesTheDto(bool remoteData)
    {
        var folder = Stamp(StoreMapper.ToFolder(Account, new RemoteFolder("folder-2", "Sub \\ folder", "https://f", null, "déscription", "folder-1", null,
            [new RemotePermission("p", PermissionType.Company, null, null, [PermissionRole.Read])], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddTicks(1))
        { Raw = Raw("/folders/2") }));
        var parent = Stamp(StoreMapper.ToFolder(Account, new RemoteFolder("folder-1", null, null, null, null, null, null, [], null, null)));
        var drive = Stamp(StoreMapper.ToDrive(Account, new RemoteDrive("drive-1", null, null, null)));

        AssertSame(CommonModelDtos.Folder(folder, remoteData), w => CommonModelJson.WriteFolder(w, FolderRow(folder, remoteData), remoteData));
        AssertSame(CommonModelDtos.Folder(folder, remoteData, CommonModelDtos.Folder(parent, remoteData), CommonModelDtos.Drive(drive, remoteData)),
            w => CommonModelJson.WriteFolder(w, FolderRow(folder, remoteData), remoteData, FolderRow(parent, remoteData), DriveRow(drive, remoteData)));
    }

    [Theory]
    [MemberData(nameof(RemoteDataFlags))]
    public void DriveAndUser_MatchTheDto(bool remoteData)
    {
        var drive = Stamp(StoreMapper.ToDrive(Account, new RemoteDrive("drive-1", "My \"Drive\"", "https://d/<x>", DateTimeOffset.UnixEpoch) { Raw = Raw("/drives/1") }));
        var user = Stamp(StoreMapper.ToUser(Account, new RemoteUser("user-1", "Zoë Ångström", "Zoe@Example.com", true) { Raw = Raw("/users/1") }));
        var nobody = Stamp(StoreMapper.ToUser(Account, new RemoteUser("user-2", null, null, false)));

        AssertSame(CommonModelDtos.Drive(drive, remoteData), w => CommonModelJson.WriteDrive(w, DriveRow(drive, remoteData), remoteData));
        AssertSame(CommonModelDtos.User(user, remoteData), w => CommonModelJson.WriteUser(w, UserRow(user, remoteData), remoteData));
        AssertSame(CommonModelDtos.User(nobody, remoteData), w => CommonModelJson.WriteUser(w, UserRow(nobody, remoteData), remoteData));
    }

    [Theory]
    [MemberData(nameof(RemoteDataFlags))]
    public void Group_MatchesTheDto_WithAndWithoutExpandedMembers(bool remoteData)
    {
        var group = Stamp(StoreMapper.ToGroup(Account, new RemoteGroup("group-1", "Ëveryone", ["user-1", "user-missing"], ["group-2", "group-missing"]) { Raw = Raw("/groups/1") }));
        var user = Stamp(StoreMapper.ToUser(Account, new RemoteUser("user-1", "A", "a@example.com", false)));
        var child = Stamp(StoreMapper.ToGroup(Account, new RemoteGroup("group-2", null, ["user-1"], [])));

        AssertSame(CommonModelDtos.Group(group, remoteData), w => CommonModelJson.WriteGroup(w, GroupRow(group, remoteData), remoteData));
        var users = new Dictionary<Guid, UserRow> { [user.Id] = UserRow(user, remoteData) };
        var children = new Dictionary<Guid, GroupRow> { [child.Id] = GroupRow(child, remoteData) };
        AssertSame(
            CommonModelDtos.Group(group, remoteData,
                CommonModelDtos.IdList(group.UsersJson).Select(id => id == user.Id ? (object)CommonModelDtos.User(user, remoteData) : id).ToList(),
                CommonModelDtos.IdList(group.ChildGroupsJson).Select(id => id == child.Id ? (object)CommonModelDtos.Group(child, remoteData) : id).ToList()),
            w => CommonModelJson.WriteGroup(w, GroupRow(group, remoteData), remoteData, users, children));
    }

    [Fact]
    public void StoredJsonNull_ReadsAsNoPermissionsAndNoMembers()
    {
        var file = Stamp(StoreMapper.ToFile(Account, new RemoteFile("f", null, null, null, null, null, null, null, null, null, [], null, null)));
        file.PermissionsJson = "null";
        var group = Stamp(StoreMapper.ToGroup(Account, new RemoteGroup("g", null, [], [])));
        group.UsersJson = "null";
        AssertSame(CommonModelDtos.File(file, false), w => CommonModelJson.WriteFile(w, FileRow(file, false), false));
        Assert.Empty(CommonModelJson.ReadIds(group.UsersJson));
    }

    private static T Stamp<T>(T row) where T : SyncedRecord
    {
        row.CreatedAt = Created;
        row.ModifiedAt = Modified;
        return row;
    }

    // The endpoints' own projections, run in memory on the entity.
    private static FileRow FileRow(StoredFile f, bool remoteData) => CommonModelRows.File(remoteData).Compile()(f);
    private static FolderRow FolderRow(StoredFolder f, bool remoteData) => CommonModelRows.Folder(remoteData).Compile()(f);
    private static DriveRow DriveRow(StoredDrive d, bool remoteData) => CommonModelRows.Drive(remoteData).Compile()(d);
    private static UserRow UserRow(StoredUser u, bool remoteData) => CommonModelRows.User(remoteData).Compile()(u);
    private static GroupRow GroupRow(StoredGroup g, bool remoteData) => CommonModelRows.Group(remoteData).Compile()(g);

    private static void AssertSame(object dto, Action<Utf8JsonWriter> write)
    {
        var expected = JsonSerializer.Serialize(dto, dto.GetType(), ApiJson.Options);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, CommonModelJson.WriterOptions))
        {
            write(writer);
        }
        Assert.Equal(expected, Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
