using System.Text.Json;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Providers.MicrosoftGraph;

namespace Tributary.Server.Tests.Connectors.MicrosoftGraph;

public sealed class GraphMapperTests
{
    private const string Drive = "b!drive";
    private const string Root = "01ROOT";

    [Fact]
    public void A_file_maps_with_its_parent_drive_checksum_and_dates()
    {
        var change = Map("""
            {"id": "01F", "name": "a.txt", "size": 12, "webUrl": "https://x/a.txt", "description": "notes",
             "createdDateTime": "2026-01-02T03:04:05Z", "lastModifiedDateTime": "2026-01-03T03:04:05Z",
             "file": {"mimeType": "text/plain", "hashes": {"quickXorHash": "QX==", "crc32Hash": "C"}}, "parentReference": {"driveId": "b!drive", "id": "01P"}}
            """);

        var file = Assert.IsType<RemoteFile>(Assert.IsType<GraphItemUpsert>(change).Record);
        Assert.Equal("b!drive~01F", file.RemoteId);
        Assert.Equal("b!drive~01P", file.FolderRemoteId);
        Assert.Equal(Drive, file.DriveRemoteId);
        Assert.Equal(("text/plain", 12L, "notes"), (file.MimeType, file.Size!.Value, file.Description));
        Assert.Equal(new RemoteChecksum("quickXor", "QX=="), file.Checksum);
        Assert.Equal(new DateTimeOffset(2026, 1, 3, 3, 4, 5, TimeSpan.Zero), file.RemoteUpdatedAt);
        Assert.Equal("/drives/b!drive/items/01F", file.Raw!.Path);
    }

    [Fact]
    public void Personal_hashes_prefer_sha256()
    {
        var item = Json("""{"file": {"hashes": {"sha1Hash": "S1", "sha256Hash": "S256", "quickXorHash": "Q"}}}""");

        Assert.Equal(new RemoteChecksum("sha256", "S256"), GraphMapper.Checksum(item));
    }

    [Fact]
    public void Items_at_the_drive_root_have_no_parent_folder()
    {
        var folder = Assert.IsType<RemoteFolder>(Assert.IsType<GraphItemUpsert>(Map("""{"id": "01D", "name": "Docs", "folder": {"childCount": 0}, "parentReference": {"driveId": "b!drive", "id": "01ROOT"}}""")).Record);

        Assert.Null(folder.ParentRemoteId);
        Assert.Equal("Docs", folder.Name);
    }

    [Fact]
    public void A_bare_deleted_entry_is_a_deletion_of_unknown_model_and_a_faceted_one_knows_its_model()
    {
        Assert.Equal(new GraphItemDeletion("b!drive~01X", null), Map("""{"id": "01X", "deleted": {"state": "deleted"}}"""));
        Assert.Equal(new GraphItemDeletion("b!drive~01Y", FileStorageModel.Folder), Map("""{"id": "01Y", "deleted": {}, "folder": {}}"""));
    }

    [Fact]
    public void The_root_packages_and_items_from_other_drives_are_skipped()
    {
        Assert.IsType<GraphItemSkipped>(Map("""{"id": "01ROOT", "root": {}, "folder": {}}"""));
        Assert.IsType<GraphItemSkipped>(Map("""{"id": "01N", "name": "Notebook", "package": {"type": "oneNote"}}"""));
        Assert.IsType<GraphItemSkipped>(Map("""{"id": "01R", "name": "shared", "remoteItem": {"id": "x", "parentReference": {"driveId": "other"}}, "folder": {}}"""));
    }

    [Fact]
    public void Permissions_follow_the_mapping_table()
    {
        var permissions = GraphMapper.MapPermissions(Json("""
            [
              {"id": "p1", "roles": ["owner"], "grantedToV2": {"user": {"id": "u1", "displayName": "Ada"}}},
              {"id": "p2", "roles": ["write"], "grantedToV2": {"group": {"id": "g1"}}},
              {"id": "p3", "roles": ["read"], "link": {"scope": "anonymous", "type": "view"}},
              {"id": "p4", "roles": [], "link": {"scope": "organization", "type": "edit"}},
              {"id": "p5", "roles": ["read"], "link": {"scope": "users", "type": "view"},
               "grantedToIdentitiesV2": [{"user": {"id": "u2"}}, {"group": {"id": "g2"}}]},
              {"id": "p6", "roles": ["sp.member"], "grantedToV2": {"siteUser": {"id": "7", "loginName": "i:0#.f|membership|x"}}},
              {"id": "p7", "roles": ["sp.owner"], "grantedToV2": {"siteGroup": {"id": "3", "displayName": "Owners"}}},
              {"id": "p8", "roles": ["read"], "link": {"scope": "existingAccess", "type": "view"}}
            ]
            """));

        Assert.Equal(
        [
            new("p1", PermissionType.User, "u1", null, [PermissionRole.Owner]),
            new("p2", PermissionType.Group, null, "g1", [PermissionRole.Write]),
            new("p3", PermissionType.Anyone, null, null, [PermissionRole.Read]),
            new("p4", PermissionType.Company, null, null, [PermissionRole.Write]),
            new("p5:u2", PermissionType.User, "u2", null, [PermissionRole.Read]),
            new("p5:g2", PermissionType.Group, null, "g2", [PermissionRole.Read]),
            new("p6", PermissionType.User, "7", null, [PermissionRole.Write]),
            new RemotePermission("p7", PermissionType.Group, null, "3", [PermissionRole.Owner]),
        ], permissions, new PermissionComparer());
    }

    [Fact]
    public void Group_members_split_into_users_and_child_groups()
    {
        var group = GraphMapper.MapGroup(Json("""{"id": "g1", "displayName": "Eng"}"""),
            Json("""[{"@odata.type": "#microsoft.graph.user", "id": "u1"}, {"@odata.type": "#microsoft.graph.group", "id": "g2"}, {"@odata.type": "#microsoft.graph.device", "id": "d1"}]""").EnumerateArray(), "/groups");

        Assert.Equal(["u1"], group.UserRemoteIds);
        Assert.Equal(["g2"], group.ChildGroupRemoteIds);
    }

    [Fact]
    public void Remote_ids_round_trip_and_malformed_ones_are_invalid_requests()
    {
        Assert.Equal(new GraphItemId("b!a-b_c", "D4648F06C91D9D3D!54927"), GraphItemId.Parse("b!a-b_c~D4648F06C91D9D3D!54927"));
        foreach (var bad in new[] { "nodrive", "~item", "drive~", "a~b~c" })
        {
            Assert.Equal(ProviderErrorKind.InvalidRequest, Assert.Throws<ProviderException>(() => GraphItemId.Parse(bad)).Kind);
        }
    }

    [Fact]
    public void Options_out_of_range_name_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new GraphConnectorOptions { UploadChunkSize = 1_000_000 }.Validated("onedrive"));
        Assert.Contains("Integrations:onedrive:UploadChunkSize", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => new GraphConnectorOptions { BatchSize = 21 }.Validated("sharepoint"));
    }

    private static GraphItemChange Map(string json) => GraphMapper.MapItem(Json(json), Drive, Root, null);

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private sealed class PermissionComparer : IEqualityComparer<RemotePermission>
    {
        public bool Equals(RemotePermission? x, RemotePermission? y) =>
            x is not null && y is not null && x.RemoteId == y.RemoteId && x.Type == y.Type && x.UserRemoteId == y.UserRemoteId
            && x.GroupRemoteId == y.GroupRemoteId && x.Roles.SequenceEqual(y.Roles);

        public int GetHashCode(RemotePermission obj) => obj.RemoteId.GetHashCode(StringComparison.Ordinal);
    }
}
