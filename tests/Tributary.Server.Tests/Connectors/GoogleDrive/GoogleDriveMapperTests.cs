using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Http;
using Tributary.Integrations.Providers.GoogleDrive;

namespace Tributary.Server.Tests.Connectors.GoogleDrive;

/// <summary>Drive JSON to the common models, permissions per the mapping table in providers.md, and error classification.</summary>
public sealed class GoogleDriveMapperTests
{
    private const string Root = "0Aroot";

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement;

    [Theory]
    [InlineData("owner", PermissionRole.Owner)]
    [InlineData("organizer", PermissionRole.Owner)]
    [InlineData("fileOrganizer", PermissionRole.Write)]
    [InlineData("writer", PermissionRole.Write)]
    [InlineData("commenter", PermissionRole.Read)]
    [InlineData("reader", PermissionRole.Read)]
    public void Drive_roles_map_to_Merge_roles(string role, PermissionRole expected)
    {
        var permission = GoogleDriveMapper.ToPermission(Json($$"""{"id":"p1","type":"user","role":"{{role}}"}"""));

        Assert.Equal([expected], permission!.Roles);
    }

    [Theory]
    [InlineData("""{"id":"07","type":"user","role":"reader","emailAddress":"g@example.com"}""", PermissionType.User, "07", null)]
    [InlineData("""{"id":"08","type":"group","role":"writer","emailAddress":"eng@example.com"}""", PermissionType.Group, null, "08")]
    [InlineData("""{"id":"09","type":"domain","role":"reader","domain":"example.com"}""", PermissionType.Company, null, null)]
    [InlineData("""{"id":"anyoneWithLink","type":"anyone","role":"reader","allowFileDiscovery":false}""", PermissionType.Anyone, null, null)]
    public void Drive_grantee_types_map_to_Merge_types(string json, PermissionType type, string? user, string? group)
    {
        var permission = GoogleDriveMapper.ToPermission(Json(json))!;

        Assert.Equal(type, permission.Type);
        Assert.Equal(user, permission.UserRemoteId);
        Assert.Equal(group, permission.GroupRemoteId);
    }

    [Theory]
    [InlineData("""{"id":"1","type":"user","role":"reader","deleted":true}""")]
    [InlineData("""{"id":"1","type":"user","role":"approver"}""")]
    [InlineData("""{"id":"1","type":"robot","role":"reader"}""")]
    [InlineData("""{"type":"user","role":"reader"}""")]
    public void Deleted_unknown_or_anonymous_permissions_are_left_out(string json) =>
        Assert.Null(GoogleDriveMapper.ToPermission(Json(json)));

    [Fact]
    public void A_file_maps_size_checksum_parent_drive_and_times()
    {
        var file = GoogleDriveMapper.ToFile(Json("""
            {"id":"1f","name":"a.txt","mimeType":"text/plain","size":"1234567890123","md5Checksum":"abc","parents":["1folder"],
             "createdTime":"2025-01-02T03:04:05.000Z","modifiedTime":"2025-02-03T04:05:06.000Z","webViewLink":"https://drive.google.com/file/d/1f/view",
             "thumbnailLink":"https://lh3/thumb","description":"notes"}
            """), Root, []);

        Assert.Equal(("1f", "a.txt", 1234567890123L, "text/plain"), (file.RemoteId, file.Name, file.Size!.Value, file.MimeType));
        Assert.Equal(new RemoteChecksum("md5", "abc"), file.Checksum);
        Assert.Equal("1folder", file.FolderRemoteId);
        Assert.Equal(Root, file.DriveRemoteId);
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), file.RemoteCreatedAt);
        Assert.Equal(new DateTimeOffset(2025, 2, 3, 4, 5, 6, TimeSpan.Zero), file.RemoteUpdatedAt);
        Assert.Equal(("https://drive.google.com/file/d/1f/view", "https://lh3/thumb", "notes"), (file.Url, file.ThumbnailUrl, file.Description));
        Assert.Equal("/drive/v3/files", file.Raw!.Path);
    }

    [Fact]
    public void Items_at_a_drive_root_have_no_parent_folder()
    {
        var inMyDrive = GoogleDriveMapper.ToFolder(Json("""{"id":"1a","name":"A","mimeType":"application/vnd.google-apps.folder","parents":["0Aroot"]}"""), Root, []);
        var inSharedDrive = GoogleDriveMapper.ToFile(Json("""{"id":"1b","name":"B","mimeType":"text/plain","parents":["0Ashared"],"driveId":"0Ashared","sha256Checksum":"ff"}"""), Root, []);

        Assert.Null(inMyDrive.ParentRemoteId);
        Assert.Equal(Root, inMyDrive.DriveRemoteId);
        Assert.Null(inSharedDrive.FolderRemoteId);
        Assert.Equal("0Ashared", inSharedDrive.DriveRemoteId);
        Assert.Equal(new RemoteChecksum("sha256", "ff"), inSharedDrive.Checksum);
    }

    [Fact]
    public void A_google_doc_has_no_size_or_checksum_and_is_native()
    {
        var doc = GoogleDriveMapper.ToFile(Json("""{"id":"1d","name":"Plan","mimeType":"application/vnd.google-apps.document"}"""), Root, []);

        Assert.Null(doc.Size);
        Assert.Null(doc.Checksum);
        Assert.True(GoogleDriveMapper.IsNativeDocument(doc.MimeType));
        Assert.False(GoogleDriveMapper.IsNativeDocument(GoogleDriveMapper.FolderMimeType));
        Assert.False(GoogleDriveMapper.IsNativeDocument("application/pdf"));
    }

    [Fact]
    public void Owners_and_user_and_group_permissions_reveal_users_and_groups()
    {
        var file = Json("""
            {"id":"1f","owners":[{"permissionId":"01","displayName":"Ada","emailAddress":"ada@example.com","me":true}],
             "permissions":[{"id":"01","type":"user","role":"owner","displayName":"Ada","emailAddress":"ada@example.com"},
                            {"id":"02","type":"user","role":"reader","displayName":"Grace","emailAddress":"grace@example.com"},
                            {"id":"03","type":"group","role":"writer","displayName":"Engineering","emailAddress":"eng@example.com"},
                            {"id":"04","type":"user","role":"reader","deleted":true},
                            {"id":"anyoneWithLink","type":"anyone","role":"reader"}]}
            """);

        var principals = GoogleDriveMapper.Principals(file, GoogleDriveMapper.PermissionElements(file)).ToList();

        var ada = Assert.IsType<RemoteUser>(principals[0]);
        Assert.Equal(("01", "Ada", "ada@example.com", true), (ada.RemoteId, ada.Name, ada.EmailAddress, ada.IsMe));
        Assert.Contains(principals.OfType<RemoteUser>(), u => u is { RemoteId: "02", Name: "Grace", IsMe: false });
        var group = Assert.Single(principals.OfType<RemoteGroup>());
        Assert.Equal(("03", "Engineering"), (group.RemoteId, group.Name));
        Assert.Empty(group.UserRemoteIds);
        Assert.DoesNotContain(principals, p => p.RemoteId is "04" or "anyoneWithLink");
    }

    [Fact]
    public void A_shared_drive_and_my_drive_become_drives()
    {
        var shared = GoogleDriveMapper.ToDrive(Json("""{"id":"0Ashared","name":"Engineering","createdTime":"2024-05-06T07:08:09.000Z"}"""));
        var mine = GoogleDriveMapper.MyDrive(Root);

        Assert.Equal(("0Ashared", "Engineering"), (shared.RemoteId, shared.Name));
        Assert.Equal(new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero), shared.RemoteCreatedAt);
        Assert.Equal((Root, "My Drive"), (mine.RemoteId, mine.Name));
    }

    [Theory]
    [InlineData(403, "userRateLimitExceeded", ProviderErrorKind.RateLimited)]
    [InlineData(403, "rateLimitExceeded", ProviderErrorKind.RateLimited)]
    [InlineData(429, "rateLimitExceeded", ProviderErrorKind.RateLimited)]
    [InlineData(403, "insufficientFilePermissions", ProviderErrorKind.InvalidRequest)]
    [InlineData(403, "fileNotDownloadable", ProviderErrorKind.InvalidRequest)]
    public void Drive_errors_are_classified_by_status_and_reason(int status, string reason, ProviderErrorKind kind)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status);
        var body = $$$"""{"error":{"code":{{{status}}},"message":"m","errors":[{"domain":"usageLimits","reason":"{{{reason}}}","message":"m"}]}}""";

        Assert.Equal(kind, GoogleDriveConnector.Classify(new ProviderErrorResponse((HttpStatusCode)status, response.Headers, body)));
    }

    [Fact]
    public void Other_errors_fall_back_to_the_status_code()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.NotFound);

        Assert.Null(GoogleDriveConnector.Classify(new ProviderErrorResponse(HttpStatusCode.NotFound, response.Headers, "{}")));
        Assert.Null(GoogleDriveConnector.Classify(new ProviderErrorResponse(HttpStatusCode.Unauthorized, response.Headers, "not json")));
    }

    [Fact]
    public void Options_come_from_configuration_and_bad_values_name_the_setting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Integrations:google-drive:PageSize"] = "50",
            ["Integrations:google-drive:ChunkSize"] = "524288",
            ["Integrations:google-drive:BaseBackoff"] = "00:00:02",
        }).Build();

        // The binding ConnectorRegistration does for the connector's settings section.
        var options = configuration.GetSection($"Integrations:{GoogleDriveConnector.Slug}").Get<GoogleDriveOptions>()!;

        Assert.Equal((50, 524288, TimeSpan.FromSeconds(2), 100), (options.PageSize, options.ChunkSize, options.BaseBackoff, options.SmallPageSize));
        var error = Assert.Throws<InvalidOperationException>(() => (options with { ChunkSize = 300_000 }).Validated());
        Assert.Contains("Integrations:google-drive:ChunkSize", error.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(1), new GoogleDriveOptions().BaseBackoff);
    }
}
