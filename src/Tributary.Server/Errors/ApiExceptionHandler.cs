using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Tributary.Integrations.FileStorage;

namespace Tributary.Server.Errors;

/// <summary>
/// The one place errors become responses. Everything leaves as JSON in Merge's shape; anything
/// unexpected is logged with the request id and answered without internals.
/// </summary>
internal sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var fromProvider = exception is ProviderException;
        if (exception is ProviderException provider)
        {
            logger.LogWarning("Provider call failed for {Method} {Path}: {Kind} {Message}",
                httpContext.Request.Method, httpContext.Request.Path, provider.Kind, provider.Message);
            exception = FromProvider(provider);
        }
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

        // Provider failures were logged above as warnings: a provider outage is not a Tributary bug.
        if (status >= 500 && !fromProvider)
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

    /// <summary>
    /// A provider failure as Merge-style JSON, keeping the provider's (already masked) message:
    /// NotFound 404, InvalidRequest 400, RateLimited 429 with Retry-After, Unauthorized 403 (the
    /// account needs relinking; 401 would blame the caller's own API key or account token) and
    /// Transient 502, or 503 with Retry-After when the provider said when to come back.
    /// </summary>
    internal static ApiException FromProvider(ProviderException e)
    {
        var retryAfter = e.RetryAfter is { } wait ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : (int?)null;
        var error = e.Kind switch
        {
            ProviderErrorKind.NotFound => ApiException.NotFound($"The provider could not find it: {e.Message}"),
            ProviderErrorKind.InvalidRequest => ApiException.Detail(HttpStatusCode.BadRequest, $"The provider refused the request: {e.Message}"),
            ProviderErrorKind.RateLimited => ApiException.Detail(HttpStatusCode.TooManyRequests,
                $"The provider is rate limiting this linked account: {e.Message} Expected available in {retryAfter ?? DefaultProviderRetrySeconds} seconds."),
            ProviderErrorKind.Unauthorized => ApiException.Detail(HttpStatusCode.Forbidden,
                $"The provider refused this linked account's credentials: {e.Message} The account needs relinking: send the end user through Link again."),
            _ when retryAfter is not null => ApiException.Detail(HttpStatusCode.ServiceUnavailable, $"The provider is unavailable: {e.Message} Try again later."),
            _ => ApiException.Detail(HttpStatusCode.BadGateway, $"The provider failed or did not answer: {e.Message} Try again later."),
        };
        if (e.Kind == ProviderErrorKind.RateLimited || (e.Kind == ProviderErrorKind.Transient && retryAfter is not null))
        {
            error.Headers["Retry-After"] = (retryAfter ?? DefaultProviderRetrySeconds).ToString(CultureInfo.InvariantCulture);
        }
        return error;
    }

    /// <summary>Retry-After for a provider 429 that did not say how long to wait.</summary>
    internal const int DefaultProviderRetrySeconds = 30;
}
