using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Server.AgentHandler;
using Tributary.Server.Auth;
using Tributary.Server.Errors;
using Tributary.Server.FileStorage;
using Tributary.Server.LinkedAccounts;
using Tributary.Server.Linking;
using Tributary.Server.Linking.Ui;
using Tributary.Server.OAuthApps;
using Tributary.Server.Organization;
using Tributary.Server.Push;
using Tributary.Server.Sync;
using Tributary.Server.Webhooks;

namespace Tributary.Server.Hosting;

internal static class TributaryServer
{
    /// <summary>Merge's categories: every account and organization endpoint answers under each.</summary>
    public const string CategoryPattern = "{category:regex(^(filestorage|hris|ats|accounting|ticketing|crm|mktg)$)}";

    /// <summary>The values <see cref="CategoryPattern"/> accepts, for the OpenAPI document (a test keeps the two equal).</summary>
    public static readonly IReadOnlyList<string> Categories = ["filestorage", "hris", "ats", "accounting", "ticketing", "crm", "mktg"];

    /// <summary>
    /// Builds, checks the configuration, and serves until shutdown. A configuration problem, a
    /// database that refuses the server at start (e.g. a wrong password), or an address already in use
    /// ends it with exit code 1 and a message on stderr that says what to fix, not a stack trace. A
    /// database that does not answer at all does not: the server serves, reports it on /health/ready
    /// and in the log, and migrates and starts its jobs once it answers (<see cref="DatabaseStartup"/>).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (ConfigurationException e)
        {
            return StartupFailed("the configuration is invalid", e.Problems);
        }
        catch (OptionsValidationException e)
        {
            return StartupFailed("the configuration is invalid", e.Failures.ToList());
        }
        await using (app)
        {
            if (ConfigurationCheck.Problems(app.Services) is { Count: > 0 } problems)
            {
                return StartupFailed("the configuration is invalid", problems);
            }
            // RunAsync disposes the services when it ends, failed or not.
            var provider = app.Services.GetRequiredService<EffectiveSettings>().Provider;
            try
            {
                await app.RunAsync(cancellationToken);
            }
            catch (Exception e) when (e is DbException || e.InnerException is DbException)
            {
                // EF's retrying strategy wraps a refused connection in an InvalidOperationException.
                var cause = e as DbException ?? (DbException)e.InnerException!;
                return StartupFailed("the database failed at start", [
                    $"{cause.Message} ({provider}: check Database:ConnectionString and that the database server is reachable)"]);
            }
            catch (IOException e) when (e.Message.StartsWith("Failed to bind", StringComparison.Ordinal))
            {
                return StartupFailed("it could not listen", [
                    $"{e.Message} Choose another address with --urls, the Urls setting or ASPNETCORE_URLS, e.g. --urls http://localhost:5081"]);
            }
        }
        return 0;
    }

    private static int StartupFailed(string what, IReadOnlyList<string> problems)
    {
        Console.Error.WriteLine($"Tributary did not start: {what}.");
        foreach (var problem in problems)
        {
            Console.Error.WriteLine("  error: " + problem);
        }
        return 1;
    }

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
        builder.Services.AddExceptionHandler<LinkExceptionHandler>();
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        builder.Services.AddLinkUi();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(ApiDocumentation.Configure);
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"], timeout: TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton<DatabaseStartup>();
        builder.Services.AddHostedService<MigrateOnStart>();
        builder.Services.AddHostedService<StartupBanner>();
        builder.Services.AddWebhookDelivery(builder.Configuration);
        builder.Services.AddTributarySchedulerHost(builder.Configuration);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
            kestrel.Limits.MaxRequestBodySize = context.Configuration.GetSection(TributaryOptions.SectionName)
                .GetValue(nameof(TributaryOptions.MaxRequestBodyBytes), new TributaryOptions().MaxRequestBodyBytes));

        var app = builder.Build();

        app.UseMiddleware<RequestLogging>();
        app.Use(TrimTrailingSlash);
        app.UseExceptionHandler();
        app.UseJsonStatusCodeBodies();
        app.UseMiddleware<LinkSecurityHeaders>();
        app.UseRouting();
        // After routing, so upload endpoints can carry their own size limit.
        app.Use(RejectOversizedBodies);
        app.Use(RequestLogging.NameSpanAfterRouting);
        app.UseMiddleware<AuthenticationMetrics>();
        app.UseMiddleware<ApiAuthenticationMiddleware>();

        // live: the process answers (no dependencies); ready: it can serve, i.e. the database answers.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthResponse.WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = HealthResponse.WriteAsync });
        app.MapOpenApi("/openapi/{documentName}.json");
        app.UseSwaggerUI(o =>
        {
            o.RoutePrefix = "docs";
            o.SwaggerEndpoint("/openapi/v1.json", "Tributary v1");
            o.DocumentTitle = "Tributary API";
        });

        var category = app.MapGroup($"/api/{CategoryPattern}/v1").WithPathParameter(new PathParameter("category",
            "Merge's category. Organization and linked-account endpoints answer the same under every category.", Categories));
        category.MapKeys();
        category.MapAuditTrail();
        category.MapLinkedAccounts();
        category.MapLinkToken();
        category.MapAccountToken();
        category.MapDeleteAccount();
        category.MapIssues();
        category.MapSyncStatus();
        category.MapWebhookReceivers();
        app.MapLegacyLinkToken();
        app.MapOAuthApps();
        app.MapAgentHandler();
        app.MapWebhooks();
        app.MapSyncFrequencies();
        app.MapPush();
        app.MapFileStorage();
        app.MapLinkUi();
        app.MapRazorPages();
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

    private sealed class DatabaseHealthCheck(TributaryDbContext db, DatabaseStartup startup) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                if (!await db.Database.CanConnectAsync(cancellationToken))
                {
                    return HealthCheckResult.Unhealthy("The database is unreachable.");
                }
                // Reachable again after a start without it: not ready until the migration at start has run.
                return startup.IsReady
                    ? HealthCheckResult.Healthy("The database answers.")
                    : HealthCheckResult.Unhealthy("The database schema is being migrated.");
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The exception goes to the log (health check failures are logged at Error), not to the public answer.
                return HealthCheckResult.Unhealthy("The database is unreachable.", e);
            }
        }
    }

    /// <summary>Migrates before anything else starts, so the first request finds the schema ready (see <see cref="DatabaseStartup"/>).</summary>
    private sealed class MigrateOnStart(DatabaseStartup database) : IHostedLifecycleService
    {
        public Task StartingAsync(CancellationToken cancellationToken) => database.MigrateAtStartAsync(cancellationToken);

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
