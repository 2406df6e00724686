using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Conventions;

/// <summary>How Merge's clients address the API: slashes, categories, unknown parameters, methods.</summary>
public sealed class MergeConventionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Endpoints_Answer_WithAndWithoutTrailingSlash(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        using var client = app.CreateApiClient(org.ProductionKey, account.Token);

        foreach (var path in new[] { "audit-trail", "linked-accounts", "account-details" })
        {
            var bare = await client.GetAsync($"/api/filestorage/v1/{path}", Ct);
            var slashed = await client.GetAsync($"/api/filestorage/v1/{path}/", Ct);
            Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
            Assert.Equal(HttpStatusCode.OK, slashed.StatusCode);
            await slashed.JsonAsync();
        }
        var withQuery = await client.GetAsync("/api/filestorage/v1/linked-accounts/?page_size=1", Ct);
        Assert.Single((await withQuery.JsonAsync()).Ids());
        var generated = await client.PostAsJsonAsync("/api/filestorage/v1/generate-key/", new { name = "slashed" }, Ct);
        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Endpoints_Answer_UnderEveryMergeCategory(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);

        foreach (var category in new[] { "filestorage", "hris", "ats", "accounting", "ticketing", "crm", "mktg" })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/{category}/v1/audit-trail", Ct)).StatusCode);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Endpoints_Answer200_WhenQueryHasUnknownParameters(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        using var client = app.CreateApiClient(org.ProductionKey, account.Token);
        const string unknown = "custom_param=x&include_remote_data=maybe&expand=whatever&remote_id=&%E2%9C%93=%E2%9C%93&flag";

        var accounts = await client.GetAsync($"/api/filestorage/v1/linked-accounts?{unknown}", Ct);
        Assert.Equal([account.Id], (await accounts.JsonAsync()).Ids());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/filestorage/v1/audit-trail?{unknown}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/filestorage/v1/account-details?{unknown}", Ct)).StatusCode);
        var generated = await client.PostAsJsonAsync($"/api/filestorage/v1/generate-key?{unknown}&is_debug_mode=true", new { name = "q", extra = new { nested = 1 } }, Ct);
        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Responses_AreJson_WhateverTheAcceptHeader(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);

        foreach (var accept in new[] { "*/*", "text/html", "application/xml" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/filestorage/v1/audit-trail");
            request.Headers.TryAddWithoutValidation("Accept", accept);
            var response = await client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(JsonValueKind.Array, (await response.JsonAsync()).GetProperty("results").ValueKind);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task UnknownPath_Returns404JsonNotFound_WithOrWithoutKey(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        string[] paths =
        [
            "/api/notacategory/v1/linked-accounts",
            "/api/knowledgebase/v1/linked-accounts",
            "/api/filestorage/v2/linked-accounts",
            "/api/filestorage/v1/no-such-endpoint",
            "/api/filestorage/v1/linked-accounts/extra",
            "/api/filestorage/v1",
            "/api",
            "/nothing-here",
        ];

        foreach (var key in new[] { org.ProductionKey, null })
        {
            using var client = app.CreateApiClient(key);
            foreach (var path in paths)
            {
                var response = await client.GetAsync(path, Ct);
                Assert.Equal("Not found.", await response.AssertDetailAsync(HttpStatusCode.NotFound));
            }
            var post = await client.PostAsJsonAsync("/api/nope/v1/generate-key", new { name = "x" }, Ct);
            Assert.Equal("Not found.", await post.AssertDetailAsync(HttpStatusCode.NotFound));
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task WrongMethod_Returns405Json_OnEveryEndpoint(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);
        var cases = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Delete, "/api/filestorage/v1/linked-accounts"),
            (HttpMethod.Post, "/api/filestorage/v1/linked-accounts"),
            (HttpMethod.Put, "/api/filestorage/v1/audit-trail"),
            (HttpMethod.Patch, "/api/filestorage/v1/account-details"),
            (HttpMethod.Get, "/api/filestorage/v1/generate-key"),
            (HttpMethod.Get, "/api/filestorage/v1/regenerate-key/"),
            (HttpMethod.Options, "/api/filestorage/v1/audit-trail"),
        };

        foreach (var (method, path) in cases)
        {
            using var request = new HttpRequestMessage(method, path);
            var response = await client.SendAsync(request, Ct);
            var detail = await response.AssertDetailAsync(HttpStatusCode.MethodNotAllowed);
            Assert.Equal($"Method \"{method.Method}\" not allowed.", detail);
        }
    }
}
