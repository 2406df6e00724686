using System.Text.Json.Nodes;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.Dropbox;

/// <summary>The Stone-IR validator bites: drift in a response, a request or a fault is reported, and conforming traffic is not.</summary>
public sealed class DropboxSpecValidatorTests
{
    private static readonly DropboxSpecValidator Validator = new();

    private static FakeRequest Request(string path, string? body = null, Dictionary<string, string>? headers = null, string? contentType = "application/json") =>
        new(DateTimeOffset.UnixEpoch, "POST", path, new Dictionary<string, string>(),
            headers ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Authorization"] = "Bearer t" }, contentType, body);

    private const string ListResult = """
        {"entries": [{".tag": "file", "name": "a.txt", "id": "id:abc", "path_lower": "/a.txt", "path_display": "/a.txt",
          "client_modified": "2026-11-22T10:00:00Z", "server_modified": "2026-11-22T10:00:00Z", "rev": "0123456789abcdef", "size": 3,
          "is_downloadable": true}],
         "cursor": "c1", "has_more": false}
        """;

    [Fact]
    public void A_conforming_list_folder_result_passes()
    {
        Assert.Empty(Validator.ValidateResponse(Request("/api/2/files/list_folder"), 200, "application/json", ListResult));
    }

    [Fact]
    public void A_response_with_a_field_the_spec_lacks_fails()
    {
        var body = ListResult.Replace("\"is_downloadable\": true", "\"is_downloadable\": true, \"mime_type\": \"text/plain\"", StringComparison.Ordinal);

        var violations = Validator.ValidateResponse(Request("/api/2/files/list_folder"), 200, "application/json", body).ToList();

        Assert.Contains(violations, v => v.Contains("has no field \"mime_type\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_response_missing_a_required_field_fails()
    {
        var withoutHasMore = ListResult.Replace(", \"has_more\": false", "", StringComparison.Ordinal);
        var withoutRev = ListResult.Replace("\"rev\": \"0123456789abcdef\", ", "", StringComparison.Ordinal);

        Assert.Contains(Validator.ValidateResponse(Request("/api/2/files/list_folder"), 200, "application/json", withoutHasMore),
            v => v.Contains("requires field \"has_more\"", StringComparison.Ordinal));
        Assert.Contains(Validator.ValidateResponse(Request("/api/2/files/list_folder"), 200, "application/json", withoutRev),
            v => v.Contains("files.FileMetadata requires field \"rev\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("\"client_modified\": \"2026-11-22T10:00:00Z\"", "\"client_modified\": \"2026-11-22T10:00:00.123Z\"", "not a timestamp")]
    [InlineData("\"rev\": \"0123456789abcdef\"", "\"rev\": \"xyz\"", "shorter than 9")]
    [InlineData("\".tag\": \"file\"", "\".tag\": \"document\"", "needs a \".tag\"")]
    [InlineData("\"size\": 3", "\"size\": -3", "outside")]
    [InlineData("\"size\": 3", "\"size\": \"3\"", "expected an integer")]
    public void Wrong_values_types_and_tags_fail(string from, string to, string expected)
    {
        var body = ListResult.Replace(from, to, StringComparison.Ordinal);

        Assert.Contains(Validator.ValidateResponse(Request("/api/2/files/list_folder"), 200, "application/json", body), v => v.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_union_with_an_unknown_tag_or_a_stray_member_fails()
    {
        const string Route = "/api/2/sharing/list_shared_links";
        const string Link = """
            {"links": [{".tag": "folder", "url": "https://x", "id": "id:abc", "name": "A", "path_lower": "/a",
              "link_permissions": {"effective_audience": {".tag": "AUDIENCE"}, "can_revoke": true, "visibility_policies": [], "can_set_expiry": true,
              "can_remove_expiry": true, "allow_download": true, "can_allow_download": true, "can_disallow_download": true, "allow_comments": true,
              "team_restricts_comments": false}}], "has_more": false}
            """;

        Assert.Empty(Validator.ValidateResponse(Request(Route), 200, "application/json", Link.Replace("AUDIENCE", "public", StringComparison.Ordinal)));
        Assert.Contains(Validator.ValidateResponse(Request(Route), 200, "application/json", Link.Replace("AUDIENCE", "everyone", StringComparison.Ordinal)),
            v => v.Contains("has no tag \"everyone\"", StringComparison.Ordinal));
        Assert.Contains(Validator.ValidateResponse(Request(Route), 200, "application/json",
                Link.Replace("{\".tag\": \"AUDIENCE\"}", "{\".tag\": \"public\", \"extra\": 1}", StringComparison.Ordinal)),
            v => v.Contains("is void but has \"extra\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Requests_must_use_the_routes_host_style_and_argument_type()
    {
        Assert.Empty(Validator.ValidateRequest(Request("/api/2/files/list_folder", """{"path": "", "recursive": true, "limit": 10}""")));
        Assert.Contains(Validator.ValidateRequest(Request("/content/2/files/list_folder", """{"path": ""}""")),
            v => v.Contains("served by the api host", StringComparison.Ordinal));
        Assert.Contains(Validator.ValidateRequest(Request("/api/2/files/list_folder", """{"path": "", "limit": 5000}""")),
            v => v.Contains("outside", StringComparison.Ordinal));
        Assert.Contains(Validator.ValidateRequest(Request("/api/2/files/list_folder", """{"path": "", "page_size": 5}""")),
            v => v.Contains("has no field \"page_size\"", StringComparison.Ordinal));
        Assert.Contains(Validator.ValidateRequest(Request("/api/2/files/list_folder_everything", "{}")),
            v => v.Contains("no route", StringComparison.Ordinal));
        Assert.Contains(Validator.ValidateRequest(Request("/content/2/files/upload", "", contentType: "application/octet-stream")),
            v => v.Contains("Dropbox-API-Arg", StringComparison.Ordinal));
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Authorization"] = "Bearer t", ["Dropbox-API-Arg"] = """{"path": "/ü.txt"}""" };
        Assert.Contains(Validator.ValidateRequest(Request("/content/2/files/upload", null, headers, "application/octet-stream")),
            v => v.Contains("must be ASCII", StringComparison.Ordinal));
        Assert.Contains(Validator.ValidateRequest(Request("/api/2/users/get_current_account", null, new Dictionary<string, string>())),
            v => v.Contains("needs Authorization", StringComparison.Ordinal));
    }

    [Fact]
    public void Errors_must_use_the_routes_error_type_in_dropboxs_envelope()
    {
        var route = Validator.Spec.Route("/2/files/download")!;

        Assert.Empty(Validator.ValidateResponse(route, 409, "application/json",
            """{"error_summary": "path/not_found/..", "error": {".tag": "path", "path": {".tag": "not_found"}}}"""));
        Assert.Contains(Validator.ValidateResponse(route, 409, "application/json",
            """{"error_summary": "path/missing/", "error": {".tag": "path", "path": {".tag": "missing"}}}"""), v => v.Contains("no tag \"missing\"", StringComparison.Ordinal));
        Assert.Contains(Validator.ValidateResponse(route, 409, "application/json", """{"error": {".tag": "other"}, "message": "x"}"""),
            v => v.Contains("no field \"message\"", StringComparison.Ordinal));
        Assert.Empty(Validator.ValidateResponse(route, 429, "application/json", DropboxFake.RateLimitBody(3).ToJsonString()));
        Assert.Contains(Validator.ValidateResponse(route, 429, "application/json", """{"error_summary": "too_many_requests/", "error": {"retry_after": 3}}"""),
            v => v.Contains("requires field \"reason\"", StringComparison.Ordinal));
        Assert.Contains(Validator.ValidateResponse(route, 400, "application/json", "{}"), v => v.Contains("plain text", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_fake_host_reports_a_response_that_drifts_from_the_spec()
    {
        var bed = await DropboxTestBed.StartAsync(pageSize: 10);
        await using var _ = bed.Bed;
        bed.Fake.Tree.SeedStandard(3);
        bed.Fake.ResponseTamper = (path, body) =>
        {
            if (path.EndsWith("/files/list_folder", StringComparison.Ordinal) && body is JsonObject result)
            {
                result["entries"]![0]!.AsObject()["thumbnail"] = "https://example.com/t.png";
                result.Remove("has_more");
            }
        };

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var _ in bed.Connector.ReadChangesAsync(bed.Bed.Context, null, TestContext.Current.CancellationToken))
            {
            }
        });

        var error = Assert.Throws<Xunit.Sdk.XunitException>(bed.Bed.World.AssertConformant);
        Assert.Contains("has no field \"thumbnail\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("requires field \"has_more\"", error.Message, StringComparison.Ordinal);
    }
}
