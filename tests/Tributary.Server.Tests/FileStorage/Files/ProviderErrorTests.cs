using System.Globalization;
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

        // A provider's 429 is recorded in the account's shared budget, so after the first call the
        // platform itself answers 429 without calling the provider until the wait is over.
        var budgeted = kind == ProviderErrorKind.RateLimited;
        Assert.Equal(budgeted ? 1 : responses.Length, sandbox.FailedCalls);
        for (var i = 0; i < responses.Length; i++)
        {
            var response = responses[i];
            Assert.Equal(expected, response.StatusCode);
            var raw = await response.Content.ReadAsStringAsync(Ct);
            Assert.DoesNotContain(LiveFileStorage.ProviderSecret, raw, StringComparison.Ordinal);
            var detail = JsonDocument.Parse(raw).RootElement.GetProperty("detail").GetString()!;
            var header = response.Headers.TryGetValues("Retry-After", out var values) ? string.Join(",", values) : null;
            if (budgeted && i > 0)
            {
                Assert.Contains("asked Tributary to wait", detail, StringComparison.Ordinal);
                Assert.InRange(int.Parse(header!, CultureInfo.InvariantCulture), 1, int.Parse(retryAfter!, CultureInfo.InvariantCulture));
                continue;
            }
            Assert.Contains("upstream said no (Bearer [redacted])", detail, StringComparison.Ordinal);
            if (kind == ProviderErrorKind.Unauthorized)
            {
                Assert.Contains("relink", detail, StringComparison.Ordinal);
            }
            Assert.Equal(retryAfter, header);
        }
    }
}
