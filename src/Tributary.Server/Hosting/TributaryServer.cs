using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Server.Auth;
using Tributary.Server.Errors;
using Tributary.Server.FileStorage;
using Tributary.Server.LinkedAccounts;
using Tributary.Server.Linking;
using Tributary.Server.OAuthApps;
using Tributary.Server.Organization;

namespace Tributary.Server.Hosting;

internal static class TributaryServer
{
    /// <summary>Merge's categories: every account and organization endpoint answers under each.</summary>
    public const string CategoryPattern = "{category:regex(^(filestorage|hris|ats|accounting|ticketing|crm|mktg)$)}";

    public static WebApplication Build(string[] args)
    {
        // appsettings.json ships beside the executable; the working directory only anchors the data directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddTributaryCore();

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        builder.AddTributaryTelemetry();

        builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Tributary";
            document.Info.Description = "Merge-compatible unified API. Authenticate with 'Authorization: Bearer <API key>'; " +
                "account-scoped endpoints also need 'X-Account-Token'.";
            return Task.CompletedTask;
        }));
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        builder.Services.AddHostedService<MigrateOnStart>();
        builder.Services.AddHostedService<StartupBanner>();
        builder.Services.AddHostedService<Sync.SyncWorker>();
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
            kestrel.Limits.MaxRequestBodySize = context.Configuration.GetSection(TributaryOptions.SectionName)
                .GetValue(nameof(TributaryOptions.MaxRequestBodyBytes), new TributaryOptions().MaxRequestBodyBytes));

        var app = builder.Build();

        app.Use(TrimTrailingSlash);
        app.UseExceptionHandler();
        app.UseJsonStatusCodeBodies();
        app.UseRouting();
        app.Use(RejectOversizedBodies);
        app.UseMiddleware<ApiAuthenticationMiddleware>();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        app.MapOpenApi("/openapi/{documentName}.json");
        app.UseSwaggerUI(o =>
        {
            o.RoutePrefix = "docs";
            o.SwaggerEndpoint("/openapi/v1.json", "Tributary v1");
            o.DocumentTitle = "Tributary API";
        });

        var category = app.MapGroup($"/api/{CategoryPattern}/v1");
        category.MapKeys();
        category.MapAuditTrail();
        category.MapLinkedAccounts();
        category.MapLinkToken();
        category.MapAccountToken();
        category.MapDeleteAccount();
        category.MapIssues();
        app.MapLegacyLinkToken();
        app.MapOAuthApps();
        app.MapFileStorage();
        return app;
    }

    // Merge (Django REST Framework) answers /files and /files/ alike; routing here matches without the slash.
    private static Task TrimTrailingSlash(HttpContext context, Func<Task> next)
    {
        var path = context.Request.Path.Value;
        if (path is { Length: > 1 } && path[^1] == '/')
        {
            context.Request.Path = path.TrimEnd('/');
        }
        return next();
    }

    // Kestrel enforces the limit while reading; this answers at once when Content-Length says so,
    // and applies the same limit on servers that do not enforce it (the test host). It runs after
    // routing: upload endpoints (POST /files) take multipart bodies up to MaxUploadBytes (plus the
    // JSON limit for the model part); everything else keeps the small JSON limit.
    private static Task RejectOversizedBodies(HttpContext context, Func<Task> next)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<TributaryOptions>>().Value;
        var limit = options.MaxRequestBodyBytes;
        if (context.GetEndpoint()?.Metadata.GetMetadata<FileStorage.Files.AcceptsUploads>() is not null
            && context.Request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true)
        {
            limit = options.MaxUploadBytes + options.MaxRequestBodyBytes;
        }
        if (context.Request.ContentLength > limit)
        {
            throw ApiException.Detail(System.Net.HttpStatusCode.RequestEntityTooLarge,
                $"The request body is too large: send at most {limit} bytes.");
        }
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = limit;
        }
        return next();
    }

    private sealed class DatabaseHealthCheck(TributaryDbContext db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            await db.Database.CanConnectAsync(cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The database is unreachable.");
    }

    /// <summary>Migrates before anything else starts, so the first request finds the schema ready.</summary>
    private sealed class MigrateOnStart(IServiceProvider services, IOptions<TributaryOptions> options) : IHostedLifecycleService
    {
        public Task StartingAsync(CancellationToken cancellationToken) =>
            options.Value.MigrateOnStart ? TributaryServices.MigrateAsync(services, cancellationToken) : Task.CompletedTask;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
