using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Data.Tenancy;

namespace Tributary.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="TributaryDbContext"/> (scoped) on the configured provider. Callers resolve
    /// the base type; only migrations care which subclass is behind it. <see cref="IInterceptor"/>s
    /// registered as services join every context. Contexts come from a pool (ADR 0023): a fresh
    /// context's first query paid more than a whole page read. The pool is private to this
    /// registration, so every context handed out is bound to its scope's <see cref="ITenantScope"/>.
    /// </summary>
    public static IServiceCollection AddTributaryData(this IServiceCollection services, DatabaseProvider provider, string connectionString)
    {
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                services.AddSingleton(sp => new ContextPool<SqliteTributaryDbContext>(Options<SqliteTributaryDbContext>(sp, o => o
                    .UseSqlite(connectionString)
                    .AddInterceptors(SqlitePragmas.Instance))));
                services.AddScoped<TributaryDbContext>(sp => sp.GetRequiredService<ContextPool<SqliteTributaryDbContext>>().Lease(sp));
                break;
            case DatabaseProvider.Postgres:
                services.AddSingleton(sp => new ContextPool<PostgresTributaryDbContext>(Options<PostgresTributaryDbContext>(sp, o => o
                    .UseNpgsql(connectionString))));
                services.AddScoped<TributaryDbContext>(sp => sp.GetRequiredService<ContextPool<PostgresTributaryDbContext>>().Lease(sp));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, "Database:Provider must be 'Sqlite' or 'Postgres'.");
        }
        return services;
    }

    private static DbContextOptions<TContext> Options<TContext>(IServiceProvider services, Action<DbContextOptionsBuilder<TContext>> provider)
        where TContext : DbContext
    {
        var builder = new DbContextOptionsBuilder<TContext>().UseApplicationServiceProvider(services);
        provider(builder);
        return builder.AddInterceptors(services.GetServices<IInterceptor>()).Options;
    }

    /// <summary>
    /// The pool behind the scoped <see cref="TributaryDbContext"/>. Not registered as an
    /// <c>IDbContextFactory</c>: a context taken without a scope would have no tenant to bind.
    /// </summary>
    private sealed class ContextPool<TContext>(DbContextOptions<TContext> options)
        where TContext : TributaryDbContext
    {
        private readonly PooledDbContextFactory<TContext> factory = new(options);

        /// <summary>A context bound to <paramref name="scope"/>'s tenant; disposing the scope returns it to the pool.</summary>
        public TributaryDbContext Lease(IServiceProvider scope)
        {
            var context = factory.CreateDbContext();
            context.UseTenant(scope.GetRequiredService<ITenantScope>());
            return context;
        }
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
