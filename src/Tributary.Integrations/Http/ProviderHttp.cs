using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Http;

/// <summary>A provider's error response, small enough to classify (the body is cut at 64 KiB).</summary>
public sealed record ProviderErrorResponse(HttpStatusCode Status, HttpResponseHeaders Headers, string Body)
{
    /// <summary>The body as JSON, or null when it is not JSON.</summary>
    public JsonElement? Json
    {
        get
        {
            try
            {
                using var document = JsonDocument.Parse(Body);
                return document.RootElement.Clone();
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}

/// <summary>How one provider's failures are read; the defaults follow plain HTTP semantics.</summary>
public sealed record ProviderHttpOptions
{
    /// <summary>The provider's name, for messages (e.g. "Google Drive").</summary>
    public required string Provider { get; init; }

    /// <summary>Attempts per request for rate limits, 5xx and connection failures.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The longest wait honoured in place; a provider asking for more fails the call as <see cref="ProviderErrorKind.RateLimited"/> so the scheduler retries later.</summary>
    public TimeSpan MaxInlineWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First back-off step when the provider names no wait (doubles per attempt).</summary>
    public TimeSpan BaseBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Adds the credential to a request; the default sends <c>Authorization: Bearer {access_token}</c>.</summary>
    public Action<HttpRequestMessage, JsonElement> Authorize { get; init; } = BearerAccessToken;

    /// <summary>Provider-specific classification (e.g. Drive's 403 <c>userRateLimitExceeded</c>); null falls back to the status code.</summary>
    public Func<ProviderErrorResponse, ProviderErrorKind?>? Classify { get; init; }

    /// <summary>A wait named in the error body (e.g. Dropbox's <c>retry_after</c>), used when no <c>Retry-After</c> header is sent.</summary>
    public Func<ProviderErrorResponse, TimeSpan?>? WaitFromBody { get; init; }

    public static void BearerAccessToken(HttpRequestMessage request, JsonElement credential)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (credential.ValueKind == JsonValueKind.Object && credential.TryGetProperty("access_token", out var token) && token.GetString() is { Length: > 0 } value)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", value);
        }
    }
}

/// <summary>
/// The one way connectors call a provider: adds the credential, refreshes it once on 401 and retries,
/// honours the provider's wait on rate limits (<c>Retry-After</c> or the body's own signal, else
/// exponential back-off), retries 5xx and connection failures a bounded number of times, and turns
/// everything else into a <see cref="ProviderException"/> of the right kind. Requests are built by a
/// factory because an <see cref="HttpRequestMessage"/> cannot be sent twice.
/// </summary>
public sealed class ProviderHttp(HttpClient client, TimeProvider time, ProviderHttpOptions options)
{
    private const int MaxErrorBody = 64 * 1024;

    public ProviderHttpOptions Options { get; } = options;

    public HttpClient Client { get; } = client;

    /// <summary>
    /// Sends the request and returns the successful response with its body unread (dispose it).
    /// <paramref name="createRequest"/> must build a fresh request (with fresh, replayable content) every time.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(
        ConnectorContext context, Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseHeadersRead)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(createRequest);
        var credential = context.Credential;
        var refreshed = false;
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            using (var request = createRequest())
            {
                Options.Authorize(request, credential);
                try
                {
                    response = await Client.SendAsync(request, completion, cancellationToken);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    if (attempt >= Options.MaxAttempts)
                    {
                        throw new ProviderException(ProviderErrorKind.Transient, $"{Options.Provider} could not be reached: {e.Message}", inner: e);
                    }
                    await Task.Delay(Backoff(attempt), time, cancellationToken);
                    continue;
                }
            }
            if (response.IsSuccessStatusCode || (int)response.StatusCode is >= 300 and < 400)
            {
                return response;
            }

            ProviderErrorResponse error;
            using (response)
            {
                error = new ProviderErrorResponse(response.StatusCode, response.Headers, await ReadBoundedAsync(response, cancellationToken));
            }
            var kind = Options.Classify?.Invoke(error) ?? DefaultKind(error.Status);
            switch (kind)
            {
                case ProviderErrorKind.Unauthorized when !refreshed:
                    credential = await context.Credentials.RefreshAsync(credential, cancellationToken);
                    refreshed = true;
                    attempt--;
                    continue;
                case ProviderErrorKind.RateLimited or ProviderErrorKind.Transient:
                    var wait = RetryAfter(error) ?? Backoff(attempt);
                    if (attempt >= Options.MaxAttempts || wait > Options.MaxInlineWait)
                    {
                        throw new ProviderException(kind, Describe(error), kind == ProviderErrorKind.RateLimited ? wait : RetryAfter(error)) { HttpStatus = (int)error.Status };
                    }
                    await Task.Delay(wait, time, cancellationToken);
                    continue;
                default:
                    throw new ProviderException(kind, Describe(error)) { HttpStatus = (int)error.Status };
            }
        }
    }

    /// <summary>Sends the request and parses the successful JSON response.</summary>
    public async Task<JsonDocument> SendForJsonAsync(ConnectorContext context, Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(context, createRequest, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        try
        {
            return await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        }
        catch (JsonException e)
        {
            throw new ProviderException(ProviderErrorKind.Transient, $"{Options.Provider} answered HTTP {(int)response.StatusCode} with a body that is not JSON.", inner: e);
        }
    }

    public static ProviderErrorKind DefaultKind(HttpStatusCode status) => (int)status switch
    {
        401 => ProviderErrorKind.Unauthorized,
        404 or 410 => ProviderErrorKind.NotFound,
        429 => ProviderErrorKind.RateLimited,
        408 or >= 500 => ProviderErrorKind.Transient,
        _ => ProviderErrorKind.InvalidRequest,
    };

    /// <summary>The provider's own wait: <c>Retry-After</c> (seconds or a date), else what the body says.</summary>
    public TimeSpan? RetryAfter(ProviderErrorResponse error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.Headers.RetryAfter is { } header)
        {
            if (header.Delta is { } delta)
            {
                return delta;
            }
            if (header.Date is { } date)
            {
                var wait = date - time.GetUtcNow();
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }
        if (error.Headers.TryGetValues("Retry-After", out var raw)
            && double.TryParse(raw.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }
        return Options.WaitFromBody?.Invoke(error);
    }

    private TimeSpan Backoff(int attempt)
    {
        var step = Options.BaseBackoff * Math.Pow(2, Math.Min(attempt - 1, 10));
        var jitter = step * (Random.Shared.NextDouble() * 0.2);
        var wait = step + jitter;
        return wait > Options.MaxInlineWait ? Options.MaxInlineWait : wait;
    }

    private string Describe(ProviderErrorResponse error)
    {
        var body = error.Body.Length > 300 ? error.Body[..300] + "…" : error.Body;
        return $"{Options.Provider} answered HTTP {(int)error.Status}: {body}";
    }

    private static async Task<string> ReadBoundedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[MaxErrorBody];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), ct)) > 0)
        {
            total += read;
        }
        return Encoding.UTF8.GetString(buffer, 0, total);
    }
}
