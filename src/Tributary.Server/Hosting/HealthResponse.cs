using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Tributary.Server.Hosting;

/// <summary>
/// Health answers as JSON: the overall status and each check's status and description. The
/// endpoints are public, so no exception text (host names, ports) is written; that goes to the log.
/// </summary>
internal static class HealthResponse
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var body = new Dictionary<string, object>
        {
            ["status"] = report.Status.ToString(),
            ["checks"] = report.Entries.ToDictionary(
                e => e.Key,
                e => new Dictionary<string, object?>
                {
                    ["status"] = e.Value.Status.ToString(),
                    ["description"] = e.Value.Exception is { } error && e.Value.Description == error.Message
                        ? "The check failed; the server log has the details."
                        : e.Value.Description,
                    ["duration_ms"] = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
                }),
        };
        return context.Response.WriteAsJsonAsync(body, ApiJson.Options, contentType: "application/json; charset=utf-8");
    }
}
