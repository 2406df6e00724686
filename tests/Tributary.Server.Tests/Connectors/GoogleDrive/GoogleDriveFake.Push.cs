using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Tributary.Integrations.Providers.GoogleDrive;

namespace Tributary.Server.Tests.Connectors.GoogleDrive;

/// <summary>One notification the fake posted to a channel's address, with the status the receiver answered (0: unreachable).</summary>
internal sealed record DrivePushDelivery(string ChannelId, string State, long MessageNumber, int Status);

/// <summary>A watch channel as the fake holds it.</summary>
internal sealed class DriveWatchChannel(string id, string resourceId, string resourceUri, Uri address, string? token, DateTimeOffset expiration)
{
    private long _messages;

    public string Id { get; } = id;
    public string ResourceId { get; } = resourceId;
    public string ResourceUri { get; } = resourceUri;
    public Uri Address { get; } = address;
    public string? Token { get; } = token;
    public DateTimeOffset Expiration { get; } = expiration;

    /// <summary>Deliveries of one channel go out one after the other, in message-number order ("sync" first).</summary>
    public Task Queue { get; set; } = Task.CompletedTask;

    public long NextMessage() => Interlocked.Increment(ref _messages);
}

/// <summary>
/// Drive push as Google does it: <c>changes.watch</c> opens a channel (the <c>Channel</c> resource: caller's id,
/// <c>web_hook</c>, address, token, expiration in ms, capped at a week), answered with Google's
/// <c>resourceId</c>/<c>resourceUri</c>; the channel's first notification is <c>sync</c>, then every change to the
/// tree posts <c>change</c> to each live channel: a bodiless POST with <c>X-Goog-Channel-ID</c>,
/// <c>X-Goog-Channel-Token</c>, <c>X-Goog-Channel-Expiration</c>, <c>X-Goog-Resource-ID</c>,
/// <c>X-Goog-Resource-URI</c>, <c>X-Goog-Resource-State</c> and <c>X-Goog-Message-Number</c>.
/// <c>channels.stop</c> takes <c>{id, resourceId}</c>, answers 204, and 404 for a channel it does not know.
/// Unlike Google, http addresses are accepted (the tests' servers are on loopback without TLS).
/// </summary>
internal sealed partial class GoogleDriveFake
{
    private static readonly TimeSpan MaxChannelLifetime = TimeSpan.FromDays(7);
    private static readonly TimeSpan DefaultChannelLifetime = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, DriveWatchChannel> _channels = new(StringComparer.Ordinal);
    private readonly Lock _deliveryLock = new();

    /// <summary>The fake's clock for channel expiry.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Channels opened and not stopped (expired ones included until they are next notified).</summary>
    public IReadOnlyCollection<DriveWatchChannel> Channels => [.. _channels.Values];

    /// <summary>Every notification posted, in the order each finished.</summary>
    public ConcurrentQueue<DrivePushDelivery> Deliveries { get; } = new();

    /// <summary>Google's resource id for this user's change feed (opaque, stable).</summary>
    private string ChangesResourceId => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("changes:" + Tree.Me.Id)))[..27];

    private async Task WatchAsync(HttpContext context)
    {
        var query = context.Request.Query;
        if (!long.TryParse(query["pageToken"], NumberStyles.None, CultureInfo.InvariantCulture, out var pageToken) || pageToken < 1)
        {
            await ErrorAsync(context, 400, $"Invalid value for pageToken: {query["pageToken"]}", "invalid", "INVALID_ARGUMENT", "pageToken", "parameter");
            return;
        }
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            await ErrorAsync(context, 400, "Invalid JSON payload received.", "parseError", "INVALID_ARGUMENT", null, null);
            return;
        }
        var id = GoogleDriveMapper.Str(body, "id");
        var type = GoogleDriveMapper.Str(body, "type");
        var address = GoogleDriveMapper.Str(body, "address");
        if (string.IsNullOrEmpty(id))
        {
            await ErrorAsync(context, 400, "Required parameter: id", "required", "INVALID_ARGUMENT", "id", "parameter");
            return;
        }
        if (type is not ("web_hook" or "webhook"))
        {
            await ErrorAsync(context, 400, $"Invalid value for: {type} is not a valid value", "invalid", "INVALID_ARGUMENT", "type", "parameter");
            return;
        }
        if (!Uri.TryCreate(address, UriKind.Absolute, out var target) || target.Scheme is not ("https" or "http"))
        {
            await ErrorAsync(context, 400, $"WebHook callback must be HTTPS: {address}", "push.webhookUrlNotHttps", "INVALID_ARGUMENT", null, null);
            return;
        }
        var now = Clock.GetUtcNow();
        var expiration = long.TryParse(GoogleDriveMapper.Str(body, "expiration"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : now + DefaultChannelLifetime;
        if (expiration > now + MaxChannelLifetime)
        {
            expiration = now + MaxChannelLifetime;
        }
        var resourceUri = $"{Host.Origin}/drive/v3/changes?alt=json&pageToken={pageToken}";
        var channel = new DriveWatchChannel(id, ChangesResourceId, resourceUri, target, GoogleDriveMapper.Str(body, "token"), expiration);
        if (!_channels.TryAdd(id, channel))
        {
            await ErrorAsync(context, 400, $"Channel id {id} not unique", "channelIdNotUnique", "INVALID_ARGUMENT", null, null);
            return;
        }
        var answer = new JsonObject
        {
            ["kind"] = "api#channel",
            ["id"] = id,
            ["resourceId"] = channel.ResourceId,
            ["resourceUri"] = resourceUri,
            ["expiration"] = expiration.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        };
        if (channel.Token is not null)
        {
            answer["token"] = channel.Token;
        }
        // Google confirms a new channel with a "sync" notification right after answering.
        context.Response.OnCompleted(() =>
        {
            Deliver(channel, "sync");
            return Task.CompletedTask;
        });
        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.WriteAsync(answer.ToJsonString(), context.RequestAborted);
    }

    private async Task StopChannelAsync(HttpContext context)
    {
        string? id;
        string? resourceId;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            id = GoogleDriveMapper.Str(document.RootElement, "id");
            resourceId = GoogleDriveMapper.Str(document.RootElement, "resourceId");
        }
        catch (JsonException)
        {
            await ErrorAsync(context, 400, "Invalid JSON payload received.", "parseError", "INVALID_ARGUMENT", null, null);
            return;
        }
        if (id is null || !_channels.TryGetValue(id, out var channel) || channel.ResourceId != resourceId)
        {
            await ErrorAsync(context, 404, $"Channel '{id}' not found for project '123456789012'", "notFound", "NOT_FOUND", null, null);
            return;
        }
        _channels.TryRemove(id, out _);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>Posts <paramref name="state"/> to every live channel; expired channels are dropped, as Google stops them.</summary>
    private void Notify(string state)
    {
        var now = Clock.GetUtcNow();
        foreach (var channel in _channels.Values)
        {
            if (channel.Expiration <= now)
            {
                _channels.TryRemove(channel.Id, out _);
                continue;
            }
            Deliver(channel, state);
        }
    }

    private void Deliver(DriveWatchChannel channel, string state)
    {
        lock (_deliveryLock)
        {
            var number = channel.NextMessage();
            channel.Queue = channel.Queue.ContinueWith(_ => PostAsync(channel, state, number), CancellationToken.None,
                TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }

    private async Task PostAsync(DriveWatchChannel channel, string state, long number)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, channel.Address) { Content = new ByteArrayContent([]) };
        request.Headers.Add("X-Goog-Channel-ID", channel.Id);
        if (channel.Token is not null)
        {
            request.Headers.Add("X-Goog-Channel-Token", channel.Token);
        }
        request.Headers.Add("X-Goog-Channel-Expiration", channel.Expiration.ToString("r", CultureInfo.InvariantCulture));
        request.Headers.Add("X-Goog-Resource-ID", channel.ResourceId);
        request.Headers.Add("X-Goog-Resource-URI", channel.ResourceUri);
        request.Headers.Add("X-Goog-Resource-State", state);
        request.Headers.Add("X-Goog-Message-Number", number.ToString(CultureInfo.InvariantCulture));
        int status;
        try
        {
            using var response = await SharedHttp.SendAsync(request, CancellationToken.None);
            status = (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            status = 0;
        }
        Deliveries.Enqueue(new DrivePushDelivery(channel.Id, state, number, status));
    }
}
