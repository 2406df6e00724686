using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Webhooks;

/// <summary>One request as the receiver saw it: the raw bytes and the headers that matter.</summary>
internal sealed record ReceivedWebhook(byte[] Body, string? Signature, string? PreviousSignature, string? DeliveryId, int StatusAnswered)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    public string Event => Json.GetProperty("hook").GetProperty("event").GetString()!;
}

/// <summary>
/// A customer's webhook receiver on a loopback Kestrel port. While <see cref="Down"/> it answers 503
/// (as a crashed app behind a proxy does); every request is recorded either way.
/// </summary>
internal sealed class WebhookReceiverServer : IAsyncDisposable
{
    private readonly LoopbackServer _server;

    private WebhookReceiverServer(LoopbackServer server) => _server = server;

    private volatile bool _down;

    public bool Down
    {
        get => _down;
        set => _down = value;
    }

    public ConcurrentQueue<ReceivedWebhook> Requests { get; } = new();

    public string Url => $"{_server.Origin}/hooks/tributary";

    public IEnumerable<ReceivedWebhook> Accepted => Requests.Where(r => r.StatusAnswered == 200);

    public static async Task<WebhookReceiverServer> StartAsync()
    {
        WebhookReceiverServer? self = null;
        var server = await LoopbackServer.StartAsync(app => app.MapPost("/hooks/tributary", async (HttpContext http) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer);
            var status = self!.Down ? 503 : 200;
            self.Requests.Enqueue(new ReceivedWebhook(buffer.ToArray(), http.Request.Headers["X-Merge-Webhook-Signature"],
                http.Request.Headers["X-Tributary-Webhook-Signature-Previous"], http.Request.Headers["X-Tributary-Delivery-Id"], status));
            return Results.StatusCode(status);
        }));
        self = new WebhookReceiverServer(server);
        return self;
    }

    /// <summary>
    /// Merge's documented check, written independently of the server's code: Python's
    /// <c>base64.urlsafe_b64encode(hmac.new(key, body, sha256).digest()) == signature</c>.
    /// </summary>
    public static bool VerifiesWithMergeAlgorithm(string key, byte[] body, string? signature)
    {
        var digest = HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), body);
        var urlsafe = Convert.ToBase64String(digest).Replace('+', '-').Replace('/', '_');
        return signature == urlsafe;
    }

    public async Task WaitForAsync(Func<WebhookReceiverServer, bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!condition(this))
        {
            Assert.True(Environment.TickCount64 < deadline, $"Timed out: {describe()}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
