using Microsoft.Data.Sqlite;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Hosting;

public sealed class MigrationLockTests
{
    /// <summary>A process killed while migrating leaves EF's lock row behind; the next start must not wait forever.</summary>
    [Fact]
    public async Task Migrate_BreaksAStaleSqliteMigrationLock()
    {
        using var data = new TemporaryDirectory();
        var path = Path.Combine(data.Path, "tributary.db");
        var env = TributaryExecutable.Environment(DatabaseKind.Sqlite, $"Data Source={path}", data.Path);
        var first = await TributaryExecutable.RunAsync(env, "migrate");
        Assert.True(first.ExitCode == 0, first.ToString());

        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO \"__EFMigrationsLock\" (\"Id\", \"Timestamp\") VALUES (1, '2020-01-01 00:00:00.000000+00:00')";
            await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var second = await TributaryExecutable.RunAsync(env, "migrate");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.True(second.Elapsed < TimeSpan.FromSeconds(60), $"migrate waited on the stale lock: {second}");
    }
}
