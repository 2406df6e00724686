using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Tributary.Server.Hosting;

/// <summary>The <c>Telemetry</c> configuration section; the standard <c>OTEL_*</c> variables work too.</summary>
internal sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>
    /// The collector's OTLP/HTTP base address, e.g. <c>http://otel-collector:4318</c>; traces go to
    /// <c>/v1/traces</c>, metrics to <c>/v1/metrics</c>. Falls back to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>;
    /// unset means no export.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>The <c>service.name</c> resource attribute; falls back to <c>OTEL_SERVICE_NAME</c>, then "tributary".</summary>
    public string? ServiceName { get; set; }

    /// <summary>How often metrics are exported; <c>OTEL_METRIC_EXPORT_INTERVAL</c> (milliseconds) also works.</summary>
    public int? MetricExportIntervalMilliseconds { get; set; }
}

internal sealed class TelemetryOptionsValidator(IConfiguration configuration) : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var endpoint = Telemetry.Endpoint(configuration);
        if (endpoint is not null
            && !(Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            return ValidateOptionsResult.Fail(
                $"Telemetry:OtlpEndpoint (or OTEL_EXPORTER_OTLP_ENDPOINT) '{endpoint}' is not an http(s) URL: set the collector's " +
                "OTLP/HTTP base address, e.g. Telemetry__OtlpEndpoint=http://otel-collector:4318, or unset it to export nothing.");
        }
        if (options.MetricExportIntervalMilliseconds is < 100 or > 3_600_000)
        {
            return ValidateOptionsResult.Fail(
                "Telemetry:MetricExportIntervalMilliseconds must be between 100 and 3600000 (one hour); 10000 is a good default.");
        }
        return ValidateOptionsResult.Success;
    }
}

/// <summary>
/// Traces and metrics over OTLP/HTTP (protobuf) when <c>Telemetry:OtlpEndpoint</c> (or
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>) is set. ASP.NET Core, HttpClient and Tributary emit activities
/// and meters natively; the providers only listen and export (the hosting and instrumentation
/// packages are not on our package mirror).
/// </summary>
internal static class Telemetry
{
    public const string SourceName = "Tributary";
    public static readonly ActivitySource Source = new(SourceName);
    public static readonly Meter Meter = new(SourceName);

    private const int DefaultMetricExportIntervalMilliseconds = 10_000;

    internal static string? Endpoint(IConfiguration configuration)
    {
        var endpoint = configuration["Telemetry:OtlpEndpoint"];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            endpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        }
        return string.IsNullOrWhiteSpace(endpoint) ? null : endpoint.Trim();
    }

    public static IHostApplicationBuilder AddTributaryTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();
        if (Endpoint(builder.Configuration) is null)
        {
            return builder;
        }

        // Built by the container (not handed to it), so the container disposes them at shutdown,
        // which exports what is still buffered.
        builder.Services.AddSingleton(sp =>
        {
            var (baseUri, serviceName, _) = Settings(sp);
            var tracing = Sdk.CreateTracerProviderBuilder()
                .ConfigureResource(r => r.AddService(serviceName))
                .AddSource(SourceName, "Microsoft.AspNetCore", "System.Net.Http")
                .AddOtlpExporter(o =>
                {
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                    o.Endpoint = new Uri(baseUri, "v1/traces");
                });
            // Extra processors registered in the container (tests use one to watch spans and shutdown).
            foreach (var processor in sp.GetServices<BaseProcessor<Activity>>())
            {
                tracing.AddProcessor(processor);
            }
            return tracing.Build();
        });
        builder.Services.AddSingleton(sp =>
        {
            var (baseUri, serviceName, interval) = Settings(sp);
            return Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(r => r.AddService(serviceName))
                .AddMeter(SourceName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http")
                .AddOtlpExporter((o, reader) =>
                {
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                    o.Endpoint = new Uri(baseUri, "v1/metrics");
                    if (interval is { } ms)
                    {
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = ms;
                    }
                })
                .Build();
        });
        builder.Services.AddHostedService<TelemetryActivation>();
        return builder;
    }

    private static (Uri BaseUri, string ServiceName, int? MetricInterval) Settings(IServiceProvider services)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        var options = services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        var baseUri = new Uri(Endpoint(configuration)!.TrimEnd('/') + "/");
        var serviceName = options.ServiceName ?? configuration["OTEL_SERVICE_NAME"] ?? "tributary";
        // The SDK reads OTEL_METRIC_EXPORT_INTERVAL itself; otherwise export more often than its one-minute default.
        var interval = options.MetricExportIntervalMilliseconds
            ?? (configuration["OTEL_METRIC_EXPORT_INTERVAL"] is null ? DefaultMetricExportIntervalMilliseconds : null);
        return (baseUri, serviceName, interval);
    }

    /// <summary>
    /// Resolving the providers when the host starts turns them on (before migrations run, so those
    /// are traced); flushing on stop exports what the last requests produced.
    /// </summary>
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
