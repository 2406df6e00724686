using System.Collections.Concurrent;

namespace Tributary.Server.Tests.Connectors.Fakes;

/// <summary>One notification a fake sent to a subscriber, with the subscriber's answer (0 when it could not be reached).</summary>
internal sealed record FakeDelivery(Uri Address, string Body, int Status, string? ResponseBody);

/// <summary>
/// How provider fakes push: each notification is POSTed in the background (a provider never waits for the
/// subscriber inside the change that caused it), and every delivery is kept so a test can wait for one and
/// assert the subscriber's answer.
/// </summary>
internal sealed class FakeNotifier : IDisposable
{
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };

    public ConcurrentQueue<FakeDelivery> Deliveries { get; } = new();

    /// <summary>Starts the POST; <paramref name="configure"/> adds the provider's headers (signatures) to the request.</summary>
    public void Send(Uri address, string body, string contentType, Action<HttpRequestMessage>? configure = null)
    {
        _ = SendAsync(address, body, contentType, configure);
    }

    /// <summary>Sends and waits for the answer (what a provider does when it validates an address).</summary>
    public async Task<(int Status, string? ContentType, string Body)> RequestAsync(HttpRequestMessage request, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            using var response = await _client.SendAsync(request, cancel.Token);
            return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(cancel.Token));
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return (0, null, e.Message);
        }
    }

    /// <summary>Waits until a delivery matching <paramref name="match"/> has been answered.</summary>
    public async Task<FakeDelivery> WaitForAsync(Func<FakeDelivery, bool> match, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            if (Deliveries.FirstOrDefault(match) is { } found)
            {
                return found;
            }
            if (Environment.TickCount64 > deadline)
            {
                throw new Xunit.Sdk.XunitException(
                    $"No matching notification delivery within {timeout}; deliveries so far: {string.Join("; ", Deliveries.Select(d => $"{d.Address} → {d.Status}"))}");
            }
            await Task.Delay(20, ct);
        }
    }

    private async Task SendAsync(Uri address, string body, string contentType, Action<HttpRequestMessage>? configure)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, address) { Content = new StringContent(body, System.Text.Encoding.UTF8, contentType) };
        configure?.Invoke(request);
        try
        {
            using var response = await _client.SendAsync(request);
            Deliveries.Enqueue(new FakeDelivery(address, body, (int)response.StatusCode, await response.Content.ReadAsStringAsync()));
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            Deliveries.Enqueue(new FakeDelivery(address, body, 0, e.Message));
        }
    }

    public void Dispose() => _client.Dispose();
}
