using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Hosting;

[Collection(typeof(Serial))]
public sealed class TelemetryTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task WithAnOtlpEndpoint_TracesAndMetricsReachTheCollector_AndAreFlushedAtShutdown(DatabaseKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var collector = await FakeOtlpCollector.StartAsync();
        var spans = new RecordingProcessor();
        var witness = new DisposalWitness();
        var app = await TributaryApplication.StartAsync(kind,
            new Dictionary<string, string?>
            {
                ["Telemetry:OtlpEndpoint"] = collector.BaseAddress,
                ["Telemetry:ServiceName"] = "tributary-under-test",
                // Longer than the test: whatever arrives was flushed at shutdown.
                ["Telemetry:MetricExportIntervalMilliseconds"] = "3600000",
            },
            services: s =>
            {
                s.AddSingleton<BaseProcessor<Activity>>(spans);
                // First hosted service, so built before TelemetryActivation builds the providers:
                // the container disposes in reverse order of creation, so this goes after them.
                s.Insert(0, ServiceDescriptor.Singleton<IHostedService>(_ => witness));
            });
        await using (app)
        {
            Assert.NotNull(app.Services.GetService<TracerProvider>());
            Assert.NotNull(app.Services.GetService<MeterProvider>());
            var org = await app.CreateOrganizationAsync();
            var account = await app.CreateLinkedAccountAsync(org.Id);
            using var client = app.CreateApiClient(org.ProductionKey, account.Token);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/filestorage/v1/account-details", ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/filestorage/v1/linked-accounts", ct)).StatusCode);
            using var stranger = app.CreateApiClient("trb_live_unknown");
            Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/api/filestorage/v1/linked-accounts", ct)).StatusCode);
        }

        // The factory's dispose returns early when Program's own RunAsync (which also disposes the
        // host when it stops) got there first and is still disposing on its thread: wait for it.
        await witness.Disposed.WaitAsync(TimeSpan.FromSeconds(60), ct);

        // Disposing the application disposed the providers it built (their processors shut down)
        // after exporting what was buffered.
        Assert.True(spans.ShutDown, "the TracerProvider was not disposed with the application");
        Assert.Contains(spans.Ended, a => a.OperationName == "tributary.migrate"
            && (string?)a.GetTagItem("db.system.name") == (kind == DatabaseKind.Sqlite ? "sqlite" : "postgresql"));
        // ASP.NET Core's request spans are named and tagged by route, status and method.
        var requests = spans.Ended.Where(a => a.Source.Name == "Microsoft.AspNetCore" && a.DisplayName == "GET /api/{category}/v1/linked-accounts").ToList();
        Assert.Contains(requests, a => (int?)a.GetTagItem("http.response.status_code") == 200
            && (string?)a.GetTagItem("http.route") == "/api/{category}/v1/linked-accounts"
            && (string?)a.GetTagItem("http.request.method") == "GET");
        Assert.Contains(requests, a => (int?)a.GetTagItem("http.response.status_code") == 401);
        Assert.Contains(spans.Ended, a => a.DisplayName == "GET /api/{category}/v1/account-details");

        var traces = collector.Received("/v1/traces");
        Assert.NotEmpty(traces);
        Assert.All(traces, t => Assert.Equal("application/x-protobuf", t.ContentType));
        Assert.Contains(traces, t => t.Contains("tributary-under-test") && t.Contains("tributary.migrate"));
        Assert.Contains(traces, t => t.Contains("GET /api/{category}/v1/linked-accounts") && t.Contains("http.route"));

        var metrics = collector.Received("/v1/metrics");
        Assert.NotEmpty(metrics);
        Assert.All(metrics, m => Assert.Equal("application/x-protobuf", m.ContentType));
        Assert.Contains(metrics, m => m.Contains("tributary.api.authentications") && m.Contains("invalid_api_key") && m.Contains("authenticated"));
        Assert.Contains(metrics, m => m.Contains("http.server.request.duration"));
    }

    [Fact]
    public async Task WithoutAnOtlpEndpoint_NoProvidersAreBuilt()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        Assert.Null(app.Services.GetService<TracerProvider>());
        Assert.Null(app.Services.GetService<MeterProvider>());
    }

    /// <summary>Disposed by the container after every singleton created later, such as the telemetry providers.</summary>
    private sealed class DisposalWitness : IHostedService, IDisposable
    {
        private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Disposed => _disposed.Task;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose() => _disposed.TrySetResult();
    }

    /// <summary>Sees every span the TracerProvider ends, and whether the provider shut it down.</summary>
    private sealed class RecordingProcessor : BaseProcessor<Activity>
    {
        public ConcurrentQueue<Activity> Ended { get; } = new();
        public bool ShutDown { get; private set; }

        public override void OnEnd(Activity data) => Ended.Enqueue(data);

        protected override bool OnShutdown(int timeoutMilliseconds)
        {
            ShutDown = true;
            return true;
        }

        // A provider whose shutdown budget ran out on a slow exporter still disposes its processors.
        protected override void Dispose(bool disposing)
        {
            ShutDown = true;
            base.Dispose(disposing);
        }
    }
}

/// <summary>One OTLP/HTTP export as the collector received it.</summary>
public sealed record OtlpExport(string Path, string? ContentType, byte[] Body)
{
    /// <summary>Protobuf writes strings as UTF-8 bytes, so names and attribute values can be found without decoding.</summary>
    public bool Contains(string text) => Body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
}

/// <summary>A stand-in OpenTelemetry collector: accepts OTLP/HTTP exports on a loopback port and keeps them.</summary>
public sealed class FakeOtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<OtlpExport> _exports = new();

    private FakeOtlpCollector()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/v1/{signal}", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            _exports.Enqueue(new OtlpExport(request.Path, request.ContentType, body.ToArray()));
            // An empty Export*ServiceResponse: full success.
            return Results.Bytes([], "application/x-protobuf");
        });
    }

    public string BaseAddress => _app.Urls.First();

    public static async Task<FakeOtlpCollector> StartAsync()
    {
        var collector = new FakeOtlpCollector();
        await collector._app.StartAsync();
        return collector;
    }

    public IReadOnlyList<OtlpExport> Received(string path) => _exports.Where(e => e.Path == path).ToList();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
