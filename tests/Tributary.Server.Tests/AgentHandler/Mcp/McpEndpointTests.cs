using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Tributary.Server.Tests.Infrastructure;
using static Tributary.Server.Tests.AgentHandler.AgentHandlerKit;

namespace Tributary.Server.Tests.AgentHandler.Mcp;

/// <summary>The MCP endpoint: tool lists, authenticate tools, data tools over the Sandbox, isolation, logs.</summary>
public sealed class McpEndpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AuthenticateTool_GivesAMagicLink_ThenDataToolsReturnTheSandboxAccountsFiles(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var alice = await CreateUserAsync(api, "alice");
        var pack = await CreatePackAsync(api, "Files", new { slug = "sandbox" });
        var url = McpUrl(pack, alice);

        var init = await RpcAsync(api, url, "initialize", new { protocolVersion = "2025-06-18", capabilities = new { }, clientInfo = new { name = "test", version = "1" } });
        Assert.Equal("tributary-agent-handler", init.GetProperty("result").GetProperty("serverInfo").GetProperty("name").GetString());
        Assert.Equal(["authenticate_sandbox"], await ToolNamesAsync(api, url));
        Assert.Empty(await ToolNamesAsync(api, url + "?authenticated_only=true"));
        Assert.Contains("sandbox__list_files", await ToolNamesAsync(api, url + "?stable=true"));

        var (isError, auth) = await CallAsync(api, url, "authenticate_sandbox", headers: new Dictionary<string, string> { ["X-Chat-Id"] = "chat-42" });
        Assert.False(isError);
        var magic = auth.GetProperty("magic_link_url").GetString()!;
        Assert.Contains(magic, auth.GetProperty("message").GetString());
        var linkToken = auth.GetProperty("link_token").GetString()!;
        Assert.EndsWith("/magic-link/" + linkToken, magic);
        // A data tool before authentication answers the same way.
        var (dataBeforeAuthError, dataBeforeAuth) = await CallAsync(api, url + "?stable=true", "sandbox__list_files");
        Assert.False(dataBeforeAuthError);
        Assert.True(dataBeforeAuth.TryGetProperty("magic_link_url", out _));

        using (var done = await ConnectSandboxAsync(app, linkToken))
        {
            Assert.True(done.IsSuccessStatusCode);
        }
        var tools = await ToolNamesAsync(api, url);
        Assert.Equal(7, tools.Count);
        Assert.DoesNotContain("authenticate_sandbox", tools);

        var (listError, list) = await CallAsync(api, url, "sandbox__list_files", new { page_size = 100 });
        Assert.False(listError, list.ToString());
        var files = list.GetProperty("results").EnumerateArray().ToList();
        Assert.NotEmpty(files);
        var stored = await app.WithDbAsync((db, _) => db.Files.IgnoreQueryFilters().Where(f => !f.RemoteWasDeleted).Select(f => f.Name).ToListAsync(Ct));
        Assert.Subset(stored.ToHashSet(), files.Select(f => f.GetProperty("name").GetString()).ToHashSet());
        var text = files.First(f => f.GetProperty("mime_type").GetString()?.StartsWith("text/", StringComparison.Ordinal) == true);
        var (readError, read) = await CallAsync(api, url, "sandbox__read_file_content", new { file_id = text.GetProperty("id").GetGuid(), max_bytes = 10 });
        Assert.False(readError, read.ToString());
        Assert.True(read.GetProperty("bytes_returned").GetInt32() <= 10);

        var (folderError, folder) = await CallAsync(api, url, "sandbox__create_folder", new { name = "Agent notes" });
        Assert.False(folderError, folder.ToString());
        var (uploadError, uploaded) = await CallAsync(api, url, "sandbox__upload_file",
            new { name = "summary.txt", content = "Hello from the agent", folder_id = folder.GetProperty("id").GetGuid() });
        Assert.False(uploadError, uploaded.ToString());
        var (_, back) = await CallAsync(api, url, "sandbox__read_file_content", new { file_id = uploaded.GetProperty("id").GetGuid() });
        Assert.Equal("Hello from the agent", back.GetProperty("content").GetString());
        var (_, found) = await CallAsync(api, url, "sandbox__search", new { query = "SUMMARY" });
        Assert.Single(found.GetProperty("files").EnumerateArray());

        var (invalidError, invalid) = await CallAsync(api, url, "sandbox__get_file_metadata", new { file_id = "not-a-uuid", colour = "red" });
        Assert.True(invalidError);
        Assert.Equal("invalid_input", invalid.GetProperty("error").GetString());
        Assert.Contains("\"file_id\" must be a UUID", invalid.GetProperty("message").GetString());
        Assert.Contains("\"colour\" is not an argument", invalid.GetProperty("message").GetString());

        // Every call is logged: X- headers recorded, the link token redacted.
        var logs = await SendAsync(api, HttpMethod.Get, "/api/v1/logs/tool-calls?tool_name=authenticate");
        var log = Assert.Single(logs.GetProperty("results").EnumerateArray());
        Assert.Contains("chat-42", log.GetProperty("headers").GetString());
        Assert.DoesNotContain(linkToken, log.GetProperty("result").GetString());
        Assert.Contains("trb_link_[redacted]", log.GetProperty("result").GetString());
        var errors = await SendAsync(api, HttpMethod.Get, "/api/v1/logs/tool-calls?status=ERROR");
        Assert.Equal("invalid_input", Assert.Single(errors.GetProperty("results").EnumerateArray()).GetProperty("error_reason").GetString());
        var page = await SendAsync(api, HttpMethod.Get, "/api/v1/logs/tool-calls?page_size=2");
        Assert.True(page.GetProperty("has_more").GetBoolean());
        var next = await SendAsync(api, HttpMethod.Get, $"/api/v1/logs/tool-calls?page_size=2&cursor={page.GetProperty("next_cursor").GetString()}");
        Assert.NotEqual(page.GetProperty("results")[0].GetProperty("id").GetGuid(), next.GetProperty("results")[0].GetProperty("id").GetGuid());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Isolation_UserBNeverUsesAsCredential_AndAPackExposesOnlyItsTools(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var other = await app.CreateOrganizationAsync("Other");
        using var api = app.CreateApiClient(org.ProductionKey);
        var alice = await CreateUserAsync(api, "alice");
        var bob = await CreateUserAsync(api, "bob");
        var full = await CreatePackAsync(api, "Full", new { slug = "sandbox" });
        var readOnly = await CreatePackAsync(api, "Read only", new { slug = "sandbox", tool_names = new[] { "list_files", "get_file_metadata" } });

        var (_, auth) = await CallAsync(api, McpUrl(full, alice), "authenticate_sandbox");
        using (var done = await ConnectSandboxAsync(app, auth.GetProperty("link_token").GetString()!))
        {
            Assert.True(done.IsSuccessStatusCode);
        }
        Assert.Contains("sandbox__list_files", await ToolNamesAsync(api, McpUrl(full, alice)));

        // Bob's URL, same pack: only the authenticate tool, and a data tool call yields a link for Bob, never Alice's files.
        Assert.Equal(["authenticate_sandbox"], await ToolNamesAsync(api, McpUrl(full, bob)));
        var (bobError, bobCall) = await CallAsync(api, McpUrl(full, bob), "sandbox__list_files");
        Assert.False(bobError);
        Assert.True(bobCall.TryGetProperty("magic_link_url", out _));
        Assert.False(bobCall.TryGetProperty("results", out _));
        var bobSession = await app.WithDbAsync((db, _) => db.LinkSessions.IgnoreQueryFilters()
            .Where(s => s.RegisteredUserId == bob).Select(s => s.EndUserOriginId).SingleAsync(Ct));
        Assert.Equal("bob", bobSession);

        // The read-only pack lists and runs only its two tools.
        Assert.Equal(["sandbox__get_file_metadata", "sandbox__list_files"], (await ToolNamesAsync(api, McpUrl(readOnly, alice))).Order(StringComparer.Ordinal));
        var (uploadError, upload) = await CallAsync(api, McpUrl(readOnly, alice), "sandbox__upload_file", new { name = "x.txt", content = "x" });
        Assert.True(uploadError);
        Assert.Equal("not_found", upload.GetProperty("error").GetString());

        // Another organization's key cannot use this organization's pack or user.
        using var otherApi = app.CreateApiClient(other.ProductionKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, McpUrl(full, alice))
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        using var response = await otherApi.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Transport_RefusesMissingKey_WrongAccept_ForeignOrigin_AndGet()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var user = await CreateUserAsync(api, "erin");
        var pack = await CreatePackAsync(api, "Files", new { slug = "sandbox" });
        var url = McpUrl(pack, user);

        async Task<HttpStatusCode> PostAsync(HttpClient client, string accept, string? origin = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"ping"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Accept.ParseAdd(accept);
            if (origin is not null)
            {
                request.Headers.Add("Origin", origin);
            }
            using var response = await client.SendAsync(request, Ct);
            return response.StatusCode;
        }

        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(anonymous, "application/json, text/event-stream"));
        Assert.Equal(HttpStatusCode.NotAcceptable, await PostAsync(api, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync(api, "application/json, text/event-stream", "http://evil.example"));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(api, "application/json, text/event-stream"));
        var ping = await RpcAsync(api, url, "ping");
        Assert.Equal(System.Text.Json.JsonValueKind.Object, ping.GetProperty("result").ValueKind);
        using var get = await api.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }

    [Fact]
    public async Task UrlElicitation_ClientsThatDeclareIt_GetTheMagicLinkAsAnElicitationError()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var user = await CreateUserAsync(api, "gina");
        var pack = await CreatePackAsync(api, "Files", new { slug = "sandbox" });
        var url = McpUrl(pack, user);

        async Task<(HttpResponseMessage Response, System.Text.Json.JsonElement Message)> PostAsync(string body, string? session)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Accept.ParseAdd("application/json, text/event-stream");
            if (session is not null)
            {
                request.Headers.Add("Mcp-Session-Id", session);
            }
            var response = await api.SendAsync(request, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            var data = text.Split('\n').Single(l => l.StartsWith("data:", StringComparison.Ordinal) && l.Length > 6)[5..];
            return (response, System.Text.Json.JsonDocument.Parse(data).RootElement.Clone());
        }

        var (init, _) = await PostAsync("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{"url":{}}},"clientInfo":{"name":"t","version":"1"}}}""", null);
        var session = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
        var (_, elicited) = await PostAsync("""{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"authenticate_sandbox","arguments":{}}}""", session);
        var error = elicited.GetProperty("error");
        Assert.Equal(-32042, error.GetProperty("code").GetInt32());
        var elicitation = Assert.Single(error.GetProperty("data").GetProperty("elicitations").EnumerateArray());
        Assert.Equal("url", elicitation.GetProperty("mode").GetString());
        Assert.Contains("/magic-link/trb_link_", elicitation.GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.True(Guid.TryParse(elicitation.GetProperty("elicitationId").GetString(), out _));

        // A client that did not declare it gets Merge's JSON result.
        var (plainInit, _) = await PostAsync("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""", null);
        Assert.False(plainInit.Headers.Contains("Mcp-Session-Id"));
        var (_, plain) = await PostAsync("""{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"authenticate_sandbox","arguments":{}}}""", null);
        Assert.Contains("magic_link_url", plain.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task SharedScope_OneCompanysUsersShareTheCredential_OtherCompaniesDoNot(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var ann = await CreateUserAsync(api, "ann", companyId: "acme");
        var ben = await CreateUserAsync(api, "ben", companyId: "acme");
        var cat = await CreateUserAsync(api, "cat", companyId: "globex");
        var solo = await CreateUserAsync(api, "solo");
        var pack = await CreatePackAsync(api, "Shared files", new { slug = "sandbox", auth_scope = "SHARED" });

        var (_, auth) = await CallAsync(api, McpUrl(pack, ann), "authenticate_sandbox");
        using (var done = await ConnectSandboxAsync(app, auth.GetProperty("link_token").GetString()!))
        {
            Assert.True(done.IsSuccessStatusCode);
        }
        var account = await app.WithDbAsync((db, _) => db.LinkedAccounts.IgnoreQueryFilters().SingleAsync(a => a.OrganizationId == org.Id, Ct));
        Assert.Equal("SHARED", account.AgentAuthScope);
        Assert.Equal("acme", account.SharedCredentialGroup);
        Assert.Null(account.RegisteredUserId);

        var (benError, benFiles) = await CallAsync(api, McpUrl(pack, ben), "sandbox__list_files");
        Assert.False(benError, benFiles.ToString());
        Assert.NotEmpty(benFiles.GetProperty("results").EnumerateArray());
        Assert.Equal(["authenticate_sandbox"], await ToolNamesAsync(api, McpUrl(pack, cat)));
        // A user without a company cannot take part in SHARED credentials at all.
        var (soloError, soloCall) = await CallAsync(api, McpUrl(pack, solo), "authenticate_sandbox");
        Assert.True(soloError);
        Assert.Equal("missing_company", soloCall.GetProperty("error").GetString());
        var soloLink = await SendAsync(api, HttpMethod.Post, $"/api/v1/registered-users/{solo}/link-token", new { connector = "sandbox", auth_scope = "SHARED" }, 400);
        Assert.Contains("origin_company_id", soloLink.GetProperty("auth_scope")[0].GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task BrokenCredential_AnswersReauthRequired_WithAFreshLink_AndTheStableListNeverChanges(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var user = await CreateUserAsync(api, "hal");
        var pack = await CreatePackAsync(api, "Files", new { slug = "sandbox", tool_names = new[] { "list_files" } });
        var stable = McpUrl(pack, user, "?stable=true");
        var before = await ToolNamesAsync(api, stable);
        Assert.Equal(["sandbox__list_files", "authenticate_sandbox"], before);

        var (_, auth) = await CallAsync(api, McpUrl(pack, user), "authenticate_sandbox");
        using (var done = await ConnectSandboxAsync(app, auth.GetProperty("link_token").GetString()!))
        {
            Assert.True(done.IsSuccessStatusCode);
        }
        Assert.Equal(["sandbox__list_files"], await ToolNamesAsync(api, stable));

        // The provider stopped accepting the credential (as a sync or an earlier call found out).
        await app.WithDbAsync((db, _) => db.LinkedAccounts.IgnoreQueryFilters().Where(a => a.RegisteredUserId == user)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, Tributary.Data.Entities.LinkedAccountStatus.RelinkNeeded), Ct));
        var (isError, reauth) = await CallAsync(api, McpUrl(pack, user), "sandbox__list_files");
        Assert.True(isError);
        Assert.Equal("reauth_required", reauth.GetProperty("error").GetString());
        Assert.Contains("DO NOT RETRY", reauth.GetProperty("message").GetString(), StringComparison.Ordinal);
        var link = reauth.GetProperty("link_token").GetString()!;
        Assert.NotEqual(auth.GetProperty("link_token").GetString(), link);

        // Reconnecting through the new link repairs the same account in place.
        using (var done = await ConnectSandboxAsync(app, link))
        {
            Assert.True(done.IsSuccessStatusCode);
        }
        var (fixedError, files) = await CallAsync(api, McpUrl(pack, user), "sandbox__list_files");
        Assert.False(fixedError, files.ToString());
        Assert.Equal(1, await app.WithDbAsync((db, _) => db.LinkedAccounts.IgnoreQueryFilters().CountAsync(a => a.RegisteredUserId == user, Ct)));
        var logged = await SendAsync(api, HttpMethod.Get, "/api/v1/logs/tool-calls?error_reason=reauth_required");
        Assert.Single(logged.GetProperty("results").EnumerateArray());
    }
}
