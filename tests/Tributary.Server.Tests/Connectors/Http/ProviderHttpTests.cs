using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Http;
using Tributary.Server.Tests.Connectors.Compliance;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Connectors.Http;

/// <summary>The one HTTP pipeline every connector uses: refresh on 401, provider waits, retries, error kinds.</summary>
public sealed class ProviderHttpTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_401_refreshes_once_and_retries_with_the_new_token()
    {
        var tokens = new FakeTokens(rotateRefreshTokens: true);
        var seen = new ConcurrentQueue<string>();
        await using var server = await LoopbackServer.StartAsync(app =>
        {
            tokens.Map(app, "/authorize", "/token");
            app.MapGet("/data", (HttpRequest r) =>
            {
                seen.Enqueue(r.Headers.Authorization.ToString());
                return tokens.IsAuthorized(r) ? Results.Json(new { ok = true }) : Results.StatusCode(401);
            });
        });
        using var client = new HttpClient();
        var credential = new RefreshingTestCredential(tokens.Grant(), $"{server.Origin}/token", client);
        var firstRefresh = credential.Current.GetProperty("refresh_token").GetString();
        tokens.ExpireAccessTokens();
        var http = Pipeline(client);

        using var json = await http.SendForJsonAsync(new ConnectorContext(Guid.NewGuid(), credential), () => new HttpRequestMessage(HttpMethod.Get, $"{server.Origin}/data"), Ct);

        Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
        Assert.Equal(1, tokens.RefreshRequests);
        Assert.Equal(2, seen.Count);
        Assert.Equal($"Bearer {credential.Current.GetProperty("access_token").GetString()}", seen.Last());
        Assert.NotEqual(firstRefresh, credential.Current.GetProperty("refresh_token").GetString());
    }

    [Fact]
    public async Task A_second_401_after_the_refresh_is_unauthorized_without_another_refresh()
    {
        var tokens = new FakeTokens(rotateRefreshTokens: false);
        await using var server = await LoopbackServer.StartAsync(app =>
        {
            tokens.Map(app, "/authorize", "/token");
            app.MapGet("/data", () => Results.StatusCode(401));
        });
        using var client = new HttpClient();
        var credential = new RefreshingTestCredential(tokens.Grant(), $"{server.Origin}/token", client);

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            Pipeline(client).SendAsync(new ConnectorContext(Guid.NewGuid(), credential), () => new HttpRequestMessage(HttpMethod.Get, $"{server.Origin}/data"), Ct));

        Assert.Equal(ProviderErrorKind.Unauthorized, error.Kind);
        Assert.Equal(1, tokens.RefreshRequests);
    }

    [Fact]
    public async Task A_revoked_refresh_token_is_unauthorized_and_names_no_secret()
    {
        var tokens = new FakeTokens(rotateRefreshTokens: false);
        await using var server = await LoopbackServer.StartAsync(app =>
        {
            tokens.Map(app, "/authorize", "/token");
            app.MapGet("/data", (HttpRequest r) => tokens.IsAuthorized(r) ? Results.Ok() : Results.StatusCode(401));
        });
        using var client = new HttpClient();
        var granted = tokens.Grant();
        var credential = new RefreshingTestCredential(granted, $"{server.Origin}/token", client);
        tokens.RevokeRefreshTokens();

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            Pipeline(client).SendAsync(new ConnectorContext(Guid.NewGuid(), credential), () => new HttpRequestMessage(HttpMethod.Get, $"{server.Origin}/data"), Ct));

        Assert.Equal(ProviderErrorKind.Unauthorized, error.Kind);
        Assert.Contains("invalid_grant", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(granted.GetProperty("refresh_token").GetString()!, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_429_waits_the_Retry_After_seconds_then_succeeds()
    {
        var attempts = new ConcurrentQueue<DateTimeOffset>();
        await using var server = await LoopbackServer.StartAsync(app => app.MapGet("/data", (HttpResponse response) =>
        {
            attempts.Enqueue(TimeProvider.System.GetUtcNow());
            if (attempts.Count == 1)
            {
                response.Headers.RetryAfter = "1";
                return Results.StatusCode(429);
            }
            return Results.Json(new { ok = true });
        }));
        using var client = new HttpClient();

        using var json = await Pipeline(client).SendForJsonAsync(Context(), () => new HttpRequestMessage(HttpMethod.Get, $"{server.Origin}/data"), Ct);

        var times = attempts.ToArray();
        Assert.Equal(2, times.Length);
        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(950), $"retried after {(times[1] - times[0]).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_wait_longer_than_the_inline_limit_fails_as_rate_limited_with_the_wait()
    {
        await using var server = await LoopbackServer.StartAsync(app => app.MapGet("/data", (HttpResponse response) =>
        {
            response.Headers.RetryAfter = "600";
            return Results.StatusCode(429);
        }));
        using var client = new HttpClient();

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            Pipeline(client).SendAsync(Context(), () => new HttpRequestMessage(HttpMethod.Get, $"{server.Origin}/data"), Ct));

        Assert.Equal(ProviderErrorKind.RateLimited, error.Kind);
        Assert.Equal(TimeSpan.FromSeconds(600), error.RetryAfter);
    }

    [Fact]
    public async Task The_providers_own_classification_and_body_wait_are_used()
    {
        var attempts = 0;
        await using var server = await LoopbackServer.StartAsync(app => app.MapGet("/data", () =>
            Interlocked.Increment(ref attempts) == 1
                ? Results.Json(new { error = new { reason = "userRateLimitExceeded" }, retry_after = 0.2 }, statusCode: 403)
                : Results.Json(new { ok = true })));
        using var client = new HttpClient();
        var http = new ProviderHttp(client, TimeProvider.System, new ProviderHttpOptions
        {
            Provider = "Example",
            BaseBackoff = TimeSpan.FromMinutes(5),
            Classify = e => e.Status == HttpStatusCode.Forbidden && e.Body.Contains("RateLimitExceeded", StringComparison.OrdinalIgnoreCase)
                ? ProviderErrorKind.RateLimited : null,
            WaitFromBody = e => e.Json?.TryGetProperty("retry_after", out var s) == true ? TimeSpan.FromSeconds(s.GetDouble()) : null,
        });

        using var json = await http.SendForJsonAsync(Context(), () => new HttpRequestMessage(HttpMethod.Get, $"{server.Origin}/data"), Ct);

        Assert.Equal(2, attempts);
    }

    [Theory]
    [InlineData(404, ProviderErrorKind.NotFound)]
    [InlineData(410, ProviderErrorKind.NotFound)]
    [InlineData(400, ProviderErrorKind.InvalidRequest)]
    [InlineData(403, ProviderErrorKind.InvalidRequest)]
    [InlineData(503, ProviderErrorKind.Transient)]
    public async Task Failures_map_to_their_kind_and_5xx_is_retried_a_bounded_number_of_times(int status, ProviderErrorKind kind)
    {
        var attempts = 0;
        await using var server = await LoopbackServer.StartAsync(app => app.MapGet("/data", () =>
        {
            Interlocked.Increment(ref attempts);
            return Results.Json(new { error = "nope" }, statusCode: status);
        }));
        using var client = new HttpClient();

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            Pipeline(client).SendAsync(Context(), () => new HttpRequestMessage(HttpMethod.Get, $"{server.Origin}/data"), Ct));

        Assert.Equal(kind, error.Kind);
        Assert.Equal(kind == ProviderErrorKind.Transient ? 3 : 1, attempts);
        Assert.Contains($"HTTP {status}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_provider_is_transient()
    {
        using var client = new HttpClient();

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            Pipeline(client).SendAsync(Context(), () => new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:1/data"), Ct));

        Assert.Equal(ProviderErrorKind.Transient, error.Kind);
    }

    private static ProviderHttp Pipeline(HttpClient client) => new(client, TimeProvider.System, new ProviderHttpOptions
    {
        Provider = "Example",
        MaxAttempts = 3,
        BaseBackoff = TimeSpan.FromMilliseconds(20),
    });

    private static ConnectorContext Context() => new(Guid.NewGuid(), JsonSerializer.SerializeToElement(new { access_token = "t" }));
}
