using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.FileStorage.Files;

public sealed class ProviderErrorTests
{
    private const string Files = LiveFileStorage.FilesPath;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(ProviderErrorKind.NotFound, null, HttpStatusCode.NotFound, null)]
    [InlineData(ProviderErrorKind.InvalidRequest, null, HttpStatusCode.BadRequest, null)]
    [InlineData(ProviderErrorKind.RateLimited, 12.2, HttpStatusCode.TooManyRequests, "13")]
    [InlineData(ProviderErrorKind.RateLimited, null, HttpStatusCode.TooManyRequests, "30")]
    [InlineData(ProviderErrorKind.Unauthorized, null, HttpStatusCode.Forbidden, null)]
    [InlineData(ProviderErrorKind.Transient, null, HttpStatusCode.BadGateway, null)]
    [InlineData(ProviderErrorKind.Transient, 5.0, HttpStatusCode.ServiceUnavailable, "5")]
    public async Task ProviderFailures_MapToHttp_KeepingTheMessageButNeverTheToken(
        ProviderErrorKind kind, double? retryAfterSeconds, HttpStatusCode expected, string? retryAfter)
    {
        ScriptedConnector? sandbox = null;
        await using var live = await LiveFileStorage.StartAsync(DatabaseKind.Sqlite, services: ScriptedConnector.Install(c => sandbox = c));
        sandbox!.Fail = new ProviderException(kind, $"upstream said no (Bearer {LiveFileStorage.ProviderSecret})",
            retryAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : null);

        var responses = new[]
        {
            await live.Api.GetAsync($"{Files}/{live.FileId("file-notes")}/download", Ct),
            await live.Api.PostAsJsonAsync(Files, new { model = new { name = "a.txt", file_url = "data:,hello" } }, Ct),
            await live.Api.PostAsJsonAsync(LiveFileStorage.FoldersPath, new { model = new { name = "New" } }, Ct),
        };

        foreach (var response in responses)
        {
            Assert.Equal(expected, response.StatusCode);
            var raw = await response.Content.ReadAsStringAsync(Ct);
            Assert.DoesNotContain(LiveFileStorage.ProviderSecret, raw, StringComparison.Ordinal);
            var detail = JsonDocument.Parse(raw).RootElement.GetProperty("detail").GetString()!;
            Assert.Contains("upstream said no (Bearer [redacted])", detail, StringComparison.Ordinal);
            if (kind == ProviderErrorKind.Unauthorized)
            {
                Assert.Contains("relink", detail, StringComparison.Ordinal);
            }
            Assert.Equal(retryAfter, response.Headers.TryGetValues("Retry-After", out var values) ? string.Join(",", values) : null);
        }
    }
}
