using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Tributary.Data;
using Tributary.Server.Hosting;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Hosting;

/// <summary>Replicas that start together all migrate at start (MigrateOnStart); none may fail for it.</summary>
public sealed class ConcurrentMigrationTests
{
    [Fact]
    public async Task MigrateAsync_FromSeveralReplicasAtOnce_OnAPostgresDatabaseThatDoesNotExistYet()
    {
        const int replicas = 4;
        var admin = await PostgresCluster.GetAdminConnectionStringAsync();
        // Several rounds: the CREATE DATABASE race is a matter of timing.
        for (var round = 0; round < 3; round++)
        {
            var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = "t_" + Guid.NewGuid().ToString("N") }.ToString();
            var hosts = Enumerable.Range(0, replicas).Select(_ => BuildHost(connectionString)).ToList();
            try
            {
                await Task.WhenAll(hosts.Select(h => Task.Run(() => TributaryServices.MigrateAsync(h.Services, TestContext.Current.CancellationToken))));

                await using var scope = hosts[0].Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
                Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
                Assert.NotEmpty(await db.Database.GetAppliedMigrationsAsync(TestContext.Current.CancellationToken));
            }
            finally
            {
                foreach (var host in hosts)
                {
                    host.Dispose();
                }
                await PostgresCluster.DropDatabaseAsync(connectionString);
            }
        }
    }

    private static IHost BuildHost(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["Database:ConnectionString"] = connectionString,
            ["Tributary:MasterKey"] = TributaryApplication.MasterKey,
            ["Tributary:DataDirectory"] = Path.GetTempPath(),
        });
        builder.AddTributaryCore();
        return builder.Build();
    }
}
