using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.AgentHandler;

/// <summary>Helpers for the Agent Handler tests: REST setup and a minimal MCP client over Streamable HTTP.</summary>
internal static class AgentHandlerKit
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<JsonElement> SendAsync(HttpClient api, HttpMethod method, string url, object? body = null, int? expect = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        using var response = await api.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        if (expect is { } status)
        {
            Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {text}");
        }
        else
        {
            Assert.True(response.IsSuccessStatusCode, $"{method} {url}: {(int)response.StatusCode} {text}");
        }
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<Guid> CreateUserAsync(HttpClient api, string originUserId, string? companyId = null)
    {
        var body = new JsonObject { ["origin_user_id"] = originUserId, ["origin_user_name"] = originUserId + " name" };
        if (companyId is not null)
        {
            body["shared_credential_group"] = new JsonObject { ["origin_company_id"] = companyId, ["origin_company_name"] = companyId + " Inc" };
        }
        return (await SendAsync(api, HttpMethod.Post, "/api/v1/registered-users", body)).GetProperty("id").GetGuid();
    }

    public static async Task<Guid> CreatePackAsync(HttpClient api, string name, params object[] connectors) =>
        (await SendAsync(api, HttpMethod.Post, "/api/v1/tool-packs", new { name, description = "for tests", connectors }, 201)).GetProperty("id").GetGuid();

    public static string McpUrl(Guid pack, Guid user, string query = "") => $"/api/v1/tool-packs/{pack}/registered-users/{user}/mcp{query}";

    /// <summary>One JSON-RPC request; returns the response message (parsed from the SSE stream) and the HTTP response.</summary>
    public static async Task<JsonElement> RpcAsync(HttpClient api, string url, string method, object? parameters = null, IDictionary<string, string>? headers = null)
    {
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method };
        if (parameters is not null)
        {
            message["params"] = JsonSerializer.SerializeToNode(parameters);
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(message.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Headers.Add("MCP-Protocol-Version", "2025-06-18");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Add(name, value);
        }
        using var response = await api.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{method}: {(int)response.StatusCode} {text}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var data = text.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].Trim())
            .Select(d => JsonDocument.Parse(d).RootElement.Clone()).ToList();
        return Assert.Single(data, d => d.TryGetProperty("id", out _));
    }

    public static async Task<List<string>> ToolNamesAsync(HttpClient api, string url) =>
        (await RpcAsync(api, url, "tools/list")).GetProperty("result").GetProperty("tools").EnumerateArray()
            .Select(t => t.GetProperty("name").GetString()!).ToList();

    /// <summary>Calls a tool; returns (isError, the JSON text of its one content block).</summary>
    public static async Task<(bool IsError, JsonElement Payload)> CallAsync(
        HttpClient api, string url, string tool, object? arguments = null, IDictionary<string, string>? headers = null)
    {
        var response = await RpcAsync(api, url, "tools/call", new { name = tool, arguments = arguments ?? new { } }, headers);
        var result = response.GetProperty("result");
        var text = Assert.Single(result.GetProperty("content").EnumerateArray()).GetProperty("text").GetString()!;
        var isError = result.TryGetProperty("isError", out var e) && e.GetBoolean();
        return (isError, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>The callback URL a finished Link page sends the browser to (meta refresh for https, the "Open app" button for any).</summary>
    public static async Task<Uri> CallbackFromAsync(HttpResponseMessage response)
    {
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, html);
        var button = System.Text.RegularExpressions.Regex.Match(html, "id=\"open-app\" href=\"([^\"]+)\"");
        Assert.True(button.Success, html);
        var url = System.Net.WebUtility.HtmlDecode(button.Groups[1].Value);
        if (url.StartsWith("https://", StringComparison.Ordinal))
        {
            Assert.Contains($"<meta http-equiv=\"refresh\" content=\"0;url={button.Groups[1].Value}\">", html, StringComparison.Ordinal);
        }
        return new Uri(url);
    }

    /// <summary>Completes a link token through the Sandbox connect screen over HTTP (as the end user's browser would); returns the final response.</summary>
    public static async Task<HttpResponseMessage> ConnectSandboxAsync(TributaryApplication app, string linkToken)
    {
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var connect = $"/link/{linkToken}/sandbox/connect";
        var page = await client.GetStringAsync(connect, Ct);
        return await Linking.LinkTestKit.PostFormAsync(client, connect, new Dictionary<string, string> { ["__csrf"] = Linking.LinkTestKit.Csrf(page) });
    }
}
