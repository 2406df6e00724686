using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Cli;

/// <summary>The README's first command: `demo` seeds a demo organization with a synced Sandbox account, then serves.</summary>
public sealed partial class DemoCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Demo_ServesSandboxData_WithFreshKeysEachStart(DatabaseKind kind)
    {
        await using var database = await TestDatabase.CreateAsync(kind);
        using var data = new TemporaryDirectory();
        var env = TributaryExecutable.Environment(kind, database.ConnectionString, data.Path);

        var (firstKey, firstToken, firstFiles) = await RunDemoAsync(env);
        var (secondKey, secondToken, secondFiles) = await RunDemoAsync(env);

        Assert.Equal(24, firstFiles.Count);
        Assert.Equal(firstFiles, secondFiles);
        Assert.NotEqual(firstKey, secondKey);
        Assert.NotEqual(firstToken, secondToken);

        // The first run's key was revoked by the second run.
        await using var server = await ServerProcess.StartAsync("after", env);
        using var stale = server.CreateApiClient(firstKey);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stale.GetAsync("/api/filestorage/v1/audit-trail", Ct)).StatusCode);
        using var current = server.CreateApiClient(secondKey);
        Assert.Equal(HttpStatusCode.OK, (await current.GetAsync("/api/filestorage/v1/audit-trail", Ct)).StatusCode);
    }

    private static async Task<(string Key, string Token, List<string> Files)> RunDemoAsync(IReadOnlyDictionary<string, string?> env)
    {
        await using var server = await ServerProcess.StartAsync("demo", env, verb: ["demo"]);
        var key = ApiKey().Match(server.Output).Groups[1].Value;
        var token = AccountToken().Match(server.Output).Groups[1].Value;
        Assert.True(key.Length > 0 && token.Length > 0, "demo printed no keys:" + Environment.NewLine + server.Output);
        using var api = server.CreateApiClient(key);
        api.DefaultRequestHeaders.Add("X-Account-Token", token);
        var page = await api.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/files?page_size=100", Ct);
        var names = page.GetProperty("results").EnumerateArray().Select(f => f.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToList();
        return (key, token, names);
    }

    [GeneratedRegex(@"TRIBUTARY_API_KEY=(\S+)")]
    private static partial Regex ApiKey();

    [GeneratedRegex(@"TRIBUTARY_ACCOUNT_TOKEN=(\S+)")]
    private static partial Regex AccountToken();
}
