using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Data.Entities.Webhooks;
using Tributary.Server.Events;
using Tributary.Server.Tests.Infrastructure;
using Tributary.Server.Webhooks;

namespace Tributary.Server.Tests.Webhooks;

public sealed class WebhookDeliveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static Dictionary<string, string?> FastRetries(string poll = "00:00:00.200") => new()
    {
        ["Webhooks:AllowPrivateTargets"] = "true",
        ["Webhooks:PollInterval"] = poll,
        ["Webhooks:RetryBaseDelay"] = "00:00:00.200",
        ["Webhooks:RetryMaxDelay"] = "00:00:01",
        ["Webhooks:MaxAttempts"] = "100",
    };

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ReceiverDownForAWhile_GetsEveryEventAfterItRecovers_EachSignedAsMergeSigns(DatabaseKind kind)
    {
        await using var receiver = await WebhookReceiverServer.StartAsync();
        receiver.Down = true;
        await using var app = await TributaryApplication.StartAsync(kind, FastRetries());
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var created = await api.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "*" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var webhookId = (await created.JsonAsync()).GetProperty("id").GetGuid();
        var key = (await api.GetFromJsonAsync<JsonElement>("/api/v1/webhooks/signing-key", Ct)).GetProperty("key").GetString()!;

        // Two links (LinkedAccount.linked), one delete (LinkedAccount.deleted).
        var (keptId, _) = await api.ExchangeAsync(await app.CompleteLinkAsync(await api.CreateLinkTokenAsync("kept-user")));
        var (deletedId, deletedToken) = await api.ExchangeAsync(await app.CompleteLinkAsync(await api.CreateLinkTokenAsync("deleted-user")));
        using (var account = app.CreateApiClient(org.ProductionKey, deletedToken))
        {
            Assert.Equal(HttpStatusCode.OK, (await account.PostAsync("/api/filestorage/v1/delete-account", null, Ct)).StatusCode);
        }

        // The sync engine's calls: once the initial sync is done, record events and sync_completed.
        var fileIds = await WaitForInitialSyncAsync(app, keptId);
        await app.WithDbAsync(async (db, sp) =>
        {
            var events = sp.GetRequiredService<IAccountEvents>();
            var account = await db.LinkedAccounts.IgnoreQueryFilters().SingleAsync(a => a.Id == keptId, Ct);
            await events.RecordsChangedAsync(db, account, "File", [fileIds[0]], [fileIds[1]], [fileIds[2]], Ct);
            await events.SyncCompletedAsync(db, account, "filestorage", succeeded: true, records: 3, Ct);
            await db.SaveChangesAsync(Ct);
            return 0;
        });

        string[] expected = ["FileStorageFile.added", "FileStorageFile.changed", "FileStorageFile.removed",
            "LinkedAccount.deleted", "LinkedAccount.linked", "LinkedAccount.linked", "LinkedAccount.sync_completed"];
        // The real sync engine also reports the initial syncs it ran (is_initial_sync: true), one per account it synced.
        var queued = await app.WithDbAsync((db, _) => db.WebhookDeliveries.IgnoreQueryFilters().CountAsync(Ct));
        Assert.InRange(queued - expected.Length, 0, 2);
        expected = [.. expected.Concat(Enumerable.Repeat("LinkedAccount.sync_completed", queued - expected.Length)).Order(StringComparer.Ordinal)];
        // Down for a while: every event is attempted and refused at least twice.
        await receiver.WaitForAsync(r => r.Requests.GroupBy(x => x.DeliveryId).Count(g => g.Count() >= 2) == expected.Length,
            TimeSpan.FromSeconds(60), () => $"{receiver.Requests.Count} refused attempts so far");
        receiver.Down = false;
        await receiver.WaitForAsync(r => r.Accepted.Select(x => x.DeliveryId).Distinct().Count() == expected.Length,
            TimeSpan.FromSeconds(60), () => $"accepted: {string.Join(", ", receiver.Accepted.Select(x => x.Event))}");

        var accepted = receiver.Accepted.GroupBy(r => r.DeliveryId).Select(g => g.First()).ToList();
        Assert.Equal(expected, accepted.Select(r => r.Event).Order(StringComparer.Ordinal));
        Assert.All(receiver.Requests, r => Assert.True(WebhookReceiverServer.VerifiesWithMergeAlgorithm(key, r.Body, r.Signature),
            $"signature {r.Signature} does not verify for {r.Event}"));

        // Merge's envelope.
        foreach (var hook in accepted.Select(r => r.Json))
        {
            Assert.Equal(webhookId, hook.GetProperty("hook").GetProperty("id").GetGuid());
            Assert.Equal(receiver.Url, hook.GetProperty("hook").GetProperty("target").GetString());
            Assert.Equal("Sandbox", hook.GetProperty("linked_account").GetProperty("integration").GetString());
            Assert.Equal("sandbox", hook.GetProperty("linked_account").GetProperty("integration_slug").GetString());
        }
        var linked = accepted.Select(r => r.Json).Where(j => j.GetProperty("hook").GetProperty("event").GetString() == "LinkedAccount.linked").ToList();
        Assert.All(linked, l => Assert.False(l.GetProperty("data").GetProperty("is_relink").GetBoolean()));
        var deleted = accepted.Select(r => r.Json).Single(j => j.GetProperty("hook").GetProperty("event").GetString() == "LinkedAccount.deleted");
        Assert.Equal(deletedId, deleted.GetProperty("linked_account").GetProperty("id").GetGuid());
        var added = accepted.Select(r => r.Json).Single(j => j.GetProperty("hook").GetProperty("event").GetString() == "FileStorageFile.added");
        Assert.Equal(fileIds[0], added.GetProperty("data").GetProperty("id").GetGuid());
        Assert.False(string.IsNullOrEmpty(added.GetProperty("data").GetProperty("name").GetString()));
        var completed = accepted.Select(r => r.Json).Single(j => j.GetProperty("hook").GetProperty("event").GetString() == "LinkedAccount.sync_completed"
            && !j.GetProperty("data").GetProperty("is_initial_sync").GetBoolean());
        Assert.Equal("DONE", completed.GetProperty("data").GetProperty("sync_status").GetProperty("filestorage.FileStorageFile").GetProperty("last_sync_result").GetString());
        Assert.False(completed.GetProperty("data").GetProperty("is_initial_sync").GetBoolean());

        // The delivery log: every delivery delivered, every attempt listed (paged two at a time).
        var deliveries = await api.GetFromJsonAsync<JsonElement>("/api/v1/webhooks/deliveries", Ct);
        Assert.Equal(expected.Length, deliveries.GetProperty("results").GetArrayLength());
        Assert.All(deliveries.GetProperty("results").EnumerateArray(), d =>
        {
            Assert.Equal("DELIVERED", d.GetProperty("status").GetString());
            Assert.True(d.GetProperty("attempts").GetInt32() >= 3);
        });
        var attempts = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await api.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/attempts?page_size=2{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", Ct);
            attempts.AddRange(page.GetProperty("results").EnumerateArray());
            cursor = page.GetProperty("next").GetString();
        }
        while (cursor is not null);
        Assert.Equal(receiver.Requests.Count, attempts.Count);
        Assert.Equal(receiver.Requests.Count(r => r.StatusAnswered == 503), attempts.Count(a => a.GetProperty("response_status").GetInt32() == 503));
        Assert.Equal(expected.Length, attempts.Count(a => a.GetProperty("succeeded").GetBoolean() && a.GetProperty("response_status").GetInt32() == 200));
        Assert.All(attempts, a => Assert.True(a.GetProperty("duration_ms").GetInt32() >= 0));
        Assert.All(attempts.Where(a => !a.GetProperty("succeeded").GetBoolean()), a => Assert.Contains("503", a.GetProperty("error").GetString(), StringComparison.Ordinal));

        var oneDelivery = deliveries.GetProperty("results")[0].GetProperty("id").GetGuid();
        var detail = await api.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/deliveries/{oneDelivery}", Ct);
        Assert.Equal(JsonValueKind.Object, detail.GetProperty("payload").ValueKind);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task TwoDispatchersRacing_SendEachDeliveryOnce(DatabaseKind kind)
    {
        await using var receiver = await WebhookReceiverServer.StartAsync();
        // The Quartz job stays out of the way (hourly); the test runs the passes itself.
        await using var app = await TributaryApplication.StartAsync(kind, FastRetries(poll: "01:00:00"));
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "LinkedAccount.deleted" } }, Ct)).StatusCode);
        var accounts = new List<Guid>();
        for (var i = 0; i < 30; i++)
        {
            accounts.Add((await app.CreateLinkedAccountAsync(org.Id, originId: $"user-{i}")).Id);
        }
        await app.WithDbAsync(async (db, sp) =>
        {
            var events = sp.GetRequiredService<IAccountEvents>();
            foreach (var account in await db.LinkedAccounts.IgnoreQueryFilters().ToListAsync(Ct))
            {
                await events.DeletedAsync(db, account, Ct);
            }
            await db.SaveChangesAsync(Ct);
            return 0;
        });

        var dispatcher = app.Services.GetRequiredService<WebhookDispatcher>();
        for (var round = 0; round < 10 && receiver.Requests.Count < accounts.Count; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => dispatcher.RunOnceAsync(Ct), Ct)));
        }

        Assert.Equal(accounts.Count, receiver.Requests.Count);
        Assert.Equal(accounts.Count, receiver.Requests.Select(r => r.DeliveryId).Distinct().Count());
        var attempts = await app.WithDbAsync((db, _) => db.WebhookAttempts.IgnoreQueryFilters().CountAsync(Ct));
        Assert.Equal(accounts.Count, attempts);
        var statuses = await app.WithDbAsync((db, _) => db.WebhookDeliveries.IgnoreQueryFilters().Select(d => d.Status).ToListAsync(Ct));
        Assert.All(statuses, s => Assert.Equal(WebhookDeliveryStatus.Delivered, s));
    }

    [Fact]
    public async Task InitialSync_SendsNoRecordEvents_AndBacklogCapStopsQueueing()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>(FastRetries(poll: "01:00:00"))
        {
            ["Webhooks:MaxPendingRecordEvents"] = "5",
        });
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/v1/webhooks", new { url = "http://127.0.0.1:9/hook", events = new[] { "FileStorageFile.added" } }, Ct)).StatusCode);
        var account = await app.CreateLinkedAccountAsync(org.Id, integration: "sandbox");
        var ids = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid()).ToList();

        async Task<int> RecordAsync()
        {
            return await app.WithDbAsync(async (db, sp) =>
            {
                var linked = await db.LinkedAccounts.IgnoreQueryFilters().SingleAsync(a => a.Id == account.Id, Ct);
                await sp.GetRequiredService<IAccountEvents>().RecordsChangedAsync(db, linked, "FileStorageFile", ids, [], [], Ct);
                await db.SaveChangesAsync(Ct);
                return await db.WebhookDeliveries.IgnoreQueryFilters().CountAsync(Ct);
            });
        }

        // No sync state yet: the initial sync, whose rows the receiver reads in pages after sync_completed.
        Assert.Equal(0, await RecordAsync());
        await app.WithDbAsync(async (db, _) =>
        {
            db.SyncStates.Add(new Data.Entities.SyncState { Id = Guid.NewGuid(), LinkedAccountId = account.Id, Category = "filestorage", InitialSyncDone = true });
            return await db.SaveChangesAsync(Ct);
        });
        Assert.Equal(8, await RecordAsync());
        // The backlog (8) is over the cap (5): the next page queues nothing for this endpoint.
        Assert.Equal(8, await RecordAsync());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task MagicLink_LinkedEventCarriesAWorkingAccountToken_SealedAtRest(DatabaseKind kind)
    {
        await using var receiver = await WebhookReceiverServer.StartAsync();
        await using var app = await TributaryApplication.StartAsync(kind, FastRetries());
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "LinkedAccount.linked" } }, Ct)).StatusCode);

        await app.CompleteLinkAsync(await api.CreateLinkTokenAsync("magic-user", extra: new { should_create_magic_link_url = true }));
        await receiver.WaitForAsync(r => r.Accepted.Any(), TimeSpan.FromSeconds(90), () => "no LinkedAccount.linked");
        var token = receiver.Accepted.First().Json.GetProperty("data").GetProperty("account_token").GetString()!;
        Assert.StartsWith("trb_acct_", token, StringComparison.Ordinal);
        using var account = app.CreateApiClient(org.ProductionKey, token);
        Assert.Equal(HttpStatusCode.OK, (await account.GetAsync("/api/filestorage/v1/account-details", Ct)).StatusCode);

        var stored = await app.WithDbAsync((db, _) => db.WebhookDeliveries.IgnoreQueryFilters().Select(d => d.Payload!).SingleAsync(Ct));
        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
        var id = (await api.GetFromJsonAsync<JsonElement>("/api/v1/webhooks/deliveries", Ct)).GetProperty("results")[0].GetProperty("id").GetGuid();
        var logged = await api.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/deliveries/{id}", Ct);
        Assert.Equal("[redacted]", logged.GetProperty("payload").GetProperty("data").GetProperty("account_token").GetString());
    }

    private static async Task<List<Guid>> WaitForInitialSyncAsync(TributaryApplication app, Guid accountId)
    {
        // A deadline, not a count of polls: on a loaded machine each poll itself takes a while.
        var deadline = Environment.TickCount64 + (long)TimeSpan.FromSeconds(120).TotalMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            var ids = await app.WithDbAsync(async (db, _) =>
                await db.SyncStates.IgnoreQueryFilters().AnyAsync(s => s.LinkedAccountId == accountId && s.InitialSyncDone, Ct)
                    ? await db.Files.IgnoreQueryFilters().Where(f => f.LinkedAccountId == accountId).OrderBy(f => f.Id).Select(f => f.Id).Take(3).ToListAsync(Ct)
                    : []);
            if (ids.Count == 3)
            {
                return ids;
            }
            await Task.Delay(100, Ct);
        }
        throw new TimeoutException("The sandbox account's initial sync did not finish within 120 s.");
    }
}
