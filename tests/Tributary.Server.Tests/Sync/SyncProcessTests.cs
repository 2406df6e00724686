using System.Diagnostics;
using System.Net;
using System.Text;
using Tributary.Data.Entities;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Sync;

/// <summary>
/// The real executable under failure: killed with SIGKILL in the middle of a large sync, and two
/// replicas on one PostgreSQL database with one of them killed mid-sync. The provider is the loopback
/// fake over HTTP, so what the store holds can be compared with what the provider holds, and every
/// feed request shows where a run started.
/// </summary>
public sealed class SyncProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KilledTwentyTimesDuringALargeSync_ResumesEachTimeFromItsCheckpoint_AndTheStoreEqualsTheProvider()
    {
        await using var provider = await LoopbackProvider.StartAsync(files: 20_000, folders: 200);
        provider.PageSize = 200;
        provider.PageDelay = TimeSpan.FromMilliseconds(15);
        var linked = await LoopbackAccount.LinkAsync(DatabaseKind.Sqlite, provider);
        await using var app = linked.App;
        var env = linked.ProcessEnvironment(provider);
        // A killed process's lease expires quickly, so the next start does not wait long to resume.
        env["Sync__LeaseSeconds"] = "5";
        // Two pages per transaction: a kill lands inside multi-page batches too, and still leaves many checkpoints.
        env["Sync__CommitEveryRecords"] = "400";
        var random = new Random(20261122);
        var history = new StringBuilder();
        string? checkpoint = null;
        var checkpoints = new HashSet<string>(StringComparer.Ordinal);

        for (var kill = 1; kill <= 20; kill++)
        {
            var before = provider.FeedRequests.Count;
            var started = TimeProvider.System.GetUtcNow();
            var server = await ServerProcess.StartAsync($"run {kill}", env);
            try
            {
                // At least two pages: with two pages per transaction a run killed after one page
                // commits nothing, and too many such runs left fewer than ten distinct checkpoints.
                var pages = random.Next(2, 6);
                await WaitUntilAsync(async () => provider.FeedRequests.Count >= before + pages || (await linked.StateAsync())?.Status == SyncStatusValue.Done,
                    TimeSpan.FromSeconds(90), () => $"run {kill}: no progress.{Environment.NewLine}{history}{server.Output}");
                await Task.Delay(random.Next(0, 60), Ct);
            }
            finally
            {
                await server.DisposeAsync(); // SIGKILL
            }
            var first = provider.FeedRequests.Skip(before).FirstOrDefault();
            history.AppendLine($"run {kill}: started at {first?.Cursor ?? "(start)"} {(first is null ? "" : $"{(first.At - started).TotalSeconds:0.0}s after launch")}, " +
                $"{provider.FeedRequests.Count - before} feed requests");
            Assert.True(first is not null && first.Cursor == checkpoint,
                $"Run {kill} did not resume from the committed checkpoint {checkpoint ?? "(none)"} but from {first?.Cursor ?? "(no request)"}.{Environment.NewLine}{history}");
            var state = await linked.StateAsync();
            Assert.True(state?.Status != SyncStatusValue.Done, $"The sync finished before kill {kill}: make it larger.{Environment.NewLine}{history}");
            checkpoint = state?.Cursor;
            if (checkpoint is not null)
            {
                checkpoints.Add(checkpoint);
            }
        }
        Assert.True(checkpoints.Count >= 10, $"Only {checkpoints.Count} distinct checkpoints in 20 runs.{Environment.NewLine}{history}");

        var last = provider.FeedRequests.Count;
        await using (var finisher = await ServerProcess.StartAsync("finisher", env))
        {
            await WaitUntilAsync(async () => (await linked.StateAsync())?.Status == SyncStatusValue.Done, TimeSpan.FromMinutes(3),
                () => $"The sync did not finish.{Environment.NewLine}{history}{finisher.Output}");
        }
        Assert.Equal(checkpoint, provider.FeedRequests.Skip(last).First().Cursor);
        Assert.Equal(1, provider.FeedRequests.Count(r => r.Cursor is null));
        await linked.AssertStoreEqualsProviderAsync(provider, history.ToString());
        Assert.Equal(provider.Live.Count, await linked.AllRowCountAsync());
    }

    [Fact]
    public async Task TwoReplicasOnePostgres_TheSyncRunsOnce_AKilledReplicasSyncIsFinishedByTheOther_AndOneRefreshServesAHundredCalls()
    {
        await using var provider = await LoopbackProvider.StartAsync(files: 12_000, folders: 100);
        provider.PageSize = 200;
        provider.PageDelay = TimeSpan.FromMilliseconds(40);
        var linked = await LoopbackAccount.LinkAsync(DatabaseKind.Postgres, provider);
        await using var app = linked.App;
        var env = linked.ProcessEnvironment(provider);
        env["Sync__LeaseSeconds"] = "5";
        env["Sync__ClusterCheckinSeconds"] = "2";
        // One page per transaction, so the killed replica leaves a checkpoint early.
        env["Sync__CommitEveryRecords"] = "200";

        // Slow pages while the replicas start (one may sync long before the other is ready), normal ones after.
        provider.PageDelay = TimeSpan.FromSeconds(1);
        var a = await ServerProcess.StartAsync("A", env);
        var b = await ServerProcess.StartAsync("B", env);
        provider.PageDelay = TimeSpan.FromMilliseconds(40);
        ServerProcess? c = null;
        try
        {
            var servers = new[] { a, b };
            ServerProcess? killed = null;
            var killedOutput = "";
            string Outputs() => killedOutput + Environment.NewLine +
                string.Join(Environment.NewLine, new[] { a, b, c }.OfType<ServerProcess>().Where(s => s != killed).Select(s => s.Output));
            await WaitUntilAsync(() => Task.FromResult(provider.FeedRequests.Count >= 8), TimeSpan.FromSeconds(90), () => "The sync did not start." + Outputs());
            var running = servers.Where(s => s.Output.Contains("running, from the start", StringComparison.Ordinal)).ToList();
            var runner = Assert.Single(running);
            var survivor = runner == a ? b : a;
            var before = provider.FeedRequests.Count;
            killed = runner;
            await runner.DisposeAsync(); // SIGKILL mid-sync
            killedOutput = "(killed) " + runner.Name;
            var checkpoint = (await linked.StateAsync())?.Cursor;
            Assert.NotNull(checkpoint);

            await WaitUntilAsync(async () => (await linked.StateAsync())?.Status == SyncStatusValue.Done, TimeSpan.FromMinutes(3),
                () => "The surviving replica did not finish the sync." + Outputs());
            Assert.Contains("resuming a full read from its checkpoint", survivor.Output, StringComparison.Ordinal);
            Assert.Equal(checkpoint, provider.FeedRequests.Skip(before).First(r => r.Cursor == checkpoint || r.Cursor is null).Cursor);
            // The job ran once: one full read from the start, across both replicas.
            Assert.Equal(1, provider.FeedRequests.Count(r => r.Cursor is null));
            await linked.AssertStoreEqualsProviderAsync(provider, Outputs());

            // A hundred downloads across two replicas with an expired access token: one refresh.
            c = await ServerProcess.StartAsync("C", env);
            provider.ExpireAccessTokens();
            var tokenRequestsBefore = provider.TokenRequests;
            var fileIds = Enumerable.Range(0, 100).Select(i => Data.StoreIds.For(linked.AccountId, Server.Sync.StoreMapper.FileModel, $"file-{i:D7}")).ToList();
            var clients = new[] { survivor, c }.Select(s =>
            {
                var client = s.CreateApiClient(linked.Organization.ProductionKey);
                client.DefaultRequestHeaders.Add("X-Account-Token", linked.AccountToken);
                return client;
            }).ToList();
            try
            {
                var calls = fileIds.Select(async (id, i) =>
                {
                    using var response = await clients[i % 2].GetAsync($"/api/filestorage/v1/files/{id}/download", Ct);
                    return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(Ct));
                });
                var results = await Task.WhenAll(calls);
                Assert.All(results.Select((r, i) => (r, i)), x => Assert.True(x.r.StatusCode == HttpStatusCode.OK && x.r.Body == $"content of file-{x.i:D7}",
                    $"Download {x.i} answered {(int)x.r.StatusCode}: {x.r.Body}{Environment.NewLine}{Outputs()}"));
            }
            finally
            {
                clients.ForEach(client => client.Dispose());
            }
            Assert.Equal(1, provider.TokenRequests - tokenRequestsBefore);
            Assert.Equal(LinkedAccountStatus.Complete, (await linked.AccountAsync()).Status);
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
            if (c is not null)
            {
                await c.DisposeAsync();
            }
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > timeout)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0}s. {describe()}");
            }
            await Task.Delay(50, Ct);
        }
    }
}
