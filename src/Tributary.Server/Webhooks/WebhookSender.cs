using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;

namespace Tributary.Server.Webhooks;

/// <summary>What one attempt got back.</summary>
internal sealed record AttemptResult(bool Succeeded, int? ResponseStatus, string? Error, TimeSpan Duration);

/// <summary>
/// Posts one signed webhook body. One long-lived client: no redirects followed (a 3xx is a failed
/// attempt), connections dialled only to permitted addresses, a timeout per attempt.
/// </summary>
internal sealed class WebhookSender : IDisposable
{
    private readonly HttpClient _client;
    private readonly TimeProvider _time;
    private readonly WebhookOptions _options;

    public WebhookSender(IOptions<WebhookOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        var allowPrivate = _options.AllowPrivateTargets;
        _client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = _options.Timeout,
            ConnectCallback = (context, ct) => WebhookTargets.ConnectAsync(context, allowPrivate, ct),
            UseCookies = false,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Tributary-Webhooks/1.0");
    }

    public async Task<AttemptResult> SendAsync(
        string url, string body, IReadOnlyList<ActiveSigningKey> keys, Guid deliveryId, int attempt, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.Compute(keys[0].Key, bytes, _options.SignaturePadding));
        if (keys.Count > 1 && !keys[1].IsCurrent)
        {
            request.Headers.TryAddWithoutValidation(WebhookSignature.PreviousHeader, WebhookSignature.Compute(keys[1].Key, bytes, _options.SignaturePadding));
        }
        // Stable across retries, so a receiver can drop the duplicates at-least-once delivery brings.
        request.Headers.TryAddWithoutValidation("X-Tributary-Delivery-Id", deliveryId.ToString());
        request.Headers.TryAddWithoutValidation("X-Tributary-Attempt", attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        var started = _time.GetTimestamp();
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var status = (int)response.StatusCode;
            var ok = status is >= 200 and < 300;
            return new AttemptResult(ok, status, ok ? null : $"The receiver answered {status} {response.ReasonPhrase}.", _time.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new AttemptResult(false, null, $"No response within {_options.Timeout.TotalSeconds:0.#} s.", _time.GetElapsedTime(started));
        }
        catch (HttpRequestException e)
        {
            var detail = e.InnerException is { } inner && inner.Message != e.Message ? $"{e.Message} ({inner.Message})" : e.Message;
            return new AttemptResult(false, null, Truncate(detail, 1000), _time.GetElapsedTime(started));
        }
    }

    public void Dispose() => _client.Dispose();

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}
