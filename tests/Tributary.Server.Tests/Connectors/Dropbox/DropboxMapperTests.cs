using System.Net;
using System.Text.Json;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Http;
using Tributary.Integrations.Providers.Dropbox;

namespace Tributary.Server.Tests.Connectors.Dropbox;

/// <summary>The pure Dropbox mapper and the connector's error classification.</summary>
public sealed class DropboxMapperTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public void A_file_entry_maps_with_its_path_and_without_a_checksum()
    {
        var entry = Json("""
            {".tag": "file", "name": "Report.PDF", "id": "id:f1", "path_lower": "/docs/report.pdf", "path_display": "/Docs/Report.PDF",
             "client_modified": "2026-01-02T03:04:05Z", "server_modified": "2026-02-03T04:05:06Z", "rev": "0123456789", "size": 1234,
             "content_hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
            """);

        var file = DropboxMapper.ToFile(entry, "id:folder", "ns1", [DropboxMapper.Owner("dbid:me")], "/2/files/list_folder");

        Assert.Equal("id:f1", file.RemoteId);
        Assert.Equal("Report.PDF", file.Name);
        Assert.Equal("application/pdf", file.MimeType);
        Assert.Equal(1234, file.Size);
        Assert.Equal("/docs/report.pdf", file.Path);
        Assert.Equal("id:folder", file.FolderRemoteId);
        Assert.Equal("ns1", file.DriveRemoteId);
        Assert.Equal("https://www.dropbox.com/home/Docs/Report.PDF", file.Url);
        Assert.Null(file.Checksum);
        Assert.Null(file.RemoteCreatedAt);
        Assert.Equal(new DateTimeOffset(2026, 2, 3, 4, 5, 6, TimeSpan.Zero), file.RemoteUpdatedAt);
        Assert.Equal("/2/files/list_folder", file.Raw!.Path);
    }

    [Theory]
    [InlineData("""{"effective_audience": {".tag": "public"}}""", PermissionType.Anyone, PermissionRole.Read)]
    [InlineData("""{"effective_audience": {".tag": "password"}}""", PermissionType.Anyone, PermissionRole.Read)]
    [InlineData("""{"effective_audience": {".tag": "team"}, "link_access_level": {".tag": "editor"}}""", PermissionType.Company, PermissionRole.Write)]
    [InlineData("""{"resolved_visibility": {".tag": "team_only"}}""", PermissionType.Company, PermissionRole.Read)]
    [InlineData("""{"resolved_visibility": {".tag": "team_and_password"}}""", PermissionType.Company, PermissionRole.Read)]
    [InlineData("""{"resolved_visibility": {".tag": "public"}}""", PermissionType.Anyone, PermissionRole.Read)]
    public void Shared_links_map_to_anyone_or_company(string permissions, PermissionType type, PermissionRole role)
    {
        var link = DropboxMapper.Link(Json($$"""{"url": "https://x", "link_permissions": {{permissions}} }"""));

        Assert.NotNull(link);
        Assert.Equal(type, link.Type);
        Assert.Equal([role], link.Roles);
    }

    [Theory]
    [InlineData("""{"effective_audience": {".tag": "members"}}""")]
    [InlineData("""{"effective_audience": {".tag": "no_one"}}""")]
    [InlineData("""{"resolved_visibility": {".tag": "shared_folder_only"}}""")]
    public void Links_that_reach_no_one_new_grant_nothing(string permissions) =>
        Assert.Null(DropboxMapper.Link(Json($$"""{"url": "https://x", "link_permissions": {{permissions}} }""")));

    [Theory]
    [InlineData("owner", PermissionRole.Owner)]
    [InlineData("editor", PermissionRole.Write)]
    [InlineData("viewer", PermissionRole.Read)]
    [InlineData("viewer_no_comment", PermissionRole.Read)]
    public void Members_map_their_access_level(string access, PermissionRole role)
    {
        var user = DropboxMapper.Member(Json($$"""{"access_type": {".tag": "{{access}}"}, "user": {"account_id": "dbid:u"} }"""));
        var group = DropboxMapper.Member(Json($$"""{"access_type": {".tag": "{{access}}"}, "group": {"group_id": "g:1"} }"""));

        Assert.Equal((PermissionType.User, "dbid:u", role), (user!.Type, user.UserRemoteId, user.Roles.Single()));
        Assert.Equal((PermissionType.Group, "g:1", role), (group!.Type, group.GroupRemoteId, group.Roles.Single()));
    }

    [Fact]
    public void Traverse_and_no_access_members_grant_nothing()
    {
        Assert.Null(DropboxMapper.Member(Json("""{"access_type": {".tag": "traverse"}, "user": {"account_id": "dbid:u"}}""")));
        Assert.Null(DropboxMapper.Member(Json("""{"access_type": {".tag": "no_access"}, "user": {"account_id": "dbid:u"}}""")));
    }

    [Fact]
    public void Merged_permissions_keep_the_strongest_role_per_grantee()
    {
        var merged = DropboxMapper.Merge([
            new RemotePermission("user:a", PermissionType.User, "a", null, [PermissionRole.Read]),
            new RemotePermission("user:a", PermissionType.User, "a", null, [PermissionRole.Owner]),
            new RemotePermission("link:anyone", PermissionType.Anyone, null, null, [PermissionRole.Read]),
        ]);

        Assert.Equal(2, merged.Count);
        Assert.Equal(PermissionRole.Owner, merged.Single(p => p.Type == PermissionType.User).Roles.Single());
    }

    [Theory]
    [InlineData("/a/b/c.txt", "/a/b")]
    [InlineData("/a", "")]
    public void Parent_paths(string path, string parent) => Assert.Equal(parent, DropboxMapper.ParentPath(path));

    [Fact]
    public void The_drive_is_the_root_namespace()
    {
        var drive = DropboxMapper.ToDrive(Json("""{"account_id": "dbid:x", "root_info": {".tag": "team", "root_namespace_id": "77", "home_namespace_id": "78"}, "team": {"id": "t", "name": "Acme"}}"""));

        Assert.Equal(("77", "Acme"), (drive.RemoteId, drive.Name));
    }

    private static ProviderErrorResponse Error(HttpStatusCode status, string body)
    {
        using var response = new HttpResponseMessage(status);
        return new ProviderErrorResponse(status, response.Headers, body);
    }

    [Theory]
    [InlineData(401, """{"error_summary": "expired_access_token/", "error": {".tag": "expired_access_token"}}""", ProviderErrorKind.Unauthorized)]
    [InlineData(401, """{"error_summary": "missing_scope/", "error": {".tag": "missing_scope", "required_scope": "sharing.read"}}""", ProviderErrorKind.InvalidRequest)]
    [InlineData(409, """{"error_summary": "path/not_found/..", "error": {".tag": "path", "path": {".tag": "not_found"}}}""", ProviderErrorKind.NotFound)]
    [InlineData(409, """{"error_summary": "path/conflict/folder/", "error": {".tag": "path"}}""", ProviderErrorKind.InvalidRequest)]
    [InlineData(409, """{"error_summary": "reset/", "error": {".tag": "reset"}}""", ProviderErrorKind.InvalidRequest)]
    [InlineData(409, """{"error_summary": "too_many_write_operations/", "error": {".tag": "too_many_write_operations"}}""", ProviderErrorKind.RateLimited)]
    [InlineData(429, """{"error_summary": "too_many_requests/", "error": {"reason": {".tag": "too_many_requests"}, "retry_after": 7}}""", ProviderErrorKind.RateLimited)]
    public void Errors_are_classified_by_status_and_tag(int status, string body, ProviderErrorKind kind) =>
        Assert.Equal(kind, DropboxConnector.Classify(Error((HttpStatusCode)status, body)));

    [Fact]
    public void The_wait_comes_from_retry_after_in_the_body_when_there_is_no_header()
    {
        Assert.Equal(TimeSpan.FromSeconds(7), DropboxConnector.WaitFromBody(Error(HttpStatusCode.TooManyRequests,
            """{"error_summary": "too_many_requests/", "error": {"reason": {".tag": "too_many_requests"}, "retry_after": 7}}""")));
        Assert.Null(DropboxConnector.WaitFromBody(Error(HttpStatusCode.TooManyRequests, "Too many requests")));
    }
}
