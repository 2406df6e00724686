using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Sync;

/// <summary>
/// A provider fake for Tributary's loopback change-feed protocol (see LoopbackConnector), served on a
/// loopback port: one drive, folders and a large number of files generated from a seed, OAuth bearer
/// tokens with a refresh endpoint that rotates refresh tokens (as Box and Microsoft do), signalled and
/// silent deletes, and faults on demand (429 storms, 5xx, revoked grants). It records every feed
/// request, so tests can see where a sync resumed.
/// </summary>
internal sealed class LoopbackProvider : IAsyncDisposable
{
    public const string ClientId = "loopback-client";
    public const string ClientSecret = "loopback-secret";

    private readonly object _lock = new();
    private readonly Dictionary<string, Item> _live = new(StringComparer.Ordinal);
    private readonly List<Change> _log = [];
    private readonly HashSet<string> _accessTokens = new(StringComparer.Ordinal);
    private string _refreshToken = "refresh-0";
    private int _tokenGeneration;
    private int _rateLimitNext;
    private int _failNext;
    private LoopbackServer _server = null!;

    private LoopbackProvider()
    {
    }

    public sealed record Item(string Type, string Id, string Name, string? Parent, long? Size);

    private sealed record Change(Item? Record, string? DeletedType, string? DeletedId);

    /// <summary>A feed request: the cursor it carried (null for a full read from the start).</summary>
    public sealed record FeedRequest(string? Cursor, DateTimeOffset At);

    public Uri BaseAddress => _server.BaseAddress;
    public string Url => _server.Origin;
    public int PageSize { get; set; } = 200;
    public TimeSpan PageDelay { get; set; }
    public TimeSpan TokenDelay { get; set; } = TimeSpan.FromMilliseconds(200);
    public bool Revoked { get; set; }
    public int RetryAfterSeconds { get; set; } = 1;
    public ConcurrentQueue<FeedRequest> FeedRequests { get; } = new();
    public int TokenRequests => Volatile.Read(ref _tokenRequests);
    public int RateLimitedAnswers => Volatile.Read(ref _rateLimited);
    public int FailedAnswers => Volatile.Read(ref _failed);
    public int Unauthorized => Volatile.Read(ref _unauthorized);
    public string CurrentAccessToken { get; private set; } = "access-0";
    public const string InitialRefreshToken = "refresh-0";

    private int _tokenRequests;
    private int _rateLimited;
    private int _failed;
    private int _unauthorized;

    /// <summary>Starts with <paramref name="files"/> files spread over <paramref name="folders"/> folders (some nested) on one drive.</summary>
    public static async Task<LoopbackProvider> StartAsync(int files, int folders = 50)
    {
        var provider = new LoopbackProvider();
        provider._accessTokens.Add(provider.CurrentAccessToken);
        provider.Add(new Item("drive", "drive-1", "Main drive", null, null));
        // Files first, their folders after: the store must resolve references in any order.
        for (var i = 0; i < files; i++)
        {
            provider.Add(new Item("file", $"file-{i:D7}", $"report-{i}.txt", $"folder-{i % folders:D4}", 100 + i));
        }
        for (var i = 0; i < folders; i++)
        {
            provider.Add(new Item("folder", $"folder-{i:D4}", $"Folder {i}", i >= 10 ? $"folder-{i / 10:D4}" : null, null));
        }
        provider._server = await LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/changes", provider.ChangesAsync);
            app.MapGet("/files/{id}/content", provider.Content);
            app.MapPost("/oauth/token", provider.TokenAsync);
        });
        return provider;
    }

    /// <summary>Tributary settings (as environment variables) that serve the loopback integration from this fake.</summary>
    public Dictionary<string, string?> Environment() => new()
    {
        ["Sync__LoopbackProviderUrl"] = Url,
        ["Integrations__loopback__ClientId"] = ClientId,
        ["Integrations__loopback__ClientSecret"] = ClientSecret,
    };

    /// <summary>The same settings in configuration-key form, for an in-process application.</summary>
    public Dictionary<string, string?> Settings() => Environment().ToDictionary(e => e.Key.Replace("__", ":", StringComparison.Ordinal), e => e.Value);

    /// <summary>The credential Link would have stored.</summary>
    public JsonElement Credential() => JsonSerializer.SerializeToElement(new { access_token = CurrentAccessToken, refresh_token = InitialRefreshToken, token_type = "bearer" });

    public IReadOnlyDictionary<string, Item> Live
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, Item>(_live, StringComparer.Ordinal);
            }
        }
    }

    public void Add(Item item)
    {
        lock (_lock)
        {
            _live[item.Id] = item;
            _log.Add(new Change(item, null, null));
        }
    }

    /// <summary>Deletes an item and says so in the change feed.</summary>
    public void Delete(string id)
    {
        lock (_lock)
        {
            if (_live.Remove(id, out var item))
            {
                _log.Add(new Change(null, item.Type, id));
            }
        }
    }

    /// <summary>Deletes an item without any signal (as providers without a delete feed do): only a full read can notice.</summary>
    public void DeleteSilently(string id)
    {
        lock (_lock)
        {
            _live.Remove(id);
        }
    }

    /// <summary>Every access token issued so far stops working (they expired).</summary>
    public void ExpireAccessTokens()
    {
        lock (_lock)
        {
            _accessTokens.Clear();
        }
    }

    /// <summary>The next <paramref name="count"/> feed requests are answered 429 with <c>Retry-After</c>.</summary>
    public void RateLimitNext(int count) => Interlocked.Exchange(ref _rateLimitNext, count);

    /// <summary>The next <paramref name="count"/> feed requests are answered 503.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failNext, count);

    private bool Authorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        lock (_lock)
        {
            var ok = header.StartsWith("Bearer ", StringComparison.Ordinal) && _accessTokens.Contains(header[7..]);
            if (!ok)
            {
                Interlocked.Increment(ref _unauthorized);
            }
            return ok;
        }
    }

    private async Task<IResult> ChangesAsync(HttpRequest request)
    {
        var cursor = request.Query["cursor"].ToString();
        FeedRequests.Enqueue(new FeedRequest(cursor.Length == 0 ? null : cursor, TimeProvider.System.GetUtcNow()));
        if (!Authorized(request))
        {
            return Results.Json(new { error = "invalid_token" }, statusCode: 401);
        }
        if (Interlocked.Decrement(ref _rateLimitNext) >= 0)
        {
            Interlocked.Increment(ref _rateLimited);
            request.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return Results.Json(new { error = "rate_limited" }, statusCode: 429);
        }
        if (Interlocked.Decrement(ref _failNext) >= 0)
        {
            Interlocked.Increment(ref _failed);
            return Results.Json(new { error = "unavailable" }, statusCode: 503);
        }
        if (PageDelay > TimeSpan.Zero)
        {
            await Task.Delay(PageDelay);
        }
        lock (_lock)
        {
            if (cursor.StartsWith("log:", StringComparison.Ordinal))
            {
                var from = int.Parse(cursor.AsSpan(4), CultureInfo.InvariantCulture);
                var changes = _log.Skip(from).Take(PageSize).ToList();
                var end = from + changes.Count;
                return Results.Json(new
                {
                    records = changes.Where(c => c.Record is not null).Select(c => Json(c.Record!)).ToList(),
                    deleted = changes.Where(c => c.DeletedId is not null).Select(c => new { type = c.DeletedType, id = c.DeletedId }).ToList(),
                    cursor = $"log:{end}",
                    final = end >= _log.Count,
                    full = false,
                });
            }
            // A full read pages through the live items in a stable order; its last cursor starts the change log.
            var offset = cursor.StartsWith("full:", StringComparison.Ordinal) ? int.Parse(cursor.AsSpan(5), CultureInfo.InvariantCulture) : 0;
            var ordered = _live.Values.OrderBy(i => i.Type == "drive" ? 0 : i.Type == "file" ? 1 : 2).ThenBy(i => i.Id, StringComparer.Ordinal).ToList();
            var page = ordered.Skip(offset).Take(PageSize).ToList();
            var last = offset + PageSize >= ordered.Count;
            return Results.Json(new
            {
                records = page.Select(Json).ToList(),
                deleted = Array.Empty<object>(),
                cursor = last ? $"log:{_log.Count}" : $"full:{offset + PageSize}",
                final = last,
                full = true,
            });
        }
    }

    private static object Json(Item item) => new
    {
        type = item.Type,
        id = item.Id,
        name = item.Name,
        parent = item.Parent,
        drive = item.Type == "drive" ? null : "drive-1",
        size = item.Size,
        mime_type = item.Type == "file" ? "text/plain" : null,
        modified = "2026-01-01T00:00:00Z",
    };

    private IResult Content(HttpRequest request, string id)
    {
        if (!Authorized(request))
        {
            return Results.Json(new { error = "invalid_token" }, statusCode: 401);
        }
        if (Interlocked.Decrement(ref _rateLimitNext) >= 0)
        {
            Interlocked.Increment(ref _rateLimited);
            request.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return Results.Json(new { error = "rate_limited" }, statusCode: 429);
        }
        return Results.Text($"content of {id}", "text/plain");
    }

    private async Task<IResult> TokenAsync(HttpRequest request)
    {
        Interlocked.Increment(ref _tokenRequests);
        var form = await request.ReadFormAsync();
        // Slow on purpose: a race between refreshers has time to happen.
        await Task.Delay(TokenDelay);
        lock (_lock)
        {
            if (form["client_id"] != ClientId || form["client_secret"] != ClientSecret)
            {
                return Results.Json(new { error = "invalid_client" }, statusCode: 401);
            }
            if (Revoked || form["grant_type"] != "refresh_token" || form["refresh_token"] != _refreshToken)
            {
                return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            }
            _tokenGeneration++;
            CurrentAccessToken = $"access-{_tokenGeneration}";
            _refreshToken = $"refresh-{_tokenGeneration}";
            _accessTokens.Add(CurrentAccessToken);
            return Results.Json(new { access_token = CurrentAccessToken, refresh_token = _refreshToken, expires_in = 3600, token_type = "bearer" });
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
