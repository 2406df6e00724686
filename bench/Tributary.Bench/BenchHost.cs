using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Tributary.Data;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.FileStorage;
using Tributary.Server.Cli;
using Tributary.Server.Hosting;

namespace Tributary.Bench;

/// <summary>What setup created once and later runs reuse (kept in the bench data directory).</summary>
internal sealed record BenchState(Guid OrganizationId, string TestKey, Guid LinkedAccountId, string AccountToken, int SeededFiles)
{
    public Dictionary<string, Guid> UploadedFiles { get; init; } = [];
}

/// <summary>
/// The environment every scenario shares: a data directory with the embedded SQLite store, an
/// organization and a Sandbox linked account made through the real CLI verbs, and the real server
/// (<see cref="TributaryServer.Build"/>) listening on a loopback port in this process.
/// </summary>
internal static class BenchHost
{
    public static string DataDirectory { get; private set; } = "";
    private static string StatePath => Path.Combine(DataDirectory, "bench-state.json");
    public static string DatabasePath => Path.Combine(DataDirectory, "tributary.db");

    /// <summary>Configuration through environment variables, read by both the CLI verbs and the server.</summary>
    public static void Configure(string dataDirectory)
    {
        DataDirectory = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(DataDirectory);
        Environment.SetEnvironmentVariable("Tributary__DataDirectory", DataDirectory);
        // The default 600 requests/minute/account would measure the rate limiter, not the list.
        Environment.SetEnvironmentVariable("Tributary__RateLimitPerMinute", "1000000");
        // Room for the 1 GiB upload used by the download scenario (default limit is exactly 1 GiB).
        Environment.SetEnvironmentVariable("Tributary__MaxUploadBytes", (2L << 30).ToString(CultureInfo.InvariantCulture));
        // One JSON log line per request would measure the console; both endpoints of a comparison skip it alike.
        Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");
        Environment.SetEnvironmentVariable("ASPNETCORE_ENVIRONMENT", "Production");
    }

    public static BenchState? LoadState() =>
        File.Exists(StatePath) ? JsonSerializer.Deserialize<BenchState>(File.ReadAllText(StatePath)) : null;

    public static void SaveState(BenchState state) =>
        File.WriteAllText(StatePath, JsonSerializer.Serialize(state, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Organization and linked account through <c>orgs create --json</c> and <c>sandbox link --json</c>.</summary>
    public static async Task<BenchState> EnsureAccountAsync()
    {
        if (LoadState() is { } existing)
        {
            return existing;
        }
        var org = await CliJsonAsync("orgs", "create", "--name", "Bench", "--json");
        var orgId = org["organization_id"]!.GetValue<Guid>();
        var link = await CliJsonAsync("sandbox", "link", "--org", orgId.ToString(), "--email", "bench@example.com", "--json");
        var state = new BenchState(orgId, org["test_key"]!.GetValue<string>(),
            link["linked_account_id"]!.GetValue<Guid>(), link["account_token"]!.GetValue<string>(), 0);
        SaveState(state);
        return state;
    }

    private static async Task<JsonNode> CliJsonAsync(params string[] args)
    {
        var original = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        int code;
        try
        {
            code = await CliApp.RunAsync(args);
        }
        finally
        {
            Console.SetOut(original);
        }
        if (code != 0)
        {
            throw new InvalidOperationException($"tributary {string.Join(' ', args)} failed ({code}): {captured}");
        }
        return JsonNode.Parse(captured.ToString())!;
    }

    /// <summary>
    /// Builds the product server exactly as <c>Program.cs</c> does, then maps bench-only routes
    /// (never part of the product) before it starts on 127.0.0.1 with a free port.
    /// </summary>
    public static async Task<(WebApplication App, Uri BaseAddress)> StartServerAsync(Action<WebApplication>? mapExtra = null)
    {
        var app = TributaryServer.Build(["--urls", "http://127.0.0.1:0"]);
        mapExtra?.Invoke(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address + "/"));
    }

    /// <summary>
    /// The static-JSON comparison routes: one bare, one behind the same API key + account token + rate
    /// limit as /files, and one that also runs /files' page-1 query (same filter, order, projection and
    /// keyset code, reading the stored renderings) but answers with the static bytes, so the difference to /files is the JSON writing.
    /// </summary>
    public static void MapStatic(WebApplication app, Func<byte[]> body)
    {
        app.MapGet("/bench/static", () => Results.Bytes(body(), "application/json"));
        var group = app.MapGroup($"/api/{TributaryServer.CategoryPattern}/v1");
        group.MapGet("/bench-static", () => Results.Bytes(body(), "application/json"))
            .RequireAccountToken();
        group.MapGet("/bench-query", (TributaryDbContext db, SqliteRenderedPages sqlite, Tributary.Data.Tenancy.ITenantScope tenant, CursorCodec cursors, CancellationToken ct) =>
        {
            var filters = new List<ListFilter> { ListFilter.Equal(nameof(SyncedRecord.RemoteWasDeleted), false) };
            var walk = KeysetWalk.Start(cursors, "files:created_at", null, descending: false);
            using var rows = sqlite.Read<StoredFile>(db, tenant.LinkedAccountId!.Value, filters, walk, 100, byModified: false, ct).Rows;
            return rows.Count == 100 && rows.UnrenderedCount == 0 ? Results.Bytes(body(), "application/json") : Results.StatusCode(500);
        }).RequireAccountToken();
    }

    public static HttpClient Client(Uri baseAddress, BenchState state, int connections = 8)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(10) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", state.TestKey);
        client.DefaultRequestHeaders.Add("X-Account-Token", state.AccountToken);
        return client;
    }
}
