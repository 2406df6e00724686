using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Data.Entities;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Interop;

/// <summary>
/// Merge's official Node SDK (tests/interop/merge-node-client, version pinned in its package.json
/// and package-lock.json) against a real Tributary server on a loopback port: the SDK must work
/// unchanged, pointed at <c>&lt;base&gt;/api</c>.
/// </summary>
public sealed class MergeNodeClientTests
{
    private const int Generated = 3;
    private const int PageSize = 2;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task OfficialSdk_GeneratesRegeneratesKeys_AndPagesTheAuditTrail(DatabaseKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = await NodeClientFolder.PrepareAsync();
        await using var app = await TributaryApplication.StartAsync(kind, kestrel: true);
        var org = await app.CreateOrganizationAsync("Interop Co");
        // The organization's own "default" key event falls before start_date; the SDK's events after it.
        // (Real time, not a frozen clock: the events must be apart for "newest first" to be checkable.)
        await Task.Delay(20, ct);
        var startDate = TimeProvider.System.GetUtcNow();

        var baseUrl = app.ClientOptions.BaseAddress.ToString().TrimEnd('/');
        var run = await ChildProcess.RunAsync("node", ["interop.mjs"],
            new Dictionary<string, string?>
            {
                ["TRIBUTARY_BASE_URL"] = baseUrl,
                ["TRIBUTARY_API_KEY"] = org.ProductionKey,
                ["TRIBUTARY_START_DATE"] = startDate.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["TRIBUTARY_GENERATE"] = Generated.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["TRIBUTARY_PAGE_SIZE"] = PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            workingDirectory: folder, timeout: TimeSpan.FromSeconds(90), cancellationToken: ct);

        JsonElement result;
        try
        {
            result = JsonDocument.Parse(run.Stdout).RootElement;
        }
        catch (JsonException)
        {
            Assert.Fail($"The interop script printed no JSON document:{Environment.NewLine}{run}");
            throw;
        }
        Assert.True(run.ExitCode == 0 && result.GetProperty("ok").GetBoolean(), $"The SDK run reported mismatches:{Environment.NewLine}{run}");

        // What the SDK saw.
        Assert.Equal("4.0.4", result.GetProperty("sdk_version").GetString());
        Assert.Equal($"{baseUrl}/api", result.GetProperty("environment").GetString());
        var generated = result.GetProperty("generated").EnumerateArray().ToList();
        Assert.Equal(Generated, generated.Count);
        Assert.All(generated, g => Assert.StartsWith("trb_live_", g.GetProperty("key").GetString(), StringComparison.Ordinal));
        Assert.True(result.GetProperty("generated_key_works").GetBoolean());
        var regenerated = result.GetProperty("regenerated");
        Assert.Equal("interop regenerated", regenerated.GetProperty("name").GetString());
        Assert.StartsWith("trb_live_", regenerated.GetProperty("key").GetString(), StringComparison.Ordinal);
        Assert.Equal(401, result.GetProperty("old_key_rejected").GetProperty("status_code").GetInt32());
        Assert.Contains("Invalid API key", result.GetProperty("old_key_rejected").GetProperty("body").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(400, result.GetProperty("invalid_event_type").GetProperty("status_code").GetInt32());

        var trail = result.GetProperty("audit_trail");
        var pages = trail.GetProperty("pages").EnumerateArray().Select(p => p.GetArrayLength()).ToList();
        Assert.Equal<int>([2, 1], pages); // 3 events, page size 2: the SDK followed `next` once.
        var events = trail.GetProperty("events").EnumerateArray().ToList();
        Assert.All(events, e =>
        {
            Assert.Equal("CREATED_REMOTE_PRODUCTION_API_KEY", e.GetProperty("event_type").GetString());
            Assert.Equal("API", e.GetProperty("role").GetString());
            Assert.True(System.Net.IPAddress.IsLoopback(System.Net.IPAddress.Parse(e.GetProperty("ip_address").GetString()!)));
            Assert.True(e.GetProperty("created_at_is_date").GetBoolean());
        });
        Assert.Equal<string>(["interop generated 3", "interop generated 2", "interop generated 1"],
            events.Select(e => generated.Select(g => g.GetProperty("name").GetString()!)
                .Single(n => e.GetProperty("event_description").GetString()!.Contains($"\"{n}\"", StringComparison.Ordinal))).ToList());
        Assert.Single(trail.GetProperty("regenerated_events").EnumerateArray());

        // What the server recorded.
        var stored = await app.WithDbAsync(async (db, _) => new
        {
            Events = await db.AuditEvents.IgnoreQueryFilters().Where(e => e.OrganizationId == org.Id)
                .OrderBy(e => e.CreatedAt).ThenBy(e => e.Id).ToListAsync(ct),
            Keys = await db.ApiKeys.IgnoreQueryFilters().Where(k => k.OrganizationId == org.Id).ToListAsync(ct),
        });
        var apiEvents = stored.Events.Where(e => e.Role == "API").ToList();
        Assert.Equal(Generated, apiEvents.Count(e => e.EventType == "CREATED_REMOTE_PRODUCTION_API_KEY"));
        var regeneration = Assert.Single(apiEvents, e => e.EventType == "REGENERATED_PRODUCTION_API_KEY");
        Assert.Contains("\"default\"", regeneration.EventDescription, StringComparison.Ordinal);
        Assert.Contains("\"interop regenerated\"", regeneration.EventDescription, StringComparison.Ordinal);
        Assert.Equal(Generated + 1, apiEvents.Count);
        Assert.Equal(events.Select(e => Guid.Parse(e.GetProperty("id").GetString()!)).Order(),
            stored.Events.Where(e => e.EventType == "CREATED_REMOTE_PRODUCTION_API_KEY" && e.Role == "API").Select(e => e.Id).Order());

        var original = Assert.Single(stored.Keys, k => k.Name == "default");
        Assert.NotNull(original.RevokedAt);
        var production = stored.Keys.Where(k => k.Environment == ApiEnvironment.Production && k.RevokedAt is null).Select(k => k.Name).Order().ToList();
        Assert.Equal<string>(["interop generated 1", "interop generated 2", "interop generated 3", "interop regenerated"], production);
    }
}

/// <summary>The interop folder, with <c>npm ci</c> run once per test run (node_modules is not committed).</summary>
internal static class NodeClientFolder
{
    private static readonly Lazy<Task<string>> Prepared = new(PrepareOnceAsync);

    public static Task<string> PrepareAsync() => Prepared.Value;

    private static async Task<string> PrepareOnceAsync()
    {
        var folder = Find();
        var versions = new List<string>();
        foreach (var tool in new[] { "node", "npm" })
        {
            try
            {
                var version = await ChildProcess.RunAsync(tool, ["--version"], timeout: TimeSpan.FromSeconds(30));
                versions.Add($"{tool} {version.Stdout.Trim()}");
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidOperationException(
                    $"The Merge Node SDK interop test needs Node.js 18+ and npm on PATH ({e.Message}). " +
                    $"Install them (apt-get install nodejs npm), then run the tests again; the test runs `npm ci` in {folder} itself.", e);
            }
        }
        var install = await ChildProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"],
            new Dictionary<string, string?> { ["npm_config_update_notifier"] = "false" },
            workingDirectory: folder, timeout: TimeSpan.FromMinutes(5));
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"`npm ci` failed in {folder} ({string.Join(", ", versions)}); the registry must be reachable or the npm cache warm.{Environment.NewLine}{install}");
        }
        return folder;
    }

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "interop", "merge-node-client");
            if (File.Exists(Path.Combine(candidate, "package-lock.json")))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException(
            $"tests/interop/merge-node-client/package-lock.json was not found above {AppContext.BaseDirectory}: run the tests from the repository checkout.");
    }
}
