using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Tributary.Server.Errors;

/// <summary>
/// The one place errors become responses. Everything leaves as JSON in Merge's shape; anything
/// unexpected is logged with the request id and answered without internals.
/// </summary>
internal sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, body) = exception switch
        {
            ApiException api => (api.StatusCode, api.Body),
            BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                (bad.StatusCode, Detail($"The request body is too large: send at most {httpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes.")),
            BadHttpRequestException bad => (bad.StatusCode, Detail($"Bad request: {bad.Message}")),
            JsonException => (StatusCodes.Status400BadRequest, Detail("The request body is not valid JSON.")),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => (499, Detail("The client closed the request.")),
            _ => (StatusCodes.Status500InternalServerError, Detail($"An unexpected error occurred; quote request id {httpContext.TraceIdentifier} when reporting it.")),
        };

        if (status >= 500)
        {
            logger.LogError(exception, "Unhandled error for {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
        }

        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        httpContext.Response.Clear();
        httpContext.Response.StatusCode = status;
        if (exception is ApiException { Headers.Count: > 0 } withHeaders)
        {
            foreach (var (name, value) in withHeaders.Headers)
            {
                httpContext.Response.Headers[name] = value;
            }
        }
        await httpContext.Response.WriteAsJsonAsync(body, ApiJson.Options, cancellationToken);
        return true;
    }

    internal static Dictionary<string, string> Detail(string detail) => new() { ["detail"] = detail };
}
