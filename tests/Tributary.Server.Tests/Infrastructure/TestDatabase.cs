using Microsoft.EntityFrameworkCore;
using Npgsql;
using Tributary.Data;

namespace Tributary.Server.Tests.Infrastructure;

public enum DatabaseKind
{
    Sqlite,
    Postgres,
}

/// <summary>A fresh, migrated database of either kind, owned by one test and deleted after it.</summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private static readonly Lazy<Task> Template = new(CreateTemplateAsync);
    private readonly string? _directory;

    private TestDatabase(DatabaseKind kind, string connectionString, string? directory)
    {
        Kind = kind;
        ConnectionString = connectionString;
        _directory = directory;
    }

    public DatabaseKind Kind { get; }
    public string ConnectionString { get; }
    public DatabaseProvider Provider => Kind == DatabaseKind.Sqlite ? DatabaseProvider.Sqlite : DatabaseProvider.Postgres;

    public static async Task<TestDatabase> CreateAsync(DatabaseKind kind)
    {
        if (kind == DatabaseKind.Sqlite)
        {
            var directory = Directory.CreateTempSubdirectory("tributary-test-").FullName;
            return new TestDatabase(kind, $"Data Source={Path.Combine(directory, "tributary.db")}", directory);
        }
        await Template.Value;
        return new TestDatabase(kind, await PostgresCluster.CreateDatabaseAsync(PostgresCluster.TemplateDatabase), null);
    }

    /// <summary>An empty PostgreSQL database, for tests that exercise migrations themselves.</summary>
    public static async Task<TestDatabase> CreateEmptyPostgresAsync() =>
        new(DatabaseKind.Postgres, await PostgresCluster.CreateDatabaseAsync(), null);

    public async ValueTask DisposeAsync()
    {
        if (Kind == DatabaseKind.Postgres)
        {
            await PostgresCluster.DropDatabaseAsync(ConnectionString);
        }
        else if (_directory is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // A late connection may still hold the file; the temp directory is reclaimed later.
            }
        }
    }

    // Migrating once and cloning per test keeps PostgreSQL tests about as fast as SQLite ones.
    private static async Task CreateTemplateAsync()
    {
        var admin = await PostgresCluster.GetAdminConnectionStringAsync();
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"DROP DATABASE IF EXISTS {PostgresCluster.TemplateDatabase}; ";
            await command.ExecuteNonQueryAsync();
            command.CommandText = $"CREATE DATABASE {PostgresCluster.TemplateDatabase}";
            await command.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = PostgresCluster.TemplateDatabase, Pooling = false }.ToString();
        var options = new DbContextOptionsBuilder<PostgresTributaryDbContext>().UseNpgsql(connectionString).Options;
        await using var db = new PostgresTributaryDbContext(options);
        await db.Database.MigrateAsync();
    }
}
