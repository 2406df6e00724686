using Tributary.Integrations.FileStorage;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.GoogleDrive;

/// <summary>The Drive spec check bites: drift in paths, parameters, fields, keys, types and enums is reported.</summary>
public sealed class DriveDiscoveryValidatorTests
{
    private readonly DriveDiscoveryValidator _validator = new();

    private static FakeRequest Get(string path, params (string Name, string Value)[] query) => Request("GET", path, query);

    private static FakeRequest Request(string method, string path, (string Name, string Value)[] query, string? contentType = null, string? body = null,
        params (string Name, string Value)[] headers) =>
        new(DateTimeOffset.UnixEpoch, method, path, query.ToDictionary(q => q.Name, q => q.Value, StringComparer.Ordinal),
            headers.ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase), contentType, body);

    private const string GoodFile =
        """{"id":"1abc","name":"a.txt","mimeType":"text/plain","size":"12","parents":["0Aroot"],"modifiedTime":"2025-01-02T03:04:05.000Z","permissions":[{"id":"123","type":"user","role":"writer"}]}""";

    [Fact]
    public void A_conformant_exchange_passes()
    {
        var request = Get("/drive/v3/files", ("pageSize", "10"), ("supportsAllDrives", "true"), ("fields", "nextPageToken,files(id,name,mimeType,size,parents,modifiedTime,permissions(id,type,role))"));

        Assert.Empty(_validator.ValidateRequest(request));
        Assert.Empty(_validator.ValidateResponse(request, 200, "application/json", $$"""{"nextPageToken":"x","files":[{{GoodFile}}]}"""));
    }

    [Fact]
    public void A_response_field_the_spec_lacks_is_drift()
    {
        var request = Get("/drive/v3/files/1abc");

        var problems = _validator.ValidateResponse(request, 200, "application/json", GoodFile.Replace("\"size\"", "\"sizeBytes\"", StringComparison.Ordinal)).ToList();

        Assert.Contains(problems, p => p.Contains("sizeBytes is not a property of File", StringComparison.Ordinal));
    }

    [Fact]
    public void A_response_missing_a_required_field_fails()
    {
        var request = Get("/drive/v3/files", ("fields", "files(id,name,mimeType)"));

        var problems = _validator.ValidateResponse(request, 200, "application/json", """{"files":[{"name":"a.txt","mimeType":"text/plain"}]}""").ToList();

        Assert.Contains(problems, p => p.Contains("lacks \"id\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_change_list_must_end_with_exactly_one_token()
    {
        var request = Get("/drive/v3/changes", ("pageToken", "5"));

        Assert.NotEmpty(_validator.ValidateResponse(request, 200, "application/json", """{"changes":[]}"""));
        Assert.NotEmpty(_validator.ValidateResponse(request, 200, "application/json", """{"changes":[],"nextPageToken":"6","newStartPageToken":"7"}"""));
        Assert.Empty(_validator.ValidateResponse(request, 200, "application/json", """{"changes":[],"newStartPageToken":"7"}"""));
    }

    [Fact]
    public void Types_and_documented_values_are_checked()
    {
        var request = Get("/drive/v3/files/1abc");

        var problems = _validator.ValidateResponse(request, 200, "application/json",
            """{"id":"1abc","name":"a","mimeType":"text/plain","size":12,"trashed":"no","permissions":[{"id":"1","type":"everyone","role":"editor"}]}""").ToList();

        Assert.Contains(problems, p => p.Contains(".size should be a string", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains(".trashed should be a boolean", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("\"everyone\" is not one of", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("\"editor\" is not one of", StringComparison.Ordinal));
    }

    [Fact]
    public void A_field_returned_without_being_selected_fails()
    {
        var request = Get("/drive/v3/files/1abc", ("fields", "id,name,mimeType"));

        var problems = _validator.ValidateResponse(request, 200, "application/json", GoodFile).ToList();

        Assert.Contains(problems, p => p.Contains("size was returned but the request's fields did not select it", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_paths_parameters_and_fields_are_reported()
    {
        Assert.Contains(_validator.ValidateRequest(Get("/drive/v3/folders")), p => p.Contains("no Discovery method", StringComparison.Ordinal));
        Assert.Contains(_validator.ValidateRequest(Request("DELETE", "/drive/v3/changes", [])), p => p.Contains("no Discovery method", StringComparison.Ordinal));
        Assert.Contains(_validator.ValidateRequest(Get("/drive/v3/files", ("recursive", "true"))), p => p.Contains("\"recursive\" is not declared", StringComparison.Ordinal));
        Assert.Contains(_validator.ValidateRequest(Get("/drive/v3/files", ("pageSize", "5000"))), p => p.Contains("above the maximum 1000", StringComparison.Ordinal));
        Assert.Contains(_validator.ValidateRequest(Get("/drive/v3/files", ("supportsAllDrives", "yes"))), p => p.Contains("true or false", StringComparison.Ordinal));
        Assert.Contains(_validator.ValidateRequest(Get("/drive/v3/files", ("alt", "xml"))), p => p.Contains("not one of", StringComparison.Ordinal));
        Assert.Contains(_validator.ValidateRequest(Get("/drive/v3/files", ("fields", "files(id,title)"))), p => p.Contains("\"title\", which", StringComparison.Ordinal));
        Assert.Contains(_validator.ValidateRequest(Get("/drive/v3/files/1abc/export")), p => p.Contains("required query parameter \"mimeType\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Request_bodies_and_upload_protocols_are_checked()
    {
        Assert.Contains(_validator.ValidateRequest(Request("POST", "/drive/v3/files", [], "application/json", """{"name":"x","folder":true}""")),
            p => p.Contains("folder is not a property of File", StringComparison.Ordinal));
        Assert.Contains(_validator.ValidateRequest(Request("POST", "/upload/drive/v3/files", [("uploadType", "chunked")])),
            p => p.Contains("uploadType=media|multipart|resumable", StringComparison.Ordinal));
        var session = new[] { ("uploadType", "resumable"), ("upload_id", "abc") };
        Assert.Contains(_validator.ValidateRequest(Request("PUT", "/upload/drive/v3/files", session, headers: ("Content-Range", "bytes 0-99999/*"))),
            p => p.Contains("multiples of 256 KiB", StringComparison.Ordinal));
        Assert.Empty(_validator.ValidateRequest(Request("PUT", "/upload/drive/v3/files", session, headers: ("Content-Range", "bytes 0-262143/*"))));
        Assert.Empty(_validator.ValidateRequest(Request("PUT", "/upload/drive/v3/files", session, headers: ("Content-Range", "bytes 262144-262200/262201"))));
    }

    [Fact]
    public void Error_responses_must_use_Google_s_envelope()
    {
        var request = Get("/drive/v3/files/1abc");

        Assert.Empty(_validator.ValidateResponse(request, 404, "application/json",
            """{"error":{"code":404,"message":"File not found: 1abc.","errors":[{"message":"File not found: 1abc.","domain":"global","reason":"notFound","location":"fileId","locationType":"parameter"}]}}"""));
        Assert.NotEmpty(_validator.ValidateResponse(request, 404, "application/json", """{"error":"not_found"}"""));
    }

    /// <summary>Through the fake host: a fake that starts sending a field the spec lacks fails the test that used it.</summary>
    [Fact]
    public async Task A_drifting_fake_fails_the_conformance_assertion()
    {
        var (bed, fake) = await GoogleDriveFake.StartAsync(tree => tree.SeedStandard(3), GoogleDriveComplianceTests.TestOptions);
        await using var _ = bed;
        fake.AlterFile = file => file["sizeInBytes"] = "12";

        await foreach (var page in bed.Connector.ReadChangesAsync(bed.Context, null, TestContext.Current.CancellationToken))
        {
            Assert.NotNull(page);
        }

        var error = Assert.Throws<Xunit.Sdk.XunitException>(bed.World.AssertConformant);
        Assert.Contains("sizeInBytes is not a property of File", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fake_dropping_a_required_field_fails_the_conformance_assertion()
    {
        var (bed, fake) = await GoogleDriveFake.StartAsync(tree => tree.SeedStandard(3), GoogleDriveComplianceTests.TestOptions);
        await using var _ = bed;
        fake.AlterFile = file => file.Remove("mimeType");

        await foreach (var page in bed.Connector.ReadChangesAsync(bed.Context, null, TestContext.Current.CancellationToken))
        {
            Assert.IsType<ChangePage>(page);
        }

        var error = Assert.Throws<Xunit.Sdk.XunitException>(bed.World.AssertConformant);
        Assert.Contains("lacks \"mimeType\"", error.Message, StringComparison.Ordinal);
    }
}
