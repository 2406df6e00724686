using System.Diagnostics;
using System.Net;

namespace Tributary.Server.Tests.Infrastructure;

/// <summary>
/// A revocation made by another process (a second replica, the CLI) reaches a server within
/// Tributary:AuthCacheSeconds, 1 s by default (docs/decisions/0009-credential-cache.md).
/// </summary>
internal static class CredentialCacheBound
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(1);

    // Room for a loaded machine between the revoking process's commit and our first request.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(2);

    /// <summary>Polls <paramref name="path"/> until it answers 401; fails if it still works past the bound.</summary>
    public static async Task AssertRejectedWithinBoundAsync(HttpClient client, string path, Func<string>? context = null)
    {
        var ct = TestContext.Current.CancellationToken;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            using var response = await client.GetAsync(path, ct);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                return;
            }
            Assert.True(watch.Elapsed < Default + Slack,
                $"Still {(int)response.StatusCode} {watch.Elapsed.TotalSeconds:N1} s after the change; the bound is {Default.TotalSeconds} s.{Environment.NewLine}{context?.Invoke()}");
            await Task.Delay(50, ct);
        }
    }
}
