using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Tributary.Server.Hosting;

/// <summary>
/// Traces and metrics over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or
/// <c>Telemetry:OtlpEndpoint</c>) is set. ASP.NET Core, HttpClient and Tributary emit activities and
/// meters natively; the providers only listen and export (the hosting and instrumentation packages
/// are not on our package mirror).
/// </summary>
internal static class Telemetry
{
    public const string SourceName = "Tributary";
    public static readonly ActivitySource Source = new(SourceName);
    public static readonly Meter Meter = new(SourceName);

    public static IHostApplicationBuilder AddTributaryTelemetry(this IHostApplicationBuilder builder)
    {
        var endpoint = builder.Configuration["Telemetry:OtlpEndpoint"] ?? builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return builder;
        }
        var baseUri = new Uri(endpoint.TrimEnd('/') + "/");
        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] ?? "tributary";
        var tracer = Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(r => r.AddService(serviceName))
            .AddSource(SourceName, "Microsoft.AspNetCore", "System.Net.Http")
            .AddOtlpExporter(o =>
            {
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.Endpoint = new Uri(baseUri, "v1/traces");
            })
            .Build();
        var meters = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService(serviceName))
            .AddMeter(SourceName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http")
            .AddOtlpExporter((o, reader) =>
            {
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.Endpoint = new Uri(baseUri, "v1/metrics");
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 10_000;
            })
            .Build();
        // Registered as singletons so the container flushes and disposes them at shutdown.
        builder.Services.AddSingleton(tracer);
        builder.Services.AddSingleton(meters);
        builder.Services.AddHostedService<TelemetryActivation>();
        return builder;
    }

    // Resolving the providers at start makes the container own (and later dispose) them.
    private sealed class TelemetryActivation(TracerProvider tracer, MeterProvider meters) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            tracer.ForceFlush(2000);
            meters.ForceFlush(2000);
            return Task.CompletedTask;
        }
    }
}
