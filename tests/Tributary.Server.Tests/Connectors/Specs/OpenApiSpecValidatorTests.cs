using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.Specs;

/// <summary>
/// The generic OpenAPI validator, exercised with Box's description and Box-shaped traffic: it must pass
/// what Box really sends and bite on drift (an unknown field, a missing required one, a wrong enum or type).
/// </summary>
public sealed class OpenApiSpecValidatorTests
{
    private static readonly Lazy<OpenApiSpecValidator> Box = new(() =>
    {
        var options = new OpenApiSpecValidatorOptions();
        // Box adds the fields asked for with ?fields= to a folder's mini representation in listings.
        options.SchemaSubstitutions["Folder--Mini"] = "Folder--Full";
        return new OpenApiSpecValidator(ProviderSpecs.File("box/openapi.json"), options);
    });

    private const string ConformantListing = """
        {
          "total_count": 2, "limit": 100, "offset": 0,
          "order": [{"by": "type", "direction": "ASC"}],
          "entries": [
            {"type": "folder", "id": "11", "etag": "0", "sequence_id": "0", "name": "Reports",
             "modified_at": "2026-01-02T03:04:05-08:00", "parent": {"type": "folder", "id": "0", "name": "All Files", "etag": null, "sequence_id": null}},
            {"type": "file", "id": "12", "etag": "1", "sequence_id": "1", "name": "a.txt", "size": 42,
             "sha1": "85136C79CBF9FE36BB9D05D0639C70C265C18D37", "item_status": "active",
             "modified_at": "2026-01-02T03:04:05Z", "file_version": {"type": "file_version", "id": "99", "sha1": "85136C79CBF9FE36BB9D05D0639C70C265C18D37"}}
          ]
        }
        """;

    [Fact]
    public void A_conformant_Box_listing_passes()
    {
        var request = Get("/2.0/folders/0/items", ("limit", "100"), ("offset", "0"), ("fields", "name,size,modified_at"));

        Assert.Empty(Box.Value.ValidateRequest(request));
        var violations = Box.Value.ValidateResponse(request, 200, "application/json", ConformantListing).ToList();
        Assert.True(violations.Count == 0, string.Join('\n', violations));
    }

    [Fact]
    public void A_field_the_spec_lacks_fails()
    {
        var body = ConformantListing.Replace("\"size\": 42,", "\"size\": 42, \"thumbnail_colour\": \"red\",", StringComparison.Ordinal);

        var violations = Box.Value.ValidateResponse(Get("/2.0/folders/0/items"), 200, "application/json", body).ToList();

        Assert.Contains(violations, v => v.Contains("thumbnail_colour", StringComparison.Ordinal) && v.Contains("not in the spec", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_required_field_fails()
    {
        var body = ConformantListing.Replace("\"type\": \"file\", \"id\": \"12\",", "\"type\": \"file\",", StringComparison.Ordinal);

        var violations = Box.Value.ValidateResponse(Get("/2.0/folders/0/items"), 200, "application/json", body).ToList();

        Assert.Contains(violations, v => v.Contains("required property 'id'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_top_level_unknown_field_and_a_missing_required_one_fail_on_a_plain_object()
    {
        var request = Get("/2.0/users/me");
        const string user = """{"type": "user", "id": "7", "name": "Ada", "login": "ada@example.com", "favourite_colour": "red"}""";
        const string nameless = """{"type": "user", "name": "Ada", "login": "ada@example.com"}""";

        Assert.Contains(Box.Value.ValidateResponse(request, 200, "application/json", user), v => v.Contains("$.favourite_colour", StringComparison.Ordinal));
        Assert.Contains(Box.Value.ValidateResponse(request, 200, "application/json", nameless), v => v.Contains("required property 'id'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_wrong_enum_value_or_type_fails()
    {
        var badEnum = ConformantListing.Replace("\"item_status\": \"active\"", "\"item_status\": \"archived\"", StringComparison.Ordinal);
        var badType = ConformantListing.Replace("\"size\": 42", "\"size\": \"42\"", StringComparison.Ordinal);
        var badDate = ConformantListing.Replace("2026-01-02T03:04:05Z", "yesterday", StringComparison.Ordinal);

        Assert.Contains(Box.Value.ValidateResponse(Get("/2.0/folders/0/items"), 200, "application/json", badEnum), v => v.Contains("archived", StringComparison.Ordinal));
        Assert.Contains(Box.Value.ValidateResponse(Get("/2.0/folders/0/items"), 200, "application/json", badType), v => v.Contains("size", StringComparison.Ordinal));
        Assert.Contains(Box.Value.ValidateResponse(Get("/2.0/folders/0/items"), 200, "application/json", badDate), v => v.Contains("date-time", StringComparison.Ordinal));
    }

    [Fact]
    public void Requests_outside_the_spec_fail()
    {
        Assert.Contains(Box.Value.ValidateRequest(Get("/2.0/folders/0/items", ("page_token", "x"))), v => v.Contains("'page_token' is not declared", StringComparison.Ordinal));
        Assert.Contains(Box.Value.ValidateRequest(Get("/2.0/folders/0/children")), v => v.Contains("no path in the spec", StringComparison.Ordinal));
        Assert.NotEmpty(Box.Value.ValidateRequest(Get("/v1.0/folders/0/items")));
        Assert.Contains(Box.Value.ValidateRequest(Request("PATCH", "/2.0/folders/0/items")), v => v.Contains("PATCH is not declared", StringComparison.Ordinal));
        Assert.Contains(Box.Value.ValidateRequest(Get("/2.0/events", ("stream_type", "everything"))), v => v.Contains("everything", StringComparison.Ordinal));
        Assert.Contains(Box.Value.ValidateRequest(Get("/2.0/folders/0/items", ("limit", "many"))), v => v.Contains("limit", StringComparison.Ordinal));
    }

    [Fact]
    public void An_upload_sent_to_the_API_host_instead_of_the_upload_host_fails()
    {
        var toApi = Request("POST", "/2.0/files/content", contentType: "multipart/form-data; boundary=x");
        var toUpload = Request("POST", "/api/2.0/files/content", contentType: "multipart/form-data; boundary=x");

        Assert.Contains(Box.Value.ValidateRequest(toApi), v => v.Contains("served under /api/2.0", StringComparison.Ordinal));
        Assert.Empty(Box.Value.ValidateRequest(toUpload));
    }

    [Fact]
    public void A_JSON_request_body_is_checked_against_the_request_schema()
    {
        var good = Request("POST", "/2.0/folders", "application/json", """{"name": "New", "parent": {"id": "0"}}""");
        var missingParent = Request("POST", "/2.0/folders", "application/json", """{"name": "New"}""");
        var extra = Request("POST", "/2.0/folders", "application/json", """{"name": "New", "parent": {"id": "0"}, "colour": "red"}""");

        Assert.Empty(Box.Value.ValidateRequest(good));
        Assert.Contains(Box.Value.ValidateRequest(missingParent), v => v.Contains("'parent'", StringComparison.Ordinal));
        Assert.Contains(Box.Value.ValidateRequest(extra), v => v.Contains("colour", StringComparison.Ordinal));
    }

    [Fact]
    public void A_form_body_is_checked_and_either_of_two_spec_entries_for_one_path_may_fit()
    {
        // Box describes POST /oauth2/token twice ("/oauth2/token" and "/oauth2/token#refresh").
        var refresh = Request("POST", "/oauth2/token", "application/x-www-form-urlencoded", "grant_type=refresh_token&refresh_token=r&client_id=c&client_secret=s");
        var unknownGrant = Request("POST", "/oauth2/token", "application/x-www-form-urlencoded", "grant_type=password&refresh_token=r&client_id=c&client_secret=s");

        Assert.Empty(Box.Value.ValidateRequest(refresh));
        Assert.Contains(Box.Value.ValidateRequest(unknownGrant), v => v.Contains("password", StringComparison.Ordinal));
    }

    [Fact]
    public void A_response_that_is_valid_for_no_declared_status_or_content_type_fails()
    {
        var request = Get("/2.0/users/me");

        Assert.Contains(Box.Value.ValidateResponse(request, 200, "text/html", "<html/>"), v => v.Contains("text/html", StringComparison.Ordinal));
        Assert.Contains(Box.Value.ValidateResponse(request, 200, "application/json", "{not json"), v => v.Contains("not valid JSON", StringComparison.Ordinal));
    }

    [Fact]
    public void Ignored_requests_and_mapped_paths_follow_the_options()
    {
        var options = new OpenApiSpecValidatorOptions
        {
            Ignore = r => r.Path.StartsWith("/download/", StringComparison.Ordinal),
            MapPath = (_, path) => path.Replace("/me/root", "/folders/0", StringComparison.Ordinal),
        };
        options.BasePaths.Add("/box");
        var validator = new OpenApiSpecValidator(ProviderSpecs.File("box/openapi.json"), options);

        Assert.Empty(validator.ValidateRequest(Get("/download/abc")));
        Assert.Empty(validator.ValidateRequest(Get("/box/me/root/items")));
        Assert.Empty(validator.ValidateRequest(Get("/2.0/me/root/items")));
    }

    private static FakeRequest Get(string path, params (string Key, string Value)[] query) => Request("GET", path, query: query);

    private static FakeRequest Request(string method, string path, string? contentType = null, string? body = null, (string Key, string Value)[]? query = null) =>
        new(DateTimeOffset.UnixEpoch, method, path,
            (query ?? []).ToDictionary(q => q.Key, q => q.Value, StringComparer.Ordinal),
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), contentType, body);
}
