using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.Hosting;
using Tributary.Server.Linking;
using Tributary.Server.Organization;
using Tributary.Server.Push;

namespace Tributary.Bench;

/// <summary>
/// Push-to-visibility latency: the bench plays the provider. It renames a file at its loopback provider
/// fake, posts a Google Drive style channel notification (channel id + token) to the product's real
/// push endpoint, and polls <c>GET /api/filestorage/v1/files/{id}</c> until the new name is served.
/// In between is the whole product path: the endpoint's channel check, <c>PushDebouncer</c>, the Quartz
/// scheduler (persistent SQLite job store, <c>Sync:RunJobs</c>), the account's sync job, an incremental
/// read of the provider's change feed, the commit, and the API read.
/// </summary>
internal static class Push
{
    private const int Files = 2_000;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public static async Task RunAsync(string dataRoot, int isolated, int burst)
    {
        Console.WriteLine($"## push: change at the provider → visible through GET /files/{{id}} ({isolated} isolated changes, a burst of {burst})");
        await using var provider = await FeedProvider.StartAsync(Files);
        var directory = Path.Combine(dataRoot, "push");
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
        Directory.CreateDirectory(directory);
        Environment.SetEnvironmentVariable("Tributary__DataDirectory", directory);
        Environment.SetEnvironmentVariable("Sync__RunJobs", "true");
        Environment.SetEnvironmentVariable("Sync__LoopbackProviderUrl", provider.Url);
        Environment.SetEnvironmentVariable("Integrations__loopback__ClientId", "bench");
        Environment.SetEnvironmentVariable("Integrations__loopback__ClientSecret", "bench");
        var app = TributaryServer.Build(["--urls", "http://127.0.0.1:0"]);
        await using (app)
        {
            await TributaryServices.MigrateAsync(app.Services, CancellationToken.None);
            await app.StartAsync();
            var baseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
            var (accountId, key, token, channelId, secret) = await LinkAsync(app.Services);
            var window = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PushOptions>>().Value.DebounceWindow;
            Console.WriteLine($"Push:DebounceWindow {window.TotalMilliseconds:N0} ms; polling every {PollInterval.TotalMilliseconds:N0} ms");

            using var api = new HttpClient { BaseAddress = baseAddress };
            api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            api.DefaultRequestHeaders.Add("X-Account-Token", token);
            using var push = new HttpClient { BaseAddress = baseAddress };

            var initial = Stopwatch.StartNew();
            while (await SyncStatusAsync(app.Services, accountId) != SyncStatusValue.Done)
            {
                if (initial.Elapsed > TimeSpan.FromMinutes(5))
                {
                    throw new InvalidOperationException("The initial sync did not finish within 5 minutes.");
                }
                await Task.Delay(100);
            }
            Console.WriteLine($"initial sync of {Files:N0} files done in {initial.Elapsed.TotalSeconds:N1} s (through the scheduler)");

            // The first change after start pays for JIT and first-use setup; it is reported on its own.
            await Task.Delay(window + TimeSpan.FromMilliseconds(300));
            var cold = Stopwatch.StartNew();
            provider.Rename(Files - 1, "warm-up.txt");
            await NotifyAsync(push, channelId, secret);
            await WaitVisibleAsync(api, accountId, Files - 1, "warm-up.txt", cold);
            Console.WriteLine($"first change after start (cold): {cold.Elapsed.TotalMilliseconds:N0} ms");

            // Isolated changes: each after the previous one's debounce window closed (the leading edge: a sync at once).
            var latencies = new List<double>();
            for (var i = 0; i < isolated; i++)
            {
                await Task.Delay(window + TimeSpan.FromMilliseconds(300));
                var file = (i * 37) % (Files - 1);
                var name = $"renamed-{i}-{file}.txt";
                var watch = Stopwatch.StartNew();
                provider.Rename(file, name);
                await NotifyAsync(push, channelId, secret);
                await WaitVisibleAsync(api, accountId, file, name, watch);
                latencies.Add(watch.Elapsed.TotalMilliseconds);
                Console.WriteLine($"  change {i + 1,2}: {watch.Elapsed.TotalMilliseconds,7:N0} ms");
            }
            Report("isolated changes", latencies);

            // A burst: one change (and one notification) every 200 ms, watched all at once while they are sent;
            // the ones inside the debounce window wait for its trailing edge.
            if (burst > 0)
            {
                await Task.Delay(window + TimeSpan.FromMilliseconds(300));
                var pending = new List<(int File, string Name, Stopwatch Watch)>();
                var seen = new Dictionary<int, double>();
                var sending = true;
                var watcher = Task.Run(async () =>
                {
                    while (Volatile.Read(ref sending) || seen.Count < pending.Count)
                    {
                        List<(int File, string Name, Stopwatch Watch)> open;
                        lock (pending)
                        {
                            open = pending.Where(p => !seen.ContainsKey(p.File)).ToList();
                        }
                        foreach (var (file, name, watch) in open)
                        {
                            if (await NameAsync(api, accountId, file) == name)
                            {
                                lock (pending)
                                {
                                    seen[file] = watch.Elapsed.TotalMilliseconds;
                                }
                            }
                            else if (watch.Elapsed > TimeSpan.FromSeconds(60))
                            {
                                throw new InvalidOperationException($"{name} was not visible after 60 s.");
                            }
                        }
                        await Task.Delay(PollInterval);
                    }
                });
                for (var i = 0; i < burst; i++)
                {
                    var file = (1000 + i * 41) % (Files - 1);
                    var name = $"burst-{i}-{file}.txt";
                    var watch = Stopwatch.StartNew();
                    provider.Rename(file, name);
                    lock (pending)
                    {
                        pending.Add((file, name, watch));
                    }
                    await NotifyAsync(push, channelId, secret);
                    await Task.Delay(200);
                }
                Volatile.Write(ref sending, false);
                await watcher;
                var burstLatencies = pending.Select(p => seen[p.File]).ToList();
                Console.WriteLine($"  burst, in order sent: {string.Join(", ", burstLatencies.Select(l => l.ToString("N0", CultureInfo.InvariantCulture)))} ms");
                Report("burst, 200 ms apart", burstLatencies);
            }
            await app.StopAsync();
        }
    }

    private static void Report(string what, List<double> latencies) =>
        Console.WriteLine($"{what}: n={latencies.Count} median {Stats.Percentile(latencies, 50):N0} ms, p95 {Stats.Percentile(latencies, 95):N0} ms, " +
            $"max {latencies.Max():N0} ms (goal <= 2,000 ms)");

    private static async Task NotifyAsync(HttpClient push, string channelId, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/push/google-drive");
        request.Headers.Add("X-Goog-Channel-ID", channelId);
        request.Headers.Add("X-Goog-Channel-Token", secret);
        request.Headers.Add("X-Goog-Resource-State", "change");
        request.Headers.Add("X-Goog-Message-Number", "1");
        using var response = await push.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    private static async Task WaitVisibleAsync(HttpClient api, Guid accountId, int file, string name, Stopwatch watch)
    {
        while (true)
        {
            if (await NameAsync(api, accountId, file) == name)
            {
                return;
            }
            if (watch.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException($"{name} was not visible after 60 s.");
            }
            await Task.Delay(PollInterval);
        }
    }

    private static async Task<string?> NameAsync(HttpClient api, Guid accountId, int file)
    {
        var json = await api.GetFromJsonAsync<JsonElement>($"api/filestorage/v1/files/{StoreIds.For(accountId, "file", FeedProvider.RemoteId(file))}");
        return json.GetProperty("name").GetString();
    }

    private static async Task<SyncStatusValue?> SyncStatusAsync(IServiceProvider services, Guid accountId)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        return await db.SyncStates.IgnoreQueryFilters().AsNoTracking().Where(s => s.LinkedAccountId == accountId && s.InitialSyncDone)
            .Select(s => (SyncStatusValue?)s.Status).FirstOrDefaultAsync();
    }

    /// <summary>An organization with a production key, a loopback account (its initial sync queued by the link) and a Drive-style push channel.</summary>
    private static async Task<(Guid Account, string Key, string Token, string ChannelId, string Secret)> LinkAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<TributaryDbContext>();
        var time = sp.GetRequiredService<TimeProvider>();
        var org = new Tributary.Data.Entities.Organization { Id = Guid.CreateVersion7(time.GetUtcNow()), Name = "Push", CreatedAt = time.GetUtcNow().UtcDateTime };
        db.Organizations.Add(org);
        var key = sp.GetRequiredService<ApiKeys>().Create(db, org.Id, ApiEnvironment.Production, "push bench", AuditActor.Operator);
        await db.SaveChangesAsync();
        var loopback = sp.GetRequiredService<IntegrationCatalog>().Find("loopback")!;
        var (account, token) = await sp.GetRequiredService<LinkFlow>().LinkDirectlyAsync(org.Id, loopback, "push", "push@example.com", "Push",
            JsonSerializer.SerializeToElement(new { access_token = "bench-token" }), CancellationToken.None);
        var channelId = "bench-channel-" + account.Id.ToString("N");
        var secret = PushChannels.NewSecret();
        await sp.GetRequiredService<PushChannels>().RegisterAsync(db, account, PushProviders.GoogleDrive, channelId, secret, "bench-resource", null, CancellationToken.None);
        await db.SaveChangesAsync();
        return (account.Id, key.Secret, token, channelId, secret);
    }

    /// <summary>The loopback change-feed protocol over a mutable set of files: a full read, then an append-only change log.</summary>
    private sealed class FeedProvider : IAsyncDisposable
    {
        private readonly Lock _lock = new();
        private readonly string[] _names;
        private readonly List<int> _log = [];
        private WebApplication _app = null!;

        private FeedProvider(int files) => _names = Enumerable.Range(0, files).Select(i => $"report-{i}.txt").ToArray();

        public string Url { get; private set; } = "";

        public static string RemoteId(int file) => $"file-{file:D8}";

        public void Rename(int file, string name)
        {
            lock (_lock)
            {
                _names[file] = name;
                _log.Add(file);
            }
        }

        public static async Task<FeedProvider> StartAsync(int files)
        {
            var provider = new FeedProvider(files);
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.MapGet("/changes", (HttpRequest request) => provider.Changes(request.Query["cursor"].ToString()));
            await app.StartAsync();
            provider._app = app;
            provider.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return provider;
        }

        private IResult Changes(string cursor)
        {
            lock (_lock)
            {
                if (cursor.StartsWith("log:", StringComparison.Ordinal))
                {
                    var from = int.Parse(cursor.AsSpan(4), CultureInfo.InvariantCulture);
                    var changed = _log.Skip(from).Take(1000).ToList();
                    var end = from + changed.Count;
                    return Results.Json(new { records = changed.Distinct().Select(Record).ToList(), deleted = Array.Empty<object>(), cursor = $"log:{end}", final = end >= _log.Count, full = false });
                }
                var offset = cursor.StartsWith("full:", StringComparison.Ordinal) ? int.Parse(cursor.AsSpan(5), CultureInfo.InvariantCulture) : 0;
                var stop = Math.Min(offset + 1000, _names.Length);
                var records = new List<object>();
                if (offset == 0)
                {
                    records.Add(new { type = "drive", id = "drive-1", name = "Main drive" });
                }
                records.AddRange(Enumerable.Range(offset, stop - offset).Select(Record));
                var last = stop >= _names.Length;
                return Results.Json(new { records, deleted = Array.Empty<object>(), cursor = last ? $"log:{_log.Count}" : $"full:{stop}", final = last, full = true });
            }
        }

        private object Record(int file) => new
        {
            type = "file", id = RemoteId(file), name = _names[file], parent = $"folder-{file % 100:D4}", drive = "drive-1",
            size = 1000 + file, mime_type = "text/plain", modified = "2026-01-01T00:00:00Z",
        };

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
