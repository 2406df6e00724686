using System.Text.Json;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Providers.Box;

namespace Tributary.Server.Tests.Connectors.Box;

public sealed class BoxMapperTests
{
    [Theory]
    [InlineData("owner", new[] { PermissionRole.Owner })]
    [InlineData("co-owner", new[] { PermissionRole.Owner })]
    [InlineData("editor", new[] { PermissionRole.Read, PermissionRole.Write })]
    [InlineData("viewer", new[] { PermissionRole.Read })]
    [InlineData("previewer", new[] { PermissionRole.Read })]
    [InlineData("viewer uploader", new[] { PermissionRole.Read, PermissionRole.Write })]
    [InlineData("previewer uploader", new[] { PermissionRole.Read, PermissionRole.Write })]
    [InlineData("uploader", new[] { PermissionRole.Write })]
    [InlineData("something new", new PermissionRole[0])]
    public void Collaboration_roles_map_to_Merge_roles(string role, PermissionRole[] expected) =>
        Assert.Equal(expected, BoxMapper.Roles(role));

    [Fact]
    public void A_file_maps_owner_collaborations_shared_link_checksum_and_parent()
    {
        var file = Parse("""
            {"type":"file","id":"12","name":"Report.PDF","size":42,"sha1":"85136C79CBF9FE36BB9D05D0639C70C265C18D37",
             "parent":{"type":"folder","id":"0"},"created_at":"2026-01-02T03:04:05-08:00","modified_at":"2026-01-03T00:00:00Z",
             "owned_by":{"type":"user","id":"7"},"shared_link":{"access":"open","effective_access":"company","permissions":{"can_edit":false}}}
            """);
        var collaborations = new[]
        {
            Parse("""{"type":"collaboration","id":"c1","role":"editor","status":"accepted","accessible_by":{"type":"group","id":"g1"}}"""),
            Parse("""{"type":"collaboration","id":"c2","role":"viewer","status":"pending","accessible_by":{"type":"user","id":"u2"}}"""),
            Parse("""{"type":"collaboration","id":"c3","role":"viewer","status":"accepted","accessible_by":null,"invite_email":"x@example.com"}"""),
        };

        var mapped = BoxMapper.File(file, collaborations, "/folders/0/items");

        Assert.Null(mapped.FolderRemoteId); // in the root folder, which is the drive
        Assert.Equal("0", mapped.DriveRemoteId);
        Assert.Equal("application/pdf", mapped.MimeType);
        Assert.Equal(new RemoteChecksum("sha1", "85136c79cbf9fe36bb9d05d0639c70c265c18d37"), mapped.Checksum);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 11, 4, 5, TimeSpan.Zero), mapped.RemoteCreatedAt);
        Assert.Collection(mapped.Permissions,
            p => Assert.Equal((PermissionType.User, "7", PermissionRole.Owner), (p.Type, p.UserRemoteId, p.Roles.Single())),
            p => Assert.Equal((PermissionType.Group, "g1"), (p.Type, p.GroupRemoteId)),
            p => Assert.Equal((PermissionType.Company, PermissionRole.Read), (p.Type, p.Roles.Single()))); // effective access wins
    }

    [Fact]
    public void A_collaborators_only_link_adds_nothing_and_an_editable_open_link_is_anyone_write()
    {
        var closed = Parse("""{"type":"folder","id":"5","parent":{"id":"9"},"shared_link":{"access":"collaborators"}}""");
        var open = Parse("""{"type":"folder","id":"6","shared_link":{"access":"open","permissions":{"can_edit":true}}}""");

        Assert.Empty(BoxMapper.Folder(closed, [], "/folders/5").Permissions);
        Assert.Equal("9", BoxMapper.Folder(closed, [], "/folders/5").ParentRemoteId);
        var link = Assert.Single(BoxMapper.Folder(open, [], "/folders/6").Permissions);
        Assert.Equal((PermissionType.Anyone, PermissionRole.Write), (link.Type, link.Roles.Single()));
    }

    [Theory]
    [InlineData("trashed", true)]
    [InlineData("deleted", true)]
    [InlineData("active", false)]
    public void Trashed_and_purged_items_are_gone(string status, bool gone) =>
        Assert.Equal(gone, BoxMapper.IsGone(Parse($$"""{"item_status":"{{status}}"}""")));

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
