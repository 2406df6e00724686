using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Tributary.Server.Conventions;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Conventions;

/// <summary>Request bodies through generate-key: every way a body can be wrong is a 400 or 415 that says what to fix.</summary>
public sealed class JsonBodyTests
{
    private const string GenerateKey = "/api/filestorage/v1/generate-key";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task GenerateKey_Returns400WithConciseMessage_WhenJsonMalformed(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);
        string[] malformed = ["{", "{\"name\":", "{\"name\": \"a\",}", "{'name': 'a'}", "not json", "{\"name\": \"a\"} trailing", "{\"name\": \"unterminated}", "\u00ef\u00bb"];

        foreach (var body in malformed)
        {
            var response = await client.PostAsync(GenerateKey, Json(body), Ct);
            var message = await response.AssertFieldErrorAsync("non_field_errors");
            Assert.StartsWith("Invalid JSON", message, StringComparison.Ordinal);
            Assert.DoesNotContain("LineNumber", message, StringComparison.Ordinal);
            Assert.DoesNotContain("BytePosition", message, StringComparison.Ordinal);
            Assert.DoesNotContain("Path:", message, StringComparison.Ordinal);
            Assert.DoesNotContain("System.", message, StringComparison.Ordinal);
            Assert.True(message.Length < 200, message);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task GenerateKey_Returns400SayingStringExpected_WhenNameHasWrongType(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);

        foreach (var body in new[] { "{\"name\": 5}", "{\"name\": []}", "{\"name\": [\"a\"]}", "{\"name\": {}}", "{\"name\": true}", "{\"name\": 1.5}" })
        {
            var message = await (await client.PostAsync(GenerateKey, Json(body), Ct)).AssertFieldErrorAsync("name");
            Assert.Equal("Invalid value: expected a string.", message);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task GenerateKey_Returns400SayingObjectExpected_WhenBodyIsNotAnObject(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);

        foreach (var body in new[] { "[]", "[{\"name\": \"a\"}]", "null", "\"str\"", "5", "true" })
        {
            var message = await (await client.PostAsync(GenerateKey, Json(body), Ct)).AssertFieldErrorAsync("non_field_errors");
            Assert.Contains("JSON object", message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task GenerateKey_Returns400NamingName_WhenNameMissingBlankOrTooLong(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);
        var tooLong = new string('n', 201);

        foreach (var body in new[] { "{}", "{\"other\": \"x\"}", "{\"name\": null}", "{\"name\": \"\"}", "{\"name\": \"   \"}", $"{{\"name\": \"{tooLong}\"}}", "{\"name\": \"a\\u0000b\"}" })
        {
            await (await client.PostAsync(GenerateKey, Json(body), Ct)).AssertFieldErrorAsync("name");
        }

        var longest = await client.PostAsync(GenerateKey, Json($"{{\"name\": \"{new string('n', 200)}\"}}"), Ct);
        Assert.Equal(HttpStatusCode.OK, longest.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task GenerateKey_Succeeds_WhenBodyHasUnknownKeysAndCharset(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);

        var response = await client.PostAsync(GenerateKey, Json("{\"name\": \"extra\", \"unknown\": {\"nested\": [1, 2]}}", "application/json; charset=utf-8"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("extra", (await response.JsonAsync()).GetProperty("name").GetString());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task GenerateKey_Returns415JsonDetail_WhenBodyHasNoOrWrongContentType(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);

        foreach (var contentType in new string?[] { null, "text/plain", "application/x-www-form-urlencoded", "application/xml" })
        {
            var response = await client.PostAsync(GenerateKey, Json("{\"name\": \"a\"}", contentType), Ct);
            var detail = await response.AssertDetailAsync(HttpStatusCode.UnsupportedMediaType);
            Assert.Contains("application/json", detail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task GenerateKey_Returns400_WhenBodyEmpty(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);

        // As the SDK sends a body-less POST: Content-Length 0 and no Content-Type. Not a 415.
        var bare = await client.PostAsync(GenerateKey, new ByteArrayContent([]), Ct);
        Assert.Contains("body is required", await bare.AssertFieldErrorAsync("non_field_errors"), StringComparison.Ordinal);
        var emptyJson = await client.PostAsync(GenerateKey, Json(""), Ct);
        await emptyJson.AssertFieldErrorAsync("non_field_errors");
        var whitespace = await client.PostAsync(GenerateKey, Json("   \n"), Ct);
        await whitespace.AssertFieldErrorAsync("non_field_errors");
    }

    [Theory]
    [InlineData("{\"name\": 5}", "name", "Invalid value: expected a string.")]
    [InlineData("{\"count\": \"5\"}", "count", "Invalid value: expected an integer.")]
    [InlineData("{\"count\": 1.5}", "count", "Invalid value: expected an integer.")]
    [InlineData("{\"enabled\": \"yes\"}", "enabled", "Invalid value: expected a boolean (true or false).")]
    [InlineData("{\"at\": \"soon\"}", "at", "Invalid value: expected an ISO 8601 datetime.")]
    [InlineData("{\"id\": \"nope\"}", "id", "Invalid value: expected a UUID string.")]
    [InlineData("{\"tags\": \"a\"}", "tags", "Invalid value: expected a list.")]
    [InlineData("{\"tags\": [1]}", "tags[0]", "Invalid value: expected a string.")]
    [InlineData("{\"model\": []}", "model", "Invalid value: expected a JSON object.")]
    [InlineData("{\"model\": {\"size\": \"big\"}}", "model.size", "Invalid value: expected an integer.")]
    [InlineData("{\"models\": [{\"size\": true}]}", "models[0].size", "Invalid value: expected an integer.")]
    [InlineData("{\"extra\": {\"k\": 1}}", "extra.k", "Invalid value: expected a string.")]
    public void ToValidationException_NamesFieldAndExpectedType_WhenValueHasWrongType(string json, string field, string message)
    {
        var error = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Sample>(json, ApiJson.Options));

        var validation = JsonBody.ToValidationException(error, typeof(Sample));

        Assert.Equal(message, Assert.Single(validation.Errors[field]));
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"name\": \"a\",}")]
    [InlineData("{\"name\": nul}")]
    [InlineData("{\"name\": \"a\"} x")]
    public void ToValidationException_IsConciseNonFieldError_WhenSyntaxInvalid(string json)
    {
        var error = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Sample>(json, ApiJson.Options));

        var validation = JsonBody.ToValidationException(error, typeof(Sample));

        var message = Assert.Single(validation.Errors["non_field_errors"]);
        Assert.Matches(@"^Invalid JSON: [^|]+ \(line 1, byte \d+\)\.$", message);
    }

    private sealed record SampleModel(int Size);

    private sealed record Sample(
        string? Name, int Count, bool Enabled, DateTime At, Guid Id, IReadOnlyList<string>? Tags,
        SampleModel? Model, IReadOnlyList<SampleModel>? Models, Dictionary<string, string>? Extra);

    private static ByteArrayContent Json(string body, string? contentType = "application/json")
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        return content;
    }
}
