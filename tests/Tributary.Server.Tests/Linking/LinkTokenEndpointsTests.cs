using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Linking;

public sealed class LinkTokenEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, object?> ValidBody() => new()
    {
        ["end_user_email_address"] = "pat@example.com",
        ["end_user_organization_name"] = "Example Corp",
        ["end_user_origin_id"] = "user-42",
        ["categories"] = new[] { "filestorage" },
    };

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task CreateLinkToken_ReturnsTokenAndMagicLink_WithEveryField(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var body = ValidBody();
        body["integration"] = "google-drive";
        body["link_expiry_mins"] = 10080;
        body["should_create_magic_link_url"] = true;
        body["hide_admin_magic_link"] = true;
        body["language"] = "de";
        body["category_common_model_scopes"] = new Dictionary<string, object>
        {
            ["filestorage"] = new[] { new { model_name = "File", model_permissions = new { READ = new { is_enabled = true }, WRITE = new { is_enabled = false } } } },
        };
        body["are_syncs_disabled"] = false;
        body["integration_specific_config"] = new { anything = 1 };
        body["some_future_field"] = "ignored";

        var response = await api.PostAsJsonAsync("/api/filestorage/v1/link-token", body, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var token = json.GetProperty("link_token").GetString()!;
        Assert.StartsWith("trb_link_", token, StringComparison.Ordinal);
        Assert.Equal("Google Drive", json.GetProperty("integration_name").GetString());
        Assert.Equal($"{app.Server.BaseAddress.ToString().TrimEnd('/')}/magic-link/{token}", json.GetProperty("magic_link_url").GetString());

        var session = await app.WithDbAsync((db, _) => db.LinkSessions.IgnoreQueryFilters().SingleAsync(Ct));
        Assert.Equal("de", session.Language);
        Assert.True(session.HideAdminMagicLink);
        Assert.Equal(session.CreatedAt.AddMinutes(10080), session.ExpiresAt);
        Assert.Contains("\"model_name\":\"File\"", session.ScopesJson, StringComparison.Ordinal);

        var trail = await api.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/audit-trail?event_type=GENERATED_MAGIC_LINK", Ct);
        Assert.Equal(1, trail.GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task CreateLinkToken_LegacyPathAndTrailingSlash_Work()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var legacy = await api.PostAsJsonAsync("/api/integrations/create-link-token", ValidBody(), Ct);
        Assert.Equal(HttpStatusCode.OK, legacy.StatusCode);
        var slash = await api.PostAsJsonAsync("/api/hris/v1/link-token/", ValidBody(), Ct);
        Assert.Equal(HttpStatusCode.OK, slash.StatusCode);
        Assert.Null((await slash.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("magic_link_url").GetString());
    }

    public static TheoryData<string, object?, string> InvalidFields => new()
    {
        { "end_user_email_address", null, "end_user_email_address" },
        { "end_user_origin_id", new string('x', 101), "end_user_origin_id" },
        { "categories", Array.Empty<string>(), "categories" },
        { "categories", new[] { "filestorage", "weather" }, "categories" },
        { "integration", "no-such-integration", "integration" },
        { "link_expiry_mins", 29, "link_expiry_mins" },
        { "link_expiry_mins", 721, "link_expiry_mins" },
        { "link_expiry_mins", "thirty", "link_expiry_mins" },
        { "language", "fr", "language" },
        { "should_create_magic_link_url", "yes", "should_create_magic_link_url" },
        { "category_common_model_scopes", new { weather = Array.Empty<object>() }, "category_common_model_scopes.weather" },
    };

    [Theory]
    [MemberData(nameof(InvalidFields))]
    public async Task CreateLinkToken_Rejects400NamingTheField_WhenAFieldIsInvalid(string field, object? value, string expectedKey)
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var body = ValidBody();
        body[field] = value;

        var response = await api.PostAsJsonAsync("/api/filestorage/v1/link-token", body, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(json.TryGetProperty(expectedKey, out var messages), $"expected an error for {expectedKey}, got {json}");
        Assert.False(string.IsNullOrWhiteSpace(messages[0].GetString()));
        Assert.Equal(0, await app.WithDbAsync((db, _) => db.LinkSessions.IgnoreQueryFilters().CountAsync(Ct)));
    }

    [Fact]
    public async Task CreateLinkToken_AllowsAWeekOnlyForMagicLinks()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var body = ValidBody();
        body["link_expiry_mins"] = 10080;
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsJsonAsync("/api/filestorage/v1/link-token", body, Ct)).StatusCode);
        body["should_create_magic_link_url"] = true;
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsJsonAsync("/api/filestorage/v1/link-token", body, Ct)).StatusCode);
        body["link_expiry_mins"] = 10081;
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsJsonAsync("/api/filestorage/v1/link-token", body, Ct)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Relink_WithSameOriginId_UpdatesTheSameLinkedAccount(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);

        var (firstId, firstToken) = await app.LinkAccountAsync(api, "user-7");
        var (secondId, secondToken) = await app.LinkAccountAsync(api, "user-7");
        var (otherId, _) = await app.LinkAccountAsync(api, "user-8");

        Assert.Equal(firstId, secondId);
        Assert.NotEqual(firstId, otherId);
        // Tokens are stored only as hashes, so a relink's exchange mints the token anew (docs/decisions/0007).
        using var stale = app.CreateApiClient(org.ProductionKey, firstToken);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stale.GetAsync("/api/filestorage/v1/account-details", Ct)).StatusCode);
        using var current = app.CreateApiClient(org.ProductionKey, secondToken);
        var details = await current.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/account-details", Ct);
        Assert.Equal(firstId, details.GetProperty("id").GetGuid());
        // Sandbox accounts are test data.
        var list = await api.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/linked-accounts?end_user_origin_id=user-7&is_test_account=true", Ct);
        Assert.Equal(1, list.GetProperty("results").GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task LinkToken_FromTestKey_CreatesTestAccount(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.TestKey);
        var (id, token) = await app.LinkAccountAsync(api);
        using var account = app.CreateApiClient(org.TestKey, token);
        var details = await account.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/account-details", Ct);
        Assert.Equal("TEST", details.GetProperty("account_type").GetString());
        Assert.Equal(id, details.GetProperty("id").GetGuid());
    }
}
