using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.FileStorage.Files;

/// <summary>
/// Proof that uploads and downloads stream: each test holds the body back at a point the server
/// could only pass by forwarding what it has so far. A server that buffered the whole body first
/// would wait forever (the test times out instead).
/// </summary>
public sealed class FileStreamingTests
{
    private const string Files = LiveFileStorage.FilesPath;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Upload_ReachesTheConnector_BeforeTheClientHasSentItAll()
    {
        ScriptedConnector? sandbox = null;
        await using var live = await LiveFileStorage.StartAsync(DatabaseKind.Sqlite, kestrel: true, services: ScriptedConnector.Install(c => sandbox = c));
        var connectorHasOneMegabyte = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sandbox!.WrapUpload = content => new ObservedStream(content, read =>
        {
            if (read >= 1 << 20)
            {
                connectorHasOneMegabyte.TrySetResult();
            }
        });
        const long size = 6L << 20;
        // The client stops at 3 MB until the connector has seen 1 MB.
        var body = new GeneratedStream(size, async position =>
        {
            if (position >= 3 << 20)
            {
                await connectorHasOneMegabyte.Task.WaitAsync(Patience);
            }
        });

        using var response = await live.Api.PostAsync($"{Files}", Multipart(new { name = "held-back.bin" }, body, "held-back.bin"), Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var model = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("model");
        Assert.Equal(size, model.GetProperty("size").GetInt64());
        Assert.Equal(GeneratedStream.Sha256Of(size), model.GetProperty("checksum").GetProperty("content_hash").GetString());
    }

    [Fact]
    public async Task Download_ReachesTheClient_BeforeTheProviderHasSentItAll()
    {
        ScriptedConnector? sandbox = null;
        await using var live = await LiveFileStorage.StartAsync(DatabaseKind.Sqlite, kestrel: true, services: ScriptedConnector.Install(c => sandbox = c));
        var clientHasBytes = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const long size = 16L << 20;
        // The provider stops at 2 MB until the client has received its first bytes.
        sandbox!.OnDownload = _ => Task.FromResult(new RemoteContent(
            new GeneratedStream(size, async position =>
            {
                if (position >= 2 << 20)
                {
                    await clientHasBytes.Task.WaitAsync(Patience);
                }
            }),
            "application/octet-stream", "generated.bin", length: null));

        using var response = await live.Api.GetAsync($"{Files}/{live.FileId("file-large-dataset")}/download", HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Content.Headers.ContentLength);
        await using var stream = await response.Content.ReadAsStreamAsync(Ct);
        var buffer = new byte[64 * 1024];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, Ct)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
            clientHasBytes.TrySetResult();
        }
        Assert.Equal(size, total);
        Assert.Equal(GeneratedStream.Sha256Of(size), Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    internal static MultipartFormDataContent Multipart(object model, Stream file, string fileName, string fileType = "application/octet-stream")
    {
        var content = new MultipartFormDataContent();
        // A StringContent (not JsonContent) so the whole body has a Content-Length when the file part does.
        content.Add(new StringContent(JsonSerializer.Serialize(model), System.Text.Encoding.UTF8, "application/json"), "model");
        var part = new StreamContent(file, 64 * 1024);
        part.Headers.ContentType = new MediaTypeHeaderValue(fileType);
        content.Add(part, "file", fileName);
        return content;
    }
}

[CollectionDefinition(DisableParallelization = true)]
public sealed class MemoryMeasurements;

/// <summary>Memory while moving a large file both ways: the working set must not grow with the file's size.</summary>
[Collection(typeof(MemoryMeasurements))]
public sealed class FileStreamingMemoryTests
{
    private const string Files = LiveFileStorage.FilesPath;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LargeUploadAndDownload_KeepTheWorkingSetFlat()
    {
        await using var live = await LiveFileStorage.StartAsync(DatabaseKind.Sqlite, kestrel: true);
        const long size = 128L << 20;
        // Warm up: JIT, pools and connections are not what is measured.
        await UploadAsync(live, 1 << 20);
        using var sampler = new PeakSampler();

        var id = await UploadAsync(live, size);
        var uploadGrowth = sampler.TakePeakGrowth();

        using (var response = await live.Api.GetAsync($"{Files}/{id}/download", HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            Assert.Equal(size, response.Content.Headers.ContentLength);
            await using var stream = await response.Content.ReadAsStreamAsync(Ct);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await stream.ReadAsync(buffer, Ct)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
            Assert.Equal(GeneratedStream.Sha256Of(size), Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        // Read through a reused buffer: GetByteArrayAsync would leave ~20 MB of the client's own
        // large-object garbage that a loaded machine's GC collects late, which is not the server's memory.
        var reused = new byte[64 * 1024];
        for (var i = 0; i < 20; i++)
        {
            using var response = await live.Api.GetAsync($"{Files}/{live.FileId("file-large-dataset")}/download", HttpCompletionOption.ResponseHeadersRead, Ct);
            response.EnsureSuccessStatusCode();
            await using var stream = await response.Content.ReadAsStreamAsync(Ct);
            long total = 0;
            int read;
            while ((read = await stream.ReadAsync(reused, Ct)) > 0)
            {
                total += read;
            }
            Assert.True(total > 900_000);
        }
        var downloadGrowth = sampler.TakePeakGrowth();

        TestContext.Current.TestOutputHelper?.WriteLine($"Working set growth: upload {uploadGrowth >> 20} MB, downloads {downloadGrowth >> 20} MB for a {size >> 20} MB file.");
        Assert.True(uploadGrowth < size / 2, $"Uploading {size >> 20} MB grew the working set by {uploadGrowth >> 20} MB.");
        Assert.True(downloadGrowth < size / 2, $"Downloading {size >> 20} MB grew the working set by {downloadGrowth >> 20} MB.");
    }

    private static async Task<string> UploadAsync(LiveFileStorage live, long size)
    {
        using var content = FileStreamingTests.Multipart(new { name = $"big-{size}.bin" }, new GeneratedStream(size), $"big-{size}.bin");
        using var response = await live.Api.PostAsync(Files, content, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var model = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("model");
        Assert.Equal(size, model.GetProperty("size").GetInt64());
        return model.GetProperty("id").GetString()!;
    }

    /// <summary>Samples the process working set every few milliseconds and reports the peak over a baseline.</summary>
    private sealed class PeakSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private long _baseline;
        private long _peak;

        public PeakSampler()
        {
            Reset();
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var process = Process.GetCurrentProcess();
                    Interlocked.Exchange(ref _peak, Math.Max(Interlocked.Read(ref _peak), process.WorkingSet64));
                    await Task.Delay(5);
                }
            });
        }

        public long TakePeakGrowth()
        {
            var growth = Math.Max(0, Interlocked.Read(ref _peak) - _baseline);
            Reset();
            return growth;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _loop.GetAwaiter().GetResult();
            _stop.Dispose();
        }

        private void Reset()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using var process = Process.GetCurrentProcess();
            _baseline = process.WorkingSet64;
            Interlocked.Exchange(ref _peak, _baseline);
        }
    }
}
