using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Tributary.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="TributaryDbContext"/> on the configured provider. Callers resolve the base
    /// type; only migrations care which subclass is behind it. <see cref="IInterceptor"/>s registered
    /// as services join every context. The options are built once (singleton), not per request.
    /// </summary>
    public static IServiceCollection AddTributaryData(this IServiceCollection services, DatabaseProvider provider, string connectionString)
    {
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                services.AddDbContext<SqliteTributaryDbContext>((sp, o) => o
                    .UseSqlite(connectionString)
                    .AddInterceptors(SqlitePragmas.Instance)
                    .AddInterceptors(sp.GetServices<IInterceptor>()), optionsLifetime: ServiceLifetime.Singleton);
                services.AddScoped<TributaryDbContext>(sp => sp.GetRequiredService<SqliteTributaryDbContext>());
                break;
            case DatabaseProvider.Postgres:
                services.AddDbContext<PostgresTributaryDbContext>((sp, o) => o
                    .UseNpgsql(connectionString)
                    .AddInterceptors(sp.GetServices<IInterceptor>()), optionsLifetime: ServiceLifetime.Singleton);
                services.AddScoped<TributaryDbContext>(sp => sp.GetRequiredService<PostgresTributaryDbContext>());
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, "Database:Provider must be 'Sqlite' or 'Postgres'.");
        }
        return services;
    }

    /// <summary>
    /// WAL lets readers proceed while a sync writes; NORMAL is durable across process crashes in WAL
    /// mode; the busy timeout makes concurrent writers queue instead of failing. These pragmas belong
    /// to the physical connection, which the pool hands out again and again: they run once per native
    /// handle, not on every open (EF opens a connection per query, so that was several statements per query).
    /// </summary>
    private sealed class SqlitePragmas : DbConnectionInterceptor
    {
        public static readonly SqlitePragmas Instance = new();
        private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;";
        private static readonly ConditionalWeakTable<object, object> Prepared = [];

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        {
            if (IsPrepared(connection))
            {
                return;
            }
            using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            command.ExecuteNonQuery();
            MarkPrepared(connection);
        }

        public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            if (IsPrepared(connection))
            {
                return;
            }
            await using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
            MarkPrepared(connection);
        }

        private static bool IsPrepared(DbConnection connection) =>
            connection is SqliteConnection { Handle: { } handle } && Prepared.TryGetValue(handle, out _);

        private static void MarkPrepared(DbConnection connection)
        {
            if (connection is SqliteConnection { Handle: { } handle })
            {
                Prepared.AddOrUpdate(handle, Instance);
            }
        }
    }
}
