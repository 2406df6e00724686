using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Sync;

/// <summary>
/// Finishing Link queues a sync on the background worker while code (or a later resync) may run one itself.
/// Two runs of the same account at once used to both insert its sync state: a unique-key violation on PostgreSQL.
/// </summary>
public sealed class ConcurrentSyncTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task TwoRunsOfOneAccountAtOnce_BothSucceed_OneAfterTheOther(DatabaseKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id, integration: "sandbox");

        async Task<SyncOutcome> RunAsync()
        {
            await using var scope = app.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<SyncRunner>().RunAsync(account.Id, fullResync: false, ct);
        }
        var outcomes = await Task.WhenAll(RunAsync(), RunAsync(), RunAsync());

        Assert.All(outcomes, o => Assert.Null(o.Error));
        var stored = await app.WithDbAsync(async (db, _) => new
        {
            States = await db.SyncStates.IgnoreQueryFilters().CountAsync(s => s.LinkedAccountId == account.Id, ct),
            Files = await db.Files.IgnoreQueryFilters().CountAsync(f => f.LinkedAccountId == account.Id, ct),
        });
        Assert.Equal(1, stored.States);
        Assert.Equal(24, stored.Files);
    }
}
