using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Data.Entities;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Sync;

/// <summary>The scheduler facade as push endpoints and Link use it: the initial sync after linking, and debounced "sync soon".</summary>
public sealed class SyncSchedulerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task LinkingStartsTheInitialSync_AndABurstOfSoonRequestsMakesOneIncrementalRun(DatabaseKind kind)
    {
        await using var provider = await LoopbackProvider.StartAsync(files: 40, folders: 4);
        var linked = await LoopbackAccount.LinkAsync(kind, provider, runJobs: true, settings: new Dictionary<string, string?> { ["Sync:SoonDelayMilliseconds"] = "1500" });
        await using var app = linked.App;
        await WaitUntilAsync(async () => (await linked.StateAsync())?.Status == SyncStatusValue.Done, "the initial sync after linking");
        await linked.AssertStoreEqualsProviderAsync(provider, "after the initial sync");

        provider.Add(new LoopbackProvider.Item("file", "file-pushed", "pushed.txt", "folder-0001", 7));
        var before = provider.FeedRequests.Count;
        var scheduler = app.Services.GetRequiredService<SyncScheduler>();
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => scheduler.RequestSoonAsync(linked.AccountId, $"push {i}", Ct)));

        await WaitUntilAsync(async () => (await linked.LiveRowsAsync()).ContainsKey("file-pushed"), "the pushed file");
        await Task.Delay(3000, Ct);
        var runs = provider.FeedRequests.Skip(before).Count(r => r.Cursor?.StartsWith("log:", StringComparison.Ordinal) == true);
        Assert.Equal(1, runs);
        await linked.AssertStoreEqualsProviderAsync(provider, "after the pushed change");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(90), $"Timed out waiting for {what}.");
            await Task.Delay(100, Ct);
        }
    }
}
