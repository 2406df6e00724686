using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tributary.Server.Hosting;
using Tributary.Server.Organization;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Hosting;

public sealed class OpenApiDocumentTests
{
    private const string Base = "/api/{category}/v1";

    private static async Task<JsonElement> FetchDocumentAsync(TributaryApplication app)
    {
        using var client = app.CreateClient();
        return await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json", TestContext.Current.CancellationToken);
    }

    private static Dictionary<string, JsonElement> Parameters(JsonElement operation, string location) =>
        operation.TryGetProperty("parameters", out var parameters)
            ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == location)
                .ToDictionary(p => p.GetProperty("name").GetString()!, p => p)
            : [];

    private static List<string> Enum(JsonElement parameter) =>
        parameter.GetProperty("schema").GetProperty("enum").EnumerateArray().Select(v => v.GetString()!).ToList();

    private static string? Ref(JsonElement response) =>
        response.GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString();

    [Fact]
    public async Task EveryApiOperation_HasBearerSecurity_CategoryEnum_AndErrorResponses()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var document = await FetchDocumentAsync(app);

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        var error = document.GetProperty("components").GetProperty("schemas").GetProperty("Error");
        Assert.Equal("string", error.GetProperty("properties").GetProperty("detail").GetProperty("type").GetString());

        var operations = document.GetProperty("paths").EnumerateObject()
            .Where(p => p.Name.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Path: p.Name, Method: o.Name, Operation: o.Value)))
            .ToList();
        Assert.Contains(operations, o => o.Path == $"{Base}/generate-key" && o.Method == "post");
        Assert.Contains(operations, o => o.Path == $"{Base}/audit-trail" && o.Method == "get");
        foreach (var (path, method, operation) in operations)
        {
            if (path.Contains("/signed-downloads/", StringComparison.Ordinal))
            {
                // The signed link is its own credential, so it can be handed to a browser.
                Assert.False(operation.TryGetProperty("security", out _), $"{method} {path} must not ask for an API key");
                continue;
            }
            var security = Assert.Single(operation.GetProperty("security").EnumerateArray());
            Assert.True(security.TryGetProperty("ApiKey", out _), $"{method} {path} lacks the ApiKey security requirement");

            if (path.Contains("{category}", StringComparison.Ordinal))
            {
                var category = Parameters(operation, "path")["category"];
                Assert.True(category.GetProperty("required").GetBoolean());
                Assert.Equal(TributaryServer.Categories, Enum(category));
            }

            var responses = operation.GetProperty("responses");
            Assert.Equal("#/components/schemas/Error", Ref(responses.GetProperty("401")));
            Assert.True(responses.TryGetProperty("200", out var success) || responses.TryGetProperty("201", out success),
                $"{method} {path} has no success response");
            // Only delete-account answers with an empty body (Merge's SDK accepts exactly that there),
            // and a download with the file's own bytes.
            if (!path.EndsWith("/delete-account", StringComparison.Ordinal) && !path.EndsWith("/download", StringComparison.Ordinal))
            {
                Assert.True(success.GetProperty("content").GetProperty("application/json").TryGetProperty("schema", out _),
                    $"{method} {path} documents no JSON body for its success response");
            }
        }
    }

    [Fact]
    public async Task ListOperations_DocumentTheirQueryParameters()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var paths = (await FetchDocumentAsync(app)).GetProperty("paths");

        var accounts = paths.GetProperty($"{Base}/linked-accounts").GetProperty("get");
        var query = Parameters(accounts, "query");
        Assert.Equal(
            ["cursor", "page_size", "category", "end_user_email_address", "end_user_organization_name", "end_user_origin_id",
             "end_user_origin_ids", "id", "ids", "integration_name", "is_test_account", "status"],
            query.Keys);
        var pageSize = query["page_size"].GetProperty("schema");
        Assert.Equal("integer", pageSize.GetProperty("type").GetString());
        Assert.Equal(1, pageSize.GetProperty("minimum").GetInt32());
        Assert.Equal(100, pageSize.GetProperty("maximum").GetInt32());
        Assert.Equal(["COMPLETE", "INCOMPLETE", "RELINK_NEEDED", "IDLE"], Enum(query["status"]));
        Assert.Contains("filestorage", Enum(query["category"]));
        var ids = query["ids"].GetProperty("schema");
        Assert.Equal("array", ids.GetProperty("type").GetString());
        Assert.Equal("uuid", ids.GetProperty("items").GetProperty("format").GetString());
        Assert.False(query["ids"].GetProperty("explode").GetBoolean());
        Assert.All(query.Values, p => Assert.False(string.IsNullOrWhiteSpace(p.GetProperty("description").GetString())));
        Assert.Equal("#/components/schemas/PaginatedOfAccountDetailsAndActionsDto", Ref(accounts.GetProperty("responses").GetProperty("200")));
        Assert.True(accounts.GetProperty("responses").TryGetProperty("400", out _));

        var trail = paths.GetProperty($"{Base}/audit-trail").GetProperty("get");
        var trailQuery = Parameters(trail, "query");
        Assert.Equal(["cursor", "page_size", "start_date", "end_date", "event_type", "user_email"], trailQuery.Keys);
        Assert.Equal("date-time", trailQuery["start_date"].GetProperty("schema").GetProperty("format").GetString());
        Assert.Equal(AuditEventTypes.All, Enum(trailQuery["event_type"]));
        Assert.Empty(Parameters(trail, "header"));
    }

    [Fact]
    public async Task AccountScopedOperations_RequireXAccountToken_AndDocumentRateLimits()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var paths = (await FetchDocumentAsync(app)).GetProperty("paths");

        var details = paths.GetProperty($"{Base}/account-details").GetProperty("get");
        var header = Parameters(details, "header")["X-Account-Token"];
        Assert.True(header.GetProperty("required").GetBoolean());
        var throttled = details.GetProperty("responses").GetProperty("429");
        Assert.Equal("#/components/schemas/Error", Ref(throttled));
        Assert.True(throttled.GetProperty("headers").TryGetProperty("Retry-After", out _));
        Assert.True(details.GetProperty("responses").TryGetProperty("404", out _));

        var list = paths.GetProperty($"{Base}/linked-accounts").GetProperty("get");
        Assert.Empty(Parameters(list, "header"));
        Assert.False(list.GetProperty("responses").TryGetProperty("429", out _));
    }

    [Fact]
    public async Task KeyOperations_DocumentTheirBodies_AndWhatCanGoWrong()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var document = await FetchDocumentAsync(app);
        var paths = document.GetProperty("paths");

        foreach (var name in new[] { "generate-key", "regenerate-key" })
        {
            var operation = paths.GetProperty($"{Base}/{name}").GetProperty("post");
            var body = operation.GetProperty("requestBody");
            Assert.True(body.GetProperty("required").GetBoolean());
            Assert.Equal("#/components/schemas/KeyNameRequest",
                body.GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
            var responses = operation.GetProperty("responses");
            Assert.Equal("#/components/schemas/RemoteKey", Ref(responses.GetProperty("200")));
            var invalid = responses.GetProperty("400").GetProperty("content").GetProperty("application/json").GetProperty("schema");
            Assert.Contains(invalid.GetProperty("anyOf").EnumerateArray(), s => s.GetProperty("$ref").GetString() == "#/components/schemas/ValidationError");
            Assert.True(responses.TryGetProperty("413", out _));
            Assert.True(responses.TryGetProperty("415", out _));
        }
        Assert.True(paths.GetProperty($"{Base}/generate-key").GetProperty("post").GetProperty("responses").TryGetProperty("403", out _));
        Assert.True(document.GetProperty("components").GetProperty("schemas").GetProperty("KeyNameRequest")
            .GetProperty("properties").TryGetProperty("name", out _));
    }

    [Fact]
    public async Task DocumentedEnums_AreAccepted_AndTheCategoryRouteMatchesTheDocumentedCategories()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        var list = (await FetchDocumentAsync(app)).GetProperty("paths").GetProperty($"{Base}/linked-accounts").GetProperty("get");
        var query = Parameters(list, "query");
        using var client = app.CreateApiClient(org.ProductionKey);

        foreach (var category in Enum(Parameters(list, "path")["category"]))
        {
            foreach (var status in Enum(query["status"]))
            {
                var response = await client.GetAsync($"/api/{category}/v1/linked-accounts?status={status}&category={category}", ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/nosuchcategory/v1/linked-accounts", ct)).StatusCode);

        var alternatives = Regex.Match(TributaryServer.CategoryPattern, @"\^\((.*)\)\$").Groups[1].Value.Split('|');
        Assert.Equal(alternatives.Order(StringComparer.Ordinal), TributaryServer.Categories.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task DocsPage_IsHtml_ThatLoadsTheDocument()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        using var client = app.CreateClient();

        var response = await client.GetAsync("/docs", ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync(ct);
        Assert.Contains("swagger-ui", html, StringComparison.Ordinal);
        // The page's script holds the configuration that points Swagger UI at the document.
        Assert.Contains("<script src=\"index.js\"", html, StringComparison.Ordinal);
        var script = await client.GetStringAsync("/docs/index.js", ct);
        Assert.Contains("\"url\":\"/openapi/v1.json\"", script, StringComparison.Ordinal);
    }
}
