using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.MicrosoftGraph;

/// <summary>The Graph validator passes what Graph sends and bites on drift, including inside <c>$batch</c>.</summary>
public sealed class GraphSpecValidatorTests
{
    private const string DeltaPage = """
        {
          "value": [
            {"id": "01ROOT", "name": "root", "root": {}, "folder": {"childCount": 1}, "parentReference": {"driveId": "b!abc", "driveType": "business"}},
            {"id": "01FILE", "name": "a.txt", "size": 3, "eTag": "\"{01FILE},1\"", "createdDateTime": "2026-11-22T10:00:00.000Z",
             "lastModifiedDateTime": "2026-11-22T10:00:00.000Z", "webUrl": "https://contoso.sharepoint.com/a.txt",
             "file": {"mimeType": "text/plain", "hashes": {"quickXorHash": "AAAA"}}, "parentReference": {"driveId": "b!abc", "id": "01ROOT"}},
            {"id": "01GONE", "deleted": {"state": "deleted"}, "parentReference": {"driveId": "b!abc", "id": "01ROOT"}}
          ],
          "@odata.deltaLink": "https://graph.microsoft.com/v1.0/drives/b!abc/items/01ROOT/delta?token=xyz"
        }
        """;

    private static readonly GraphSpecValidator Validator = GraphSpecValidator.Create();

    [Fact]
    public void A_conformant_delta_round_passes_with_and_without_a_token()
    {
        foreach (var request in new[] { Get("/v1.0/drives/b!abc/items/root/delta", ("$select", "id,name,file")), Get("/v1.0/drives/b!abc/items/01ROOT/delta", ("token", "xyz")) })
        {
            Assert.Empty(Validator.ValidateRequest(request));
            var violations = Validator.ValidateResponse(request, 200, "application/json", DeltaPage).ToList();
            Assert.True(violations.Count == 0, string.Join('\n', violations));
        }
    }

    [Fact]
    public void A_field_the_spec_lacks_fails()
    {
        var body = DeltaPage.Replace("\"size\": 3,", "\"size\": 3, \"colour\": \"red\",", StringComparison.Ordinal);

        var violations = Validator.ValidateResponse(Get("/v1.0/drives/b!abc/items/root/delta"), 200, "application/json", body).ToList();

        Assert.Contains(violations, v => v.Contains("colour", StringComparison.Ordinal) && v.Contains("not in the spec", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_required_field_fails()
    {
        var violations = Validator.ValidateResponse(Get("/v1.0/drives/b!abc/items/root/delta"), 410, "application/json",
            """{"error": {"code": "resyncRequired"}}""").ToList();

        Assert.Contains(violations, v => v.Contains("required property 'message'", StringComparison.Ordinal));
    }

    [Fact]
    public void Drift_inside_a_batch_sub_response_fails()
    {
        var batch = new FakeRequest(DateTimeOffset.UnixEpoch, "POST", "/v1.0/$batch", new Dictionary<string, string>(), new Dictionary<string, string>(),
            "application/json", """{"requests": [{"id": "1", "method": "GET", "url": "/drives/b!abc/items/01FILE/permissions"}]}""");
        const string answer = """
            {"responses": [{"id": "1", "status": 200, "headers": {"Content-Type": "application/json"},
              "body": {"value": [{"id": "p1", "roles": ["read"], "link": {"scope": "anonymous", "type": "view", "audience": "everyone"}}]}}]}
            """;

        Assert.Empty(Validator.ValidateRequest(batch));
        var violations = Validator.ValidateResponse(batch, 200, "application/json", answer).ToList();

        Assert.Contains(violations, v => v.Contains("audience", StringComparison.Ordinal) && v.Contains("$batch 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Undeclared_paths_and_query_parameters_fail()
    {
        Assert.NotEmpty(Validator.ValidateRequest(Get("/v1.0/drives/b!abc/items/root/deltas")));
        Assert.Contains(Validator.ValidateRequest(Get("/v1.0/drives/b!abc/items/root/delta", ("colour", "red"))), v => v.Contains("colour", StringComparison.Ordinal));
        var batch = new FakeRequest(DateTimeOffset.UnixEpoch, "POST", "/v1.0/$batch", new Dictionary<string, string>(), new Dictionary<string, string>(),
            "application/json", """{"requests": [{"id": "1", "method": "GET", "url": "/drives/b!abc/items/01FILE/permissionz"}]}""");
        Assert.NotEmpty(Validator.ValidateRequest(batch));
    }

    [Fact]
    public void Colon_addressed_uploads_are_checked_as_the_item_they_address()
    {
        var simple = new FakeRequest(DateTimeOffset.UnixEpoch, "PUT", "/v1.0/drives/b!abc/items/01PARENT:/hello.txt:/content",
            new Dictionary<string, string> { ["@microsoft.graph.conflictBehavior"] = "rename" }, new Dictionary<string, string>(), "application/octet-stream", null);
        var session = new FakeRequest(DateTimeOffset.UnixEpoch, "POST", "/v1.0/drives/b!abc/items/root:/big.bin:/createUploadSession",
            new Dictionary<string, string>(), new Dictionary<string, string>(), "application/json",
            """{"item": {"@microsoft.graph.conflictBehavior": "rename", "name": "big.bin", "fileSize": 5}}""");

        Assert.Empty(Validator.ValidateRequest(simple));
        Assert.Empty(Validator.ValidateRequest(session));
        Assert.NotEmpty(Validator.ValidateRequest(session with { Body = """{"item": {"name": "big.bin", "sizeInBytes": 5}}""" }));
    }

    private static FakeRequest Get(string path, params (string Key, string Value)[] query) =>
        new(DateTimeOffset.UnixEpoch, "GET", path, query.ToDictionary(q => q.Key, q => q.Value), new Dictionary<string, string>(), null, null);
}

/// <summary>The fake host really runs the Graph validator over live traffic: an off-spec call is recorded and fails the assertion.</summary>
public sealed class GraphFakeConformanceTests
{
    [Fact]
    public async Task Off_spec_traffic_to_the_fake_fails_AssertConformant()
    {
        var fake = await GraphFake.StartAsync(GraphFlavor.OneDrive, 10, GraphSpecValidator.Create());
        await using var host = fake.Host;
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{fake.ApiBase}/drives/{Uri.EscapeDataString(fake.Tree.Drives[0].Id)}/items/root/delta?colour=red");
        request.Headers.Authorization = new("Bearer", fake.Tokens.Grant().GetProperty("access_token").GetString());

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.True(response.IsSuccessStatusCode);
        var error = Assert.ThrowsAny<Exception>(host.AssertConformant);
        Assert.Contains("colour", error.Message, StringComparison.Ordinal);
    }
}
