using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Tributary.Server.Conventions;
using static Tributary.Bench.Stats;

namespace Tributary.Bench;

internal static class Scenarios
{
    public const string FilesPath = "api/filestorage/v1/files?page_size=100";
    private const string Listing = "files:created_at"; // the default order_by, as FilesEndpoints names it

    // ---------------------------------------------------------------- 1. deep page vs first page

    public static async Task PagingAsync(BenchState state, int rounds)
    {
        Console.WriteLine($"## paging: GET /files?page_size=100, page 10,000 vs page 1 ({rounds} interleaved pairs)");
        var (app, baseUri) = await BenchHost.StartServerAsync();
        await using var _ = app;
        using var client = BenchHost.Client(baseUri, state, connections: 1);
        var codec = app.Services.GetRequiredService<CursorCodec>();

        // The cursor of page n+1 is the 'next' of page n: the (created_at, id) of page n's last row,
        // signed for the listing. Minting it from the row at that position is what walking would give:
        // checked below against page 1's 'next' and against a walk of 50 pages.
        string Mint(long lastRowOfPreviousPage)
        {
            var (id, created) = RowAt(state, lastRowOfPreviousPage);
            return codec.Encode(Listing, new CursorPosition(false, created.Ticks, id));
        }

        var page1 = await GetJsonAsync(client, FilesPath);
        Check(page1["next"]!.GetValue<string>() == Mint(99), "page 1's next equals the cursor minted from row 99");
        var walked = FilesPath;
        for (var page = 1; page <= 50; page++)
        {
            var body = await GetJsonAsync(client, walked);
            walked = FilesPath + "&cursor=" + body["next"]!.GetValue<string>();
        }
        Check(walked == FilesPath + "&cursor=" + Mint(50 * 100 - 1), "walking 50 pages reaches the cursor minted from row 4,999");

        var deepPath = FilesPath + "&cursor=" + Mint(9_999 * 100 - 1);
        var deep = await GetJsonAsync(client, deepPath);
        var deepResults = deep["results"]!.AsArray();
        var (expectedFirst, _) = RowAt(state, 9_999 * 100);
        Check(deepResults.Count == 100 && deepResults[0]!["id"]!.GetValue<Guid>() == expectedFirst,
            "page 10,000 holds 100 files and starts at row 999,900");
        var shallowBytes = (await client.GetByteArrayAsync(FilesPath)).Length;
        var deepBytes = (await client.GetByteArrayAsync(deepPath)).Length;
        Console.WriteLine($"page 1: {shallowBytes:N0} bytes; page 10,000: {deepBytes:N0} bytes");

        var buffer = new byte[256 * 1024];
        for (var i = 0; i < 100; i++)
        {
            await TimedGetAsync(client, FilesPath, buffer);
            await TimedGetAsync(client, deepPath, buffer);
        }
        var first = new List<double>(rounds);
        var deepest = new List<double>(rounds);
        for (var i = 0; i < rounds; i++)
        {
            // Alternate which goes first so neither always follows the other.
            if (i % 2 == 0)
            {
                first.Add(await TimedGetAsync(client, FilesPath, buffer));
                deepest.Add(await TimedGetAsync(client, deepPath, buffer));
            }
            else
            {
                deepest.Add(await TimedGetAsync(client, deepPath, buffer));
                first.Add(await TimedGetAsync(client, FilesPath, buffer));
            }
        }

        // The same two pages straight from SQLite with the keyset query the baseline used (no HTTP, no EF).
        var (sqlFirst, sqlDeep) = SqlBaseline(state, rounds);

        Console.WriteLine("| request | median ms | p95 ms | mean ms |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| page 1 | {F(Percentile(first, 50), 3)} | {F(Percentile(first, 95), 3)} | {F(first.Average(), 3)} |");
        Console.WriteLine($"| page 10,000 | {F(Percentile(deepest, 50), 3)} | {F(Percentile(deepest, 95), 3)} | {F(deepest.Average(), 3)} |");
        Console.WriteLine($"| SQL only, page 1 (raw keyset SELECT) | {F(Percentile(sqlFirst, 50), 3)} | {F(Percentile(sqlFirst, 95), 3)} | {F(sqlFirst.Average(), 3)} |");
        Console.WriteLine($"| SQL only, row 999,900 | {F(Percentile(sqlDeep, 50), 3)} | {F(Percentile(sqlDeep, 95), 3)} | {F(sqlDeep.Average(), 3)} |");
        Console.WriteLine($"RATIO page 10,000 / page 1: median {F(Percentile(deepest, 50) / Percentile(first, 50), 3)}×, " +
            $"p95 {F(Percentile(deepest, 95) / Percentile(first, 95), 3)}× (goal ≤ 1.2×)");
        await app.StopAsync();
    }

    private static (Guid Id, DateTime CreatedAt) RowAt(BenchState state, long offset)
    {
        using var connection = new SqliteConnection($"Data Source={BenchHost.DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, created_at FROM fs_files WHERE linked_account_id = $a AND remote_was_deleted = 0 " +
            "ORDER BY created_at, id LIMIT 1 OFFSET $n";
        command.Parameters.AddWithValue("$a", Seeder.Uuid(state.LinkedAccountId));
        command.Parameters.AddWithValue("$n", offset);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw new InvalidOperationException($"No row at offset {offset}: seed first.");
        }
        var created = DateTime.ParseExact(reader.GetString(1), "yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        return (Guid.Parse(reader.GetString(0)), created);
    }

    private static (List<double> First, List<double> Deep) SqlBaseline(BenchState state, int rounds)
    {
        var (_, deepAfter) = RowAt(state, 9_999 * 100 - 1);
        var (deepId, _) = RowAt(state, 9_999 * 100 - 1);
        using var connection = new SqliteConnection($"Data Source={BenchHost.DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var firstCommand = connection.CreateCommand();
        firstCommand.CommandText = "SELECT * FROM fs_files WHERE linked_account_id = $a AND remote_was_deleted = 0 ORDER BY created_at, id LIMIT 101";
        firstCommand.Parameters.AddWithValue("$a", Seeder.Uuid(state.LinkedAccountId));
        firstCommand.Prepare();
        using var deepCommand = connection.CreateCommand();
        deepCommand.CommandText = "SELECT * FROM fs_files WHERE linked_account_id = $a AND remote_was_deleted = 0 " +
            "AND (created_at, id) > ($s, $i) ORDER BY created_at, id LIMIT 101";
        deepCommand.Parameters.AddWithValue("$a", Seeder.Uuid(state.LinkedAccountId));
        deepCommand.Parameters.AddWithValue("$s", Seeder.Timestamp(deepAfter));
        deepCommand.Parameters.AddWithValue("$i", Seeder.Uuid(deepId));
        deepCommand.Prepare();
        var first = new List<double>(rounds);
        var deep = new List<double>(rounds);
        for (var i = 0; i < rounds + 50; i++)
        {
            var a = Time(firstCommand);
            var b = Time(deepCommand);
            if (i >= 50)
            {
                first.Add(a);
                deep.Add(b);
            }
        }
        return (first, deep);

        static double Time(SqliteCommand command)
        {
            var start = Stopwatch.GetTimestamp();
            using var reader = command.ExecuteReader();
            var values = new object[reader.FieldCount];
            while (reader.Read())
            {
                reader.GetValues(values);
            }
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
    }

    // ---------------------------------------------------------------- 2. list throughput vs static JSON

    public static async Task ThroughputAsync(BenchState state, int concurrency, int seconds, int rounds)
    {
        Console.WriteLine($"## throughput: GET /files page vs static JSON of the same bytes, {concurrency} concurrent, {rounds} × {seconds} s per endpoint, interleaved");
        byte[] staticBody = [];
        var (app, baseUri) = await BenchHost.StartServerAsync(a => BenchHost.MapStatic(a, () => staticBody));
        await using var _ = app;
        using var client = BenchHost.Client(baseUri, state, concurrency);
        staticBody = await client.GetByteArrayAsync(FilesPath);
        var again = await client.GetByteArrayAsync(FilesPath);
        Check(staticBody.AsSpan().SequenceEqual(again) && (await client.GetByteArrayAsync("bench/static")).AsSpan().SequenceEqual(staticBody),
            $"the static endpoints serve the same {staticBody.Length:N0} bytes as GET /files page 1");

        (string Name, string Path)[] endpoints =
        [
            ("GET /files?page_size=100 (page 1)", FilesPath),
            ("static JSON, no auth (/bench/static)", "bench/static"),
            ("static JSON behind API key + account token (/api/filestorage/v1/bench-static)", "api/filestorage/v1/bench-static"),
            ("auth + the /files query, static JSON answer (/api/filestorage/v1/bench-query)", "api/filestorage/v1/bench-query"),
        ];
        foreach (var (_, path) in endpoints)
        {
            await LoadAsync(client, path, concurrency, TimeSpan.FromSeconds(3));
        }
        var results = endpoints.ToDictionary(e => e.Path, _ => new List<LoadResult>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (name, path) in endpoints)
            {
                var result = await LoadAsync(client, path, concurrency, TimeSpan.FromSeconds(seconds));
                results[path].Add(result);
                Console.WriteLine($"  round {round + 1} {name}: {F(result.RequestsPerSecond, 0)} req/s, p50 {F(result.P50, 2)} ms, p99 {F(result.P99, 2)} ms, " +
                    $"{F(result.AllocatedBytes / 1024.0 / result.Requests, 0)} KB allocated/request (client + server), {result.Collections} GCs, " +
                    $"GC pauses {F(result.PauseMs, 0)} ms = {F(result.PauseMs / 10 / result.Seconds, 1)}% of the time");
            }
        }
        Console.WriteLine("| endpoint | req/s (all rounds) | p50 ms | p99 ms | MB/s |");
        Console.WriteLine("|---|---|---|---|---|");
        var rates = new Dictionary<string, double>();
        foreach (var (name, path) in endpoints)
        {
            var all = results[path];
            var rate = all.Sum(r => r.Requests) / all.Sum(r => r.Seconds);
            rates[path] = rate;
            var latencies = all.SelectMany(r => r.Latencies).ToList();
            Console.WriteLine($"| {name} | {F(rate, 0)} | {F(Percentile(latencies, 50), 2)} | {F(Percentile(latencies, 99), 2)} | {F(rate * staticBody.Length / 1e6, 0)} |");
        }
        Console.WriteLine($"RATIO /files ÷ static (no auth): {F(rates[FilesPath] / rates["bench/static"], 3)}× (goal ≥ 0.5×)");
        Console.WriteLine($"RATIO /files ÷ static behind the same auth: {F(rates[FilesPath] / rates["api/filestorage/v1/bench-static"], 3)}×");

        // Where a request's time goes: one connection, requests one after another, interleaved. A
        // one-row page shows the fixed cost per request; (100 rows − 1 row) / 99 is the cost per row.
        endpoints = [.. endpoints, ("GET /files?page_size=1", "api/filestorage/v1/files?page_size=1")];
        var sequential = endpoints.ToDictionary(e => e.Path, _ => new List<double>());
        var buffer = new byte[256 * 1024];
        for (var i = 0; i < 500; i++)
        {
            foreach (var (_, path) in endpoints)
            {
                var ms = await TimedGetAsync(client, path, buffer);
                if (i >= 50)
                {
                    sequential[path].Add(ms);
                }
            }
        }
        Console.WriteLine("| one connection, sequential (450 each, interleaved) | median ms | p95 ms |");
        Console.WriteLine("|---|---|---|");
        foreach (var (name, path) in endpoints)
        {
            Console.WriteLine($"| {name} | {F(Percentile(sequential[path], 50), 3)} | {F(Percentile(sequential[path], 95), 3)} |");
        }
        await app.StopAsync();
    }

    /// <summary>One endpoint under a closed-loop load and nothing else, so a profiler attached by PID sees only it.</summary>
    public static async Task LoadOnlyAsync(BenchState state, string path, int concurrency, int seconds)
    {
        var (app, baseUri) = await BenchHost.StartServerAsync(a => BenchHost.MapStatic(a, () => []));
        await using var _ = app;
        using var client = BenchHost.Client(baseUri, state, concurrency);
        await LoadAsync(client, path, concurrency, TimeSpan.FromSeconds(3));
        Console.WriteLine($"pid {Environment.ProcessId}: {path} under load for {seconds} s");
        var result = await LoadAsync(client, path, concurrency, TimeSpan.FromSeconds(seconds));
        Console.WriteLine($"{F(result.RequestsPerSecond, 0)} req/s, p50 {F(result.P50, 2)} ms, {F(result.AllocatedBytes / 1024.0 / result.Requests, 0)} KB allocated/request");
        await app.StopAsync();
    }

    private sealed record LoadResult(long Requests, double Seconds, List<double> Latencies)
    {
        public long AllocatedBytes { get; init; }
        public int Collections { get; init; }
        public double PauseMs { get; init; }

        public double RequestsPerSecond => Requests / Seconds;
        public double P50 => Percentile(Latencies, 50);
        public double P99 => Percentile(Latencies, 99);
    }

    /// <summary>A closed loop: <paramref name="concurrency"/> workers, each sends its next request when the last answered, until the time is up.</summary>
    private static async Task<LoadResult> LoadAsync(HttpClient client, string path, int concurrency, TimeSpan duration)
    {
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var collectionsBefore = GC.CollectionCount(0);
        var pauseBefore = GC.GetTotalPauseDuration();
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>(50_000);
            var buffer = new byte[256 * 1024];
            while (Stopwatch.GetTimestamp() < end)
            {
                latencies.Add(await TimedGetAsync(client, path, buffer));
            }
            return latencies;
        })).ToArray();
        var all = (await Task.WhenAll(workers)).SelectMany(l => l).ToList();
        return new LoadResult(all.Count, Stopwatch.GetElapsedTime(start).TotalSeconds, all)
        {
            AllocatedBytes = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore,
            Collections = GC.CollectionCount(0) - collectionsBefore,
            PauseMs = (GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds,
        };
    }

    // ---------------------------------------------------------------- 3. memory while streaming a download

    public static async Task DownloadAsync(BenchState state)
    {
        Console.WriteLine("## download: peak memory while streaming GET /files/{id}/download, 1 GiB vs 10 MiB (Sandbox file on disk)");
        var (app, baseUri) = await BenchHost.StartServerAsync();
        await using var _ = app;
        using var client = BenchHost.Client(baseUri, state, connections: 1);
        (string Name, long Size)[] files = [("bench-10mib.bin", 10L << 20), ("bench-1gib.bin", 1L << 30)];
        foreach (var (name, size) in files)
        {
            if (!state.UploadedFiles.ContainsKey(name))
            {
                var watch = Stopwatch.StartNew();
                state.UploadedFiles[name] = await UploadAsync(client, name, size);
                BenchHost.SaveState(state);
                Console.WriteLine($"  uploaded {name} ({size:N0} bytes) through POST /files multipart in {F(watch.Elapsed.TotalSeconds, 1)} s");
            }
        }

        Console.WriteLine("| download | bytes | s | MB/s | RSS before MB | peak RSS MB | peak − before MB | peak GC heap MB | allocated during MB |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var peaks = new Dictionary<string, List<double>>();
        foreach (var name in new[] { "bench-10mib.bin", "bench-1gib.bin", "bench-10mib.bin", "bench-1gib.bin" })
        {
            var r = await MeasureDownloadAsync(client, state.UploadedFiles[name]);
            peaks.TryAdd(name, []);
            peaks[name].Add(r.PeakRss);
            Console.WriteLine($"| {name} | {r.Bytes:N0} | {F(r.Seconds, 2)} | {F(r.Bytes / r.Seconds / 1e6, 0)} | {F(r.Before / 1e6, 1)} | {F(r.PeakRss / 1e6, 1)} | " +
                $"{F((r.PeakRss - r.Before) / 1e6, 1)} | {F(r.PeakHeap / 1e6, 1)} | {F(r.Allocated / 1e6, 1)} |");
        }
        Console.WriteLine($"RATIO peak RSS 1 GiB ÷ 10 MiB: {F(peaks["bench-1gib.bin"].Max() / peaks["bench-10mib.bin"].Max(), 3)}× (goal: flat, ≈ 1×)");
        await app.StopAsync();
    }

    private sealed record DownloadResult(long Bytes, double Seconds, long Before, long PeakRss, long PeakHeap, long Allocated);

    private static async Task<DownloadResult> MeasureDownloadAsync(HttpClient client, Guid id)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        await Task.Delay(300);
        Stats.ResetPeak();
        var before = Stats.Memory().Rss;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        long peakHeap = 0, sampledRss = 0;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peakHeap = Math.Max(peakHeap, GC.GetGCMemoryInfo().HeapSizeBytes);
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
                sampledRss = Math.Max(sampledRss, Stats.Memory().Rss);
                await Task.Delay(10);
            }
        });
        var start = Stopwatch.GetTimestamp();
        long bytes = 0;
        using (var response = await client.GetAsync($"api/filestorage/v1/files/{id}/download", HttpCompletionOption.ResponseHeadersRead))
        {
            Check(response.StatusCode == HttpStatusCode.OK, $"download answers 200 (got {(int)response.StatusCode})");
            await using var body = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                bytes += read;
            }
        }
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await stop.CancelAsync();
        await sampler;
        var peak = Math.Max(Stats.Memory().Peak, sampledRss);
        return new DownloadResult(bytes, seconds, before, peak, peakHeap, GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore);
    }

    private static async Task<Guid> UploadAsync(HttpClient client, string name, long size)
    {
        using var form = new MultipartFormDataContent();
        var model = new StringContent($$"""{"name":"{{name}}","mime_type":"application/octet-stream"}""");
        model.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        form.Add(model, "model");
        var file = new StreamContent(new GeneratedStream(size), 64 * 1024);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", name);
        using var response = await client.PostAsync("api/filestorage/v1/files", form);
        var text = await response.Content.ReadAsStringAsync();
        Check(response.IsSuccessStatusCode, $"upload of {name} succeeds ({(int)response.StatusCode}: {text[..Math.Min(300, text.Length)]})");
        var json = JsonNode.Parse(text)!;
        return (json["model"]?["id"] ?? json["id"])!.GetValue<Guid>();
    }

    // ---------------------------------------------------------------- helpers

    private static async Task<double> TimedGetAsync(HttpClient client, string path, byte[] buffer)
    {
        var start = Stopwatch.GetTimestamp();
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        await using var body = await response.Content.ReadAsStreamAsync();
        while (await body.ReadAsync(buffer) > 0)
        {
        }
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static async Task<JsonNode> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {text}");
        }
        return JsonNode.Parse(text)!;
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Check failed: " + what);
        }
        Console.WriteLine("  ok: " + what);
    }
}

/// <summary>Bytes made on the fly (a repeating pattern), never held: the upload source for the download scenario.</summary>
internal sealed class GeneratedStream(long length) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, length - _position);
        for (var i = 0; i < n; i++)
        {
            buffer[i] = (byte)((_position + i) * 31 >> 3);
        }
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
