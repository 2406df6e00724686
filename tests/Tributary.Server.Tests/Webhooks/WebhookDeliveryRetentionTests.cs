using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Tributary.Data;
using Tributary.Data.Entities.Webhooks;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;
using Tributary.Server.Webhooks;

namespace Tributary.Server.Tests.Webhooks;

/// <summary>The housekeeping job forgets finished deliveries older than <c>Webhooks:DeliveryRetention</c>, never pending ones.</summary>
public sealed class WebhookDeliveryRetentionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The server runs on the system clock here; rows are dated relative to it.
    private static DateTime SystemNow => TimeProvider.System.GetUtcNow().UtcDateTime;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Housekeeping_RemovesFinishedDeliveriesPastRetention_WithTheirAttempts_AndKeepsPendingOnes(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind, new Dictionary<string, string?> { ["Sync:RunJobs"] = "true" });
        var org = await app.CreateOrganizationAsync();
        var other = await app.CreateOrganizationAsync("Other");
        var now = SystemNow;
        var seeded = await app.WithDbAsync(async (db, _) =>
        {
            var endpoint = AddEndpoint(db, org.Id);
            var otherEndpoint = AddEndpoint(db, other.Id);
            var rows = new Dictionary<string, Guid>
            {
                ["old delivered"] = AddDelivery(db, endpoint, WebhookDeliveryStatus.Delivered, now.AddDays(-40), attempts: 2),
                ["old failed"] = AddDelivery(db, endpoint, WebhookDeliveryStatus.Failed, now.AddDays(-31), attempts: 20),
                ["old discarded"] = AddDelivery(db, endpoint, WebhookDeliveryStatus.Discarded, now.AddDays(-35), attempts: 0),
                ["other organization's old delivered"] = AddDelivery(db, otherEndpoint, WebhookDeliveryStatus.Delivered, now.AddDays(-60), attempts: 1),
                ["recent delivered"] = AddDelivery(db, endpoint, WebhookDeliveryStatus.Delivered, now.AddDays(-29), attempts: 1),
                ["old pending, still retried"] = AddDelivery(db, endpoint, WebhookDeliveryStatus.Pending, completedAt: null, attempts: 15, createdAt: now.AddDays(-90)),
            };
            await db.SaveChangesAsync(Ct);
            return rows;
        });

        var scheduler = await app.Services.GetRequiredService<ISchedulerFactory>().GetScheduler(Ct);
        await scheduler.TriggerJob(HousekeepingJob.Key, Ct);
        var watch = Stopwatch.StartNew();
        while (await CountAsync(app, seeded["old delivered"]) > 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "The housekeeping job did not remove the old delivery within 60 s.");
            await Task.Delay(200, Ct);
        }

        foreach (var gone in new[] { "old delivered", "old failed", "old discarded", "other organization's old delivered" })
        {
            Assert.True(await CountAsync(app, seeded[gone]) == 0, $"{gone}: still there");
            Assert.True(await AttemptCountAsync(app, seeded[gone]) == 0, $"{gone}: its attempts are still there");
        }
        foreach (var kept in new[] { "recent delivered", "old pending, still retried" })
        {
            Assert.True(await CountAsync(app, seeded[kept]) == 1, $"{kept}: removed");
            Assert.True(await AttemptCountAsync(app, seeded[kept]) > 0, $"{kept}: its attempts were removed");
        }
    }

    [Fact]
    public async Task Retention_IsConfigurable_GoesThroughBatches_AndZeroKeepsEverything()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite,
            new Dictionary<string, string?> { ["Sync:RunJobs"] = "false", ["Webhooks:DeliveryRetention"] = "7.00:00:00" });
        var org = await app.CreateOrganizationAsync();
        var now = SystemNow;
        var total = WebhookDeliveryRetention.BatchSize * 2 + 500;
        var recent = await app.WithDbAsync(async (db, _) =>
        {
            var endpoint = AddEndpoint(db, org.Id);
            for (var i = 0; i < total; i++)
            {
                AddDelivery(db, endpoint, WebhookDeliveryStatus.Delivered, now.AddDays(-8).AddSeconds(-i), attempts: 1);
            }
            var kept = AddDelivery(db, endpoint, WebhookDeliveryStatus.Delivered, now.AddDays(-6), attempts: 1);
            await db.SaveChangesAsync(Ct);
            return kept;
        });

        Assert.Equal(total, await app.Services.GetRequiredService<WebhookDeliveryRetention>().PurgeAsync(Ct));
        Assert.Equal(1, await app.WithDbAsync((db, _) => db.WebhookDeliveries.IgnoreQueryFilters().CountAsync(Ct)));
        Assert.Equal(1, await app.WithDbAsync((db, _) => db.WebhookAttempts.IgnoreQueryFilters().CountAsync(Ct)));
        Assert.Equal(1, await CountAsync(app, recent));

        await using var keepForever = await TributaryApplication.StartAsync(DatabaseKind.Sqlite,
            new Dictionary<string, string?> { ["Sync:RunJobs"] = "false", ["Webhooks:DeliveryRetention"] = "00:00:00" });
        var keeper = await keepForever.CreateOrganizationAsync();
        await keepForever.WithDbAsync(async (db, _) =>
        {
            AddDelivery(db, AddEndpoint(db, keeper.Id), WebhookDeliveryStatus.Delivered, now.AddYears(-3), attempts: 1);
            return await db.SaveChangesAsync(Ct);
        });
        Assert.Equal(0, await keepForever.Services.GetRequiredService<WebhookDeliveryRetention>().PurgeAsync(Ct));
        Assert.Equal(1, await keepForever.WithDbAsync((db, _) => db.WebhookDeliveries.IgnoreQueryFilters().CountAsync(Ct)));
    }

    private static WebhookEndpoint AddEndpoint(TributaryDbContext db, Guid organizationId)
    {
        var endpoint = new WebhookEndpoint
        {
            Id = Guid.NewGuid(), OrganizationId = organizationId, Url = "https://hooks.example.com/in", Events = "*", IsActive = true,
            CreatedAt = SystemNow, UpdatedAt = SystemNow,
        };
        db.WebhookEndpoints.Add(endpoint);
        return endpoint;
    }

    private static Guid AddDelivery(
        TributaryDbContext db, WebhookEndpoint endpoint, WebhookDeliveryStatus status, DateTime? completedAt, int attempts, DateTime? createdAt = null)
    {
        var delivery = new WebhookDelivery
        {
            Id = Guid.NewGuid(), OrganizationId = endpoint.OrganizationId, EndpointId = endpoint.Id, Event = "LinkedAccount.linked", Payload = "{}",
            Status = status, Attempts = attempts, CreatedAt = createdAt ?? completedAt!.Value.AddMinutes(-1), CompletedAt = completedAt,
            // A pending delivery's next try is far off, so the delivery job leaves it alone during the test.
            NextAttemptAt = status == WebhookDeliveryStatus.Pending ? SystemNow.AddDays(1) : completedAt!.Value,
        };
        db.WebhookDeliveries.Add(delivery);
        for (var n = 1; n <= Math.Max(attempts, 1) && n <= 3; n++)
        {
            db.WebhookAttempts.Add(new WebhookAttempt
            {
                Id = Guid.NewGuid(), OrganizationId = endpoint.OrganizationId, DeliveryId = delivery.Id, EndpointId = endpoint.Id, Number = n,
                StartedAt = delivery.CreatedAt.AddSeconds(n), DurationMs = 12, ResponseStatus = 500, Succeeded = false,
            });
        }
        return delivery.Id;
    }

    private static Task<int> CountAsync(TributaryApplication app, Guid deliveryId) =>
        app.WithDbAsync((db, _) => db.WebhookDeliveries.IgnoreQueryFilters().CountAsync(d => d.Id == deliveryId, Ct));

    private static Task<int> AttemptCountAsync(TributaryApplication app, Guid deliveryId) =>
        app.WithDbAsync((db, _) => db.WebhookAttempts.IgnoreQueryFilters().CountAsync(a => a.DeliveryId == deliveryId, Ct));
}
