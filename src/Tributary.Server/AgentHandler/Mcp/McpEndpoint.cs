using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Tributary.Server.Conventions;
using Tributary.Server.Hosting;
using Tributary.Server.Linking;

namespace Tributary.Server.AgentHandler.Mcp;

/// <summary>
/// <c>/api/v1/tool-packs/{tool_pack_id}/registered-users/{registered_user_id}/mcp</c>: MCP over
/// Streamable HTTP, stateless (every POST is answered on its own, so any replica serves any
/// request), with the official C# SDK's server and transport. The SDK's ASP.NET Core package is
/// not on our package mirror, so this is the glue it would provide: content negotiation, origin
/// checks, one server instance per request. The bearer API key is checked by the authentication
/// middleware like every other <c>/api/v1</c> endpoint.
/// </summary>
internal static class McpEndpoint
{
    public const string Path = "/tool-packs/{toolPackId:guid}/registered-users/{registeredUserId:guid}/mcp";

    public static RouteGroupBuilder MapMcp(this RouteGroupBuilder v1)
    {
        v1.MapPost(Path, HandleAsync).WithName("Mcp").WithTags("Agent Handler")
            .WithSummary("The MCP endpoint (Streamable HTTP, stateless) of a tool pack for a registered user")
            .WithDescription("Query: authenticated_only=true hides authenticate_<connector> tools; stable=true lists every data tool whether " +
                "authenticated or not (calling one that is not answers with the magic link), so the list never changes.")
            .Accepts<JsonObject>("application/json")
            .Produces<JsonObject>(StatusCodes.Status200OK, "application/json", "text/event-stream");
        // Stateless: no server-initiated stream (GET) and no session to end (DELETE).
        v1.MapGet(Path, MethodNotAllowed).ExcludeFromDescription();
        v1.MapDelete(Path, MethodNotAllowed).ExcludeFromDescription();
        return v1;
    }

    private static IResult MethodNotAllowed(HttpContext http)
    {
        http.Response.Headers.Allow = "POST";
        return Results.Json(RpcError(null, -32000, "Method not allowed: this MCP server is stateless; send JSON-RPC messages with POST."),
            statusCode: StatusCodes.Status405MethodNotAllowed);
    }

    internal static async Task HandleAsync(
        Guid toolPackId, Guid registeredUserId, HttpContext http, AgentTools tools, ILoggerFactory loggers,
        IOptions<TributaryOptions> options, CancellationToken ct)
    {
        if (!OriginAllowed(http, options.Value.PublicUrl))
        {
            await WriteAsync(http, StatusCodes.Status403Forbidden, RpcError(null, -32000, "Forbidden: the request's Origin or Host is not this server's (DNS rebinding protection)."), ct);
            return;
        }
        var accept = http.Request.Headers.Accept.ToString();
        if (!accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) || !accept.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            await WriteAsync(http, StatusCodes.Status406NotAcceptable,
                RpcError(null, -32000, "Not Acceptable: send 'Accept: application/json, text/event-stream' (MCP Streamable HTTP)."), ct);
            return;
        }
        if (!http.Request.HasJsonContentType())
        {
            await WriteAsync(http, StatusCodes.Status415UnsupportedMediaType, RpcError(null, -32000, "Send the JSON-RPC message as application/json."), ct);
            return;
        }

        var target = await tools.ResolveAsync(toolPackId, registeredUserId, PublicUrls.Base(http), ct);
        if (target is null)
        {
            await WriteAsync(http, StatusCodes.Status404NotFound,
                RpcError(null, -32000, $"No tool pack {toolPackId} with registered user {registeredUserId} in this organization and environment."), ct);
            return;
        }

        JsonRpcMessage? message;
        try
        {
            message = await JsonSerializer.DeserializeAsync(http.Request.Body, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage)), ct) as JsonRpcMessage;
        }
        catch (JsonException e)
        {
            await WriteAsync(http, StatusCodes.Status400BadRequest, RpcError(null, -32700, "Parse error: " + e.Message), ct);
            return;
        }
        if (message is null)
        {
            await WriteAsync(http, StatusCodes.Status400BadRequest, RpcError(null, -32600, "Invalid Request: expected one JSON-RPC message."), ct);
            return;
        }

        // Stateless, but a client that declared URL-mode elicitation at initialize gets a session id
        // that says so; it sends it back on every request, so any replica knows without shared state.
        var urlElicitation = http.Request.Headers["Mcp-Session-Id"].ToString().StartsWith(UrlElicitationSession, StringComparison.Ordinal);
        if (message is JsonRpcRequest { Method: "initialize" } initialize && DeclaresUrlElicitation(initialize.Params))
        {
            http.Response.Headers["Mcp-Session-Id"] = UrlElicitationSession + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        }

        var query = QueryReader.From(http.Request);
        var authenticatedOnly = query.Bool("authenticated_only") ?? false;
        var stable = query.Bool("stable") ?? false;
        query.ThrowIfInvalid();

        var serverOptions = new McpServerOptions
        {
            ServerInfo = new Implementation { Name = "tributary-agent-handler", Version = typeof(McpEndpoint).Assembly.GetName().Version?.ToString(3) ?? "0.0.0" },
            Capabilities = new ServerCapabilities { Tools = new ToolsCapability { ListChanged = false } },
            ServerInstructions = $"Tools of tool pack \"{target.Pack.Name}\" for registered user {target.User.OriginUserId}. " +
                "If a tool answers with a magic_link_url, share the link with the user and wait for them to connect before retrying.",
            ScopeRequests = false,
            Handlers = new McpServerHandlers
            {
                ListToolsHandler = async (request, token) =>
                {
                    var listed = await tools.ListAsync(target, authenticatedOnly, stable, token);
                    return new ListToolsResult
                    {
                        Tools = listed.Select(t => new Tool
                        {
                            Name = t.Name,
                            Description = t.Description,
                            InputSchema = JsonSerializer.SerializeToElement(t.InputSchema),
                        }).ToList(),
                    };
                },
                CallToolHandler = async (request, token) =>
                {
                    var name = request.Params?.Name ?? "";
                    var arguments = request.Params?.Arguments is { } given ? new Dictionary<string, JsonElement>(given) : null;
                    var outcome = await tools.CallAsync(target, name, arguments, http, token);
                    if (urlElicitation && outcome.Elicitation is { } needed)
                    {
                        // MCP 2025-11-25 URL elicitation: the client asks the user's consent, opens the link,
                        // and retries the call; clients without it get Merge's JSON result below.
                        throw new UrlElicitationRequiredException(outcome.Payload["message"]!.GetValue<string>(),
                        [
                            new ElicitRequestParams { Mode = "url", ElicitationId = needed.Id.ToString(), Url = needed.Url, Message = needed.Message },
                        ]);
                    }
                    return new CallToolResult
                    {
                        Content = [new TextContentBlock { Text = outcome.Payload.ToJsonString(ApiJson.Options) }],
                        IsError = outcome.IsError,
                    };
                },
            },
        };

        var transport = new StreamableHttpServerTransport(loggers) { Stateless = true };
        await using var server = McpServer.Create(transport, serverOptions, loggers, http.RequestServices);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = server.RunAsync(stop.Token);

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache,no-store";
        http.Response.Headers.ContentEncoding = "identity";
        http.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();
        var wrote = await transport.HandlePostRequestAsync(message, http.Response.Body, ct);
        if (!wrote)
        {
            // A notification or a response: nothing to answer.
            http.Response.Headers.ContentType = default;
            http.Response.StatusCode = StatusCodes.Status202Accepted;
        }
        await stop.CancelAsync();
        await transport.DisposeAsync();
        try
        {
            await run;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private const string UrlElicitationSession = "url-elicitation.";

    private static bool DeclaresUrlElicitation(JsonNode? parameters) =>
        parameters?["capabilities"]?["elicitation"]?["url"] is JsonObject;

    /// <summary>
    /// DNS rebinding protection: a browser page that rebinds its own name to this server still sends
    /// its own Origin (and Host). Requests without Origin (agents, SDKs) pass; with one, it must be
    /// this server's public origin, or a loopback origin when the server itself is reached on loopback.
    /// </summary>
    private static bool OriginAllowed(HttpContext http, string? publicUrl)
    {
        var host = http.Request.Host.Host;
        if (!string.IsNullOrWhiteSpace(publicUrl) && Uri.TryCreate(publicUrl, UriKind.Absolute, out var configured)
            && !string.Equals(host, configured.Host, StringComparison.OrdinalIgnoreCase) && !IsLoopback(host))
        {
            return false;
        }
        var origin = http.Request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var originUri))
        {
            return false;
        }
        if (!string.IsNullOrWhiteSpace(publicUrl) && Uri.TryCreate(publicUrl, UriKind.Absolute, out var allowed)
            && string.Equals(originUri.GetLeftPart(UriPartial.Authority), allowed.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return IsLoopback(originUri.Host) && IsLoopback(host);
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host == "127.0.0.1" || host is "[::1]" or "::1";

    private static JsonObject RpcError(JsonNode? id, int code, string message) =>
        new() { ["jsonrpc"] = "2.0", ["id"] = id, ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };

    private static async Task WriteAsync(HttpContext http, int status, JsonObject body, CancellationToken ct)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString(), ct);
    }
}
