using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Tributary.Server.Hosting;

/// <summary>
/// The outermost middleware: gives every response an <c>X-Request-Id</c> (the id in every log line's
/// scope and in 500 bodies), writes one access-log line per request, and names and tags the
/// request's span the way OpenTelemetry's HTTP conventions do (ASP.NET Core starts the span but,
/// without the instrumentation package we cannot get, leaves it bare). Neither ever holds the query
/// string or headers, where credentials may travel.
/// </summary>
internal sealed class RequestLogging(RequestDelegate next, ILoggerFactory loggers)
{
    public const string RequestIdHeader = "X-Request-Id";

    /// <summary>The access log's category, so operators can turn it down on its own.</summary>
    public const string Category = "Tributary.Requests";

    private readonly ILogger _logger = loggers.CreateLogger(Category);

    public async Task InvokeAsync(HttpContext context)
    {
        // OnStarting runs after error handling has cleared the response, so error bodies carry it too.
        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            http.Response.Headers[RequestIdHeader] = http.TraceIdentifier;
            return Task.CompletedTask;
        }, context);

        var method = context.Request.Method;
        var path = context.Request.Path;
        var activity = context.Features.Get<IHttpActivityFeature>()?.Activity;
        if (activity is not null)
        {
            activity.DisplayName = method;
            activity.SetTag("http.request.method", method);
            activity.SetTag("url.scheme", context.Request.Scheme);
            activity.SetTag("url.path", path.Value);
        }
        var started = Stopwatch.GetTimestamp();
        var status = 0;
        try
        {
            await next(context);
            status = context.Response.StatusCode;
        }
        catch
        {
            status = StatusCodes.Status500InternalServerError;
            throw;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (activity is not null)
            {
                activity.SetTag("http.response.status_code", status);
                if (status >= 500)
                {
                    activity.SetTag("error.type", status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    activity.SetStatus(ActivityStatusCode.Error);
                }
            }
            // Probes call every few seconds; their lines only show at Debug.
            var level = path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase) ? LogLevel.Debug : LogLevel.Information;
            if (_logger.IsEnabled(level))
            {
                _logger.Log(level, "{Method} {Path} responded {StatusCode} in {ElapsedMilliseconds:0.0} ms", method, path.Value, status, elapsed);
            }
        }
    }

    /// <summary>
    /// Runs right after routing: names the span "GET /api/{category}/v1/files" and tags
    /// <c>http.route</c> (error handling forgets the endpoint later, so this cannot wait for the end).
    /// </summary>
    public static Task NameSpanAfterRouting(HttpContext context, Func<Task> next)
    {
        if (context.GetEndpoint() is RouteEndpoint endpoint && context.Features.Get<IHttpActivityFeature>()?.Activity is { } activity)
        {
            var route = Template(endpoint.RoutePattern);
            activity.DisplayName = $"{context.Request.Method} {route}";
            activity.SetTag("http.route", route);
        }
        return next();
    }

    // The template without constraints: "/api/{category}/v1/files", not "{category:regex(…)}".
    private static string Template(RoutePattern pattern) =>
        "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart parameter => $"{{{(parameter.IsCatchAll ? "*" : "")}{parameter.Name}{(parameter.IsOptional ? "?" : "")}}}",
            _ => "",
        }))));
}
