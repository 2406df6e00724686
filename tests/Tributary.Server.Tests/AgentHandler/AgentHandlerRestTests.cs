using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Server.Tests.Infrastructure;
using static Tributary.Server.Tests.AgentHandler.AgentHandlerKit;

namespace Tributary.Server.Tests.AgentHandler;

/// <summary>The REST half of the Agent Handler: registered users, tool packs, connectors, origins, link tokens, credentials.</summary>
public sealed class AgentHandlerRestTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task RegisteredUsers_CreateIsIdempotent_PatchMerges_TestKeySeesOnlyTestUsers(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var created = await SendAsync(api, HttpMethod.Post, "/api/v1/registered-users",
            new { origin_user_id = "alice", origin_user_name = "Alice", shared_credential_group = new { origin_company_id = "acme", origin_company_name = "Acme", custom_groupings = new { region = "EU" } } }, 201);
        var again = await SendAsync(api, HttpMethod.Post, "/api/v1/registered-users", new { origin_user_id = "alice" }, 200);
        Assert.Equal(created.GetProperty("id").GetGuid(), again.GetProperty("id").GetGuid());
        Assert.Equal("HUMAN", created.GetProperty("user_type").GetString());
        Assert.Equal("EU", created.GetProperty("shared_credential_group").GetProperty("custom_groupings").GetProperty("region").GetString());
        Assert.Empty(created.GetProperty("authenticated_connectors").EnumerateArray());
        Assert.False(created.GetProperty("is_test").GetBoolean());

        var id = created.GetProperty("id").GetGuid();
        var patched = await SendAsync(api, HttpMethod.Patch, $"/api/v1/registered-users/{id}", new { user_type = "SYSTEM" });
        Assert.Equal("SYSTEM", patched.GetProperty("user_type").GetString());
        Assert.Equal("Alice", patched.GetProperty("origin_user_name").GetString());
        var bad = await SendAsync(api, HttpMethod.Post, "/api/v1/registered-users", new { origin_user_id = "", user_type = "ROBOT" }, 400);
        Assert.True(bad.TryGetProperty("origin_user_id", out _));
        Assert.Contains("HUMAN or SYSTEM", bad.GetProperty("user_type")[0].GetString());

        using var testApi = app.CreateApiClient(org.TestKey);
        await SendAsync(testApi, HttpMethod.Get, $"/api/v1/registered-users/{id}", expect: 404);
        var testUser = await SendAsync(testApi, HttpMethod.Post, "/api/v1/registered-users", new { origin_user_id = "alice" }, 201);
        Assert.True(testUser.GetProperty("is_test").GetBoolean());
        Assert.NotEqual(id, testUser.GetProperty("id").GetGuid());
        var list = await SendAsync(api, HttpMethod.Get, "/api/v1/registered-users?origin_user_id=alice");
        Assert.Equal(id, Assert.Single(list.GetProperty("results").EnumerateArray()).GetProperty("id").GetGuid());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ToolPackConnectors_PutReplaces_PatchMerges_UnknownToolsAreNamed(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var pack = await CreatePackAsync(api, "Files", new { slug = "sandbox", tool_names = new[] { "sandbox__list_files" } });
        var connectors = await SendAsync(api, HttpMethod.Get, $"/api/v1/tool-packs/{pack}/connectors");
        var sandbox = Assert.Single(connectors.EnumerateArray());
        Assert.Equal("INDIVIDUAL", sandbox.GetProperty("auth_scope").GetString());
        Assert.Equal(["sandbox__list_files"], sandbox.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()));

        // PATCH merges: box is added, sandbox keeps its tools because tool_names is left out.
        var merged = await SendAsync(api, HttpMethod.Patch, $"/api/v1/tool-packs/{pack}/connectors",
            new object[] { new { slug = "box", auth_scope = "SHARED" }, new { slug = "sandbox", auth_scope = "ORGANIZATION" } });
        Assert.Equal(["box", "sandbox"], merged.EnumerateArray().Select(c => c.GetProperty("slug").GetString()));
        var mergedSandbox = merged.EnumerateArray().Single(c => c.GetProperty("slug").GetString() == "sandbox");
        Assert.Equal("ORGANIZATION", mergedSandbox.GetProperty("auth_scope").GetString());
        Assert.Single(mergedSandbox.GetProperty("tools").EnumerateArray());
        Assert.Equal(7, merged.EnumerateArray().Single(c => c.GetProperty("slug").GetString() == "box").GetProperty("tools").GetArrayLength());

        // PUT replaces: box is gone, sandbox gets all tools (tool_names left out).
        var replaced = await SendAsync(api, HttpMethod.Put, $"/api/v1/tool-packs/{pack}/connectors", new object[] { new { slug = "sandbox" } });
        var only = Assert.Single(replaced.EnumerateArray());
        Assert.Equal("INDIVIDUAL", only.GetProperty("auth_scope").GetString());
        Assert.Equal(7, only.GetProperty("tools").GetArrayLength());
        Assert.True(only.GetProperty("tools")[0].GetProperty("input_schema").GetProperty("properties").ValueKind == JsonValueKind.Object);

        // [] removes a connector under PATCH.
        var removed = await SendAsync(api, HttpMethod.Patch, $"/api/v1/tool-packs/{pack}/connectors", new object[] { new { slug = "sandbox", tool_names = Array.Empty<string>() } });
        Assert.Empty(removed.EnumerateArray());

        var bad = await SendAsync(api, HttpMethod.Put, $"/api/v1/tool-packs/{pack}/connectors",
            new object[] { new { slug = "sandbox", tool_names = new[] { "delete_everything" } }, new { slug = "nope" } }, 400);
        Assert.Contains("sandbox__list_files", bad.GetProperty("[0].tool_names")[0].GetString());
        Assert.Contains("Unknown connector", bad.GetProperty("[1].slug")[0].GetString());

        var catalog = await SendAsync(api, HttpMethod.Get, "/api/v1/connectors/sandbox");
        Assert.Contains(catalog.GetProperty("tools").EnumerateArray(), t => t.GetProperty("name").GetString() == "sandbox__read_file_content");
        var audit = await SendAsync(api, HttpMethod.Get, "/api/v1/audit-log?event_type=TOOL_PACK_CREATED");
        Assert.Single(audit.GetProperty("results").EnumerateArray());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task LinkToken_ValidatesCallbackAndState_AgainstRegisteredOrigins(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var user = await CreateUserAsync(api, "bob");
        foreach (var origin in new[] { "https://App.Example.com/", "myapp://", "http://localhost:5173" })
        {
            await SendAsync(api, HttpMethod.Post, "/api/v1/allowed-callback-origins", new { origin }, 201);
        }
        var origins = await SendAsync(api, HttpMethod.Get, "/api/v1/allowed-callback-origins");
        Assert.Equal(["https://app.example.com", "myapp://", "http://localhost:5173"], origins.EnumerateArray().Select(o => o.GetProperty("origin").GetString()));
        var refused = await SendAsync(api, HttpMethod.Post, "/api/v1/allowed-callback-origins", new { origin = "http://evil.example.com" }, 400);
        Assert.Contains("https", refused.GetProperty("origin")[0].GetString());
        await SendAsync(api, HttpMethod.Post, "/api/v1/allowed-callback-origins", new { origin = "https://app.example.com/path" }, 400);

        var url = $"/api/v1/registered-users/{user}/link-token";
        var ok = await SendAsync(api, HttpMethod.Post, url, new { connector = "sandbox", callback_url = "https://app.example.com/done", state = "s1" }, 201);
        Assert.StartsWith("trb_link_", ok.GetProperty("link_token").GetString());
        Assert.EndsWith("/magic-link/" + ok.GetProperty("link_token").GetString(), ok.GetProperty("magic_link_url").GetString());
        Assert.True(ok.TryGetProperty("expires_at", out _));
        await SendAsync(api, HttpMethod.Post, url, new { connector = "sandbox", callback_url = "myapp:///integrations/complete" }, 201);

        var stateOnly = await SendAsync(api, HttpMethod.Post, url, new { connector = "sandbox", state = "s1" }, 400);
        Assert.Contains("callback_url", stateOnly.GetProperty("state")[0].GetString());
        var foreign = await SendAsync(api, HttpMethod.Post, url, new { connector = "sandbox", callback_url = "https://app.example.com.evil.net/x" }, 400);
        Assert.Contains("not an allowed callback origin", foreign.GetProperty("callback_url")[0].GetString());
        var subdomain = await SendAsync(api, HttpMethod.Post, url, new { connector = "sandbox", callback_url = "https://www.app.example.com/x" }, 400);
        Assert.True(subdomain.TryGetProperty("callback_url", out _));
        var reserved = await SendAsync(api, HttpMethod.Post, url, new { connector = "sandbox", callback_url = "https://app.example.com/x?state=mine", state = "s" }, 400);
        Assert.Contains("\"state\"", reserved.GetProperty("callback_url")[0].GetString());
        var unknown = await SendAsync(api, HttpMethod.Post, url, new { connector = "slack" }, 400);
        Assert.Contains("sandbox", unknown.GetProperty("connector")[0].GetString());

        var sessions = await app.WithDbAsync((db, _) => db.LinkSessions.IgnoreQueryFilters().CountAsync(s => s.RegisteredUserId == user));
        Assert.Equal(2, sessions);
    }
}
