using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Data.Entities;
using Tributary.Server.Organization;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Auth;

public sealed class ApiAuthenticationMiddlewareTests
{
    private const string MissingAccountToken = "Account Token must be passed in as an X-Account-Token header.";

    // One endpoint of each kind: organization-level reads, an organization-level write, an account-level read.
    private static readonly (HttpMethod Method, string Path)[] Endpoints =
    [
        (HttpMethod.Get, "/api/filestorage/v1/audit-trail"),
        (HttpMethod.Get, "/api/filestorage/v1/linked-accounts"),
        (HttpMethod.Post, "/api/filestorage/v1/generate-key"),
        (HttpMethod.Post, "/api/filestorage/v1/regenerate-key"),
        (HttpMethod.Get, "/api/filestorage/v1/account-details"),
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ApiKey_Returns401WithDetail_WhenAuthorizationMissing(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        using var client = app.CreateApiClient(apiKey: null, accountToken: account.Token);

        foreach (var (method, path) in Endpoints)
        {
            using var request = Request(method, path);
            var response = await client.SendAsync(request, Ct);
            var detail = await response.AssertDetailAsync(HttpStatusCode.Unauthorized);
            Assert.Contains("Bearer", detail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ApiKey_Returns401_WhenAuthorizationMalformed(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(apiKey: null);
        string[] malformed =
        [
            "",
            "Bearer",
            "Bearer ",
            "Bearer    ",
            org.ProductionKey,                 // no scheme at all
            "Basic " + org.ProductionKey,      // another scheme
            "Token " + org.ProductionKey,
            "Bearer" + org.ProductionKey,      // no space after the scheme
            "Bearer " + org.ProductionKey + "x",
            "Bearer " + org.ProductionKey[..^1],
        ];

        foreach (var header in malformed)
        {
            using var request = Request(HttpMethod.Get, "/api/filestorage/v1/audit-trail");
            request.Headers.TryAddWithoutValidation("Authorization", header);
            var response = await client.SendAsync(request, Ct);
            await response.AssertDetailAsync(HttpStatusCode.Unauthorized);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ApiKey_IsAccepted_WhenSchemeIsLowerCase(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(apiKey: null);
        using var request = Request(HttpMethod.Get, "/api/filestorage/v1/audit-trail");
        request.Headers.TryAddWithoutValidation("Authorization", "bearer " + org.ProductionKey);

        var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ApiKey_Returns401_WhenKeyUnknown(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient("trb_live_" + new string('A', 43));

        foreach (var (method, path) in Endpoints)
        {
            using var request = Request(method, path);
            var response = await client.SendAsync(request, Ct);
            var detail = await response.AssertDetailAsync(HttpStatusCode.Unauthorized);
            Assert.Contains("Invalid API key", detail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ApiKey_Returns401_WhenKeyRevoked(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/filestorage/v1/audit-trail", Ct)).StatusCode);

        await RevokeAsync(app, org.Id, ApiEnvironment.Production);

        var response = await client.GetAsync("/api/filestorage/v1/audit-trail", Ct);
        await response.AssertDetailAsync(HttpStatusCode.Unauthorized);
        // The organization's other key is untouched.
        using var testClient = app.CreateApiClient(org.TestKey);
        Assert.Equal(HttpStatusCode.OK, (await testClient.GetAsync("/api/filestorage/v1/audit-trail", Ct)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ApiKey_Returns401_WhenTestKeyWasRegenerated(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var old = app.CreateApiClient(org.TestKey);

        var response = await old.PostAsJsonAsync("/api/filestorage/v1/regenerate-key", new { name = "rotated-test" }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var newKey = (await response.JsonAsync()).GetProperty("key").GetString()!;
        Assert.StartsWith("trb_test_", newKey, StringComparison.Ordinal);

        await (await old.GetAsync("/api/filestorage/v1/linked-accounts", Ct)).AssertDetailAsync(HttpStatusCode.Unauthorized);
        // Regenerating again with the dead key is refused too.
        await (await old.PostAsJsonAsync("/api/filestorage/v1/regenerate-key", new { name = "again" }, Ct))
            .AssertDetailAsync(HttpStatusCode.Unauthorized);
        using var fresh = app.CreateApiClient(newKey);
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/api/filestorage/v1/linked-accounts", Ct)).StatusCode);
        using var production = app.CreateApiClient(org.ProductionKey);
        Assert.Equal(HttpStatusCode.OK, (await production.GetAsync("/api/filestorage/v1/linked-accounts", Ct)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task TestKey_ListsOnlyTestAccounts_WithOrWithoutIsTestAccount(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var production = await app.CreateLinkedAccountAsync(org.Id, ApiEnvironment.Production, originId: "prod");
        var test = await app.CreateLinkedAccountAsync(org.Id, ApiEnvironment.Test, originId: "test");
        using var testClient = app.CreateApiClient(org.TestKey);
        using var productionClient = app.CreateApiClient(org.ProductionKey);

        foreach (var query in new[] { "", "?is_test_account=true", "?is_test_account=false", $"?ids={production.Id},{test.Id}" })
        {
            var page = await testClient.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/linked-accounts" + query, Ct);
            Assert.Equal([test.Id], page.Ids());
            Assert.Equal("TEST", page.GetProperty("results")[0].GetProperty("account_type").GetString());
        }
        foreach (var query in new[] { $"?id={production.Id}", $"?end_user_origin_id=prod", "?status=COMPLETE&end_user_origin_ids=prod" })
        {
            var page = await testClient.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/linked-accounts" + query, Ct);
            Assert.Empty(page.Ids());
        }

        // A production key: without is_test_account the production accounts, with it the test ones (Merge's rule).
        var productionPage = await productionClient.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/linked-accounts", Ct);
        Assert.Equal([production.Id], productionPage.Ids());
        Assert.Equal("PRODUCTION", productionPage.GetProperty("results")[0].GetProperty("account_type").GetString());
        var testPage = await productionClient.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/linked-accounts?is_test_account=true", Ct);
        Assert.Equal([test.Id], testPage.Ids());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AccountDetails_Returns401_WhenTestKeyUsesProductionAccountToken(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var production = await app.CreateLinkedAccountAsync(org.Id, ApiEnvironment.Production);
        var test = await app.CreateLinkedAccountAsync(org.Id, ApiEnvironment.Test, originId: "test-user");

        using var denied = app.CreateApiClient(org.TestKey, production.Token);
        var response = await denied.GetAsync("/api/filestorage/v1/account-details", Ct);
        var detail = await response.AssertDetailAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("X-Account-Token", detail, StringComparison.Ordinal);
        var body = await response.JsonAsync();
        Assert.Single(body.EnumerateObject());

        using var allowed = app.CreateApiClient(org.TestKey, test.Token);
        var details = await allowed.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/account-details", Ct);
        Assert.Equal(test.Id, details.GetProperty("id").GetGuid());
        Assert.Equal("TEST", details.GetProperty("account_type").GetString());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task GenerateKey_Returns403_WhenCalledWithTestKey(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.TestKey);

        var response = await client.PostAsJsonAsync("/api/filestorage/v1/generate-key", new { name = "sneaky" }, Ct);

        var detail = await response.AssertDetailAsync(HttpStatusCode.Forbidden);
        Assert.Contains("production key", detail, StringComparison.Ordinal);
        var keys = await app.WithDbAsync((db, _) => db.ApiKeys.IgnoreQueryFilters().CountAsync(k => k.OrganizationId == org.Id, Ct));
        Assert.Equal(2, keys);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AccountToken_Returns401WithoutData_WhenItBelongsToAnotherOrganization(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var ours = await app.CreateOrganizationAsync("Ours");
        var theirs = await app.CreateOrganizationAsync("Theirs");
        var theirAccount = await app.CreateLinkedAccountAsync(theirs.Id, originId: "their-user", email: "secret@theirs.example");
        var theirTestAccount = await app.CreateLinkedAccountAsync(theirs.Id, ApiEnvironment.Test, originId: "their-test-user");

        foreach (var (key, token) in new[] { (ours.ProductionKey, theirAccount.Token), (ours.TestKey, theirTestAccount.Token) })
        {
            using var client = app.CreateApiClient(key, token);
            var response = await client.GetAsync("/api/filestorage/v1/account-details", Ct);
            await response.AssertDetailAsync(HttpStatusCode.Unauthorized);
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.DoesNotContain("their", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(theirAccount.Id.ToString(), text, StringComparison.OrdinalIgnoreCase);
        }

        // Their own key reaches it, so the token itself is good.
        using var owner = app.CreateApiClient(theirs.ProductionKey, theirAccount.Token);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/api/filestorage/v1/account-details", Ct)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AccountDetails_Returns401WithMergeMessage_WhenAccountTokenMissingOrBlank(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        await app.CreateLinkedAccountAsync(org.Id);
        using var client = app.CreateApiClient(org.ProductionKey);

        var missing = await client.GetAsync("/api/filestorage/v1/account-details", Ct);
        Assert.Equal(MissingAccountToken, await missing.AssertDetailAsync(HttpStatusCode.Unauthorized));

        foreach (var blank in new[] { "", "   " })
        {
            using var request = Request(HttpMethod.Get, "/api/filestorage/v1/account-details");
            request.Headers.TryAddWithoutValidation("X-Account-Token", blank);
            var response = await client.SendAsync(request, Ct);
            Assert.Equal(MissingAccountToken, await response.AssertDetailAsync(HttpStatusCode.Unauthorized));
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AccountDetails_Returns401_WhenAccountTokenUnknown(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        using var client = app.CreateApiClient(org.ProductionKey, account.Token + "x");

        var detail = await (await client.GetAsync("/api/filestorage/v1/account-details", Ct)).AssertDetailAsync(HttpStatusCode.Unauthorized);

        Assert.NotEqual(MissingAccountToken, detail);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AccountToken_IsIgnored_OnOrganizationEndpoints(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var other = await app.CreateOrganizationAsync("Other");
        var ownAccount = await app.CreateLinkedAccountAsync(org.Id);
        var otherAccount = await app.CreateLinkedAccountAsync(other.Id);
        string[] tokens = [ownAccount.Token, otherAccount.Token, "garbage", "not a token at all; \"quoted\"", new string('x', 5000)];

        foreach (var token in tokens)
        {
            using var client = app.CreateApiClient(org.ProductionKey);
            client.DefaultRequestHeaders.TryAddWithoutValidation("X-Account-Token", token);

            var trail = await client.GetAsync("/api/filestorage/v1/audit-trail", Ct);
            Assert.Equal(HttpStatusCode.OK, trail.StatusCode);
            var accounts = await client.GetAsync("/api/filestorage/v1/linked-accounts", Ct);
            Assert.Equal(HttpStatusCode.OK, accounts.StatusCode);
            Assert.Equal([ownAccount.Id], (await accounts.JsonAsync()).Ids());
            var generated = await client.PostAsJsonAsync("/api/filestorage/v1/generate-key", new { name = "with-token" }, Ct);
            Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
        }
    }

    private static HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        if (method == HttpMethod.Post)
        {
            request.Content = JsonContent.Create(new { name = "k" });
        }
        return request;
    }

    private static Task<bool> RevokeAsync(TributaryApplication app, Guid organizationId, ApiEnvironment environment) =>
        app.WithDbAsync(async (db, sp) =>
        {
            var key = await db.ApiKeys.IgnoreQueryFilters()
                .SingleAsync(k => k.OrganizationId == organizationId && k.Environment == environment, Ct);
            sp.GetRequiredService<ApiKeys>().Revoke(db, key, AuditActor.Operator);
            await db.SaveChangesAsync(Ct);
            return true;
        });
}
