using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;
using Tributary.Data;
using Tributary.Data.Tenancy;
using Tributary.Integrations.Catalog;
using Tributary.Server.AgentHandler;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Linking;
using Tributary.Server.OAuthApps;
using Tributary.Server.Organization;
using Tributary.Server.Sync;
using Tributary.Server.Vault;
using Tributary.Server.Webhooks;
using Tributary.Server.Push;

namespace Tributary.Server.Hosting;

/// <summary>What both the server and the CLI verbs need: configuration, storage, keys, tenancy.</summary>
internal static class TributaryServices
{
    public static IHostApplicationBuilder AddTributaryCore(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        services.AddOptions<TributaryOptions>().BindConfiguration(TributaryOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<TributaryOptions>, TributaryOptionsValidator>();
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidator>();

        var settings = ConfigurationCheck.Resolve(configuration);
        services.AddSingleton(settings);
        services.AddTributaryData(settings.Provider, settings.ConnectionString);
        services.AddSingleton<FileStorage.SqliteRenderedPages>();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => MasterKey.Load(settings.MasterKey, settings.DataDirectory));
        services.AddSingleton<CursorCodec>();
        services.AddSingleton(_ => LoopbackRegistration.AddToCatalog(
            Linking.OAuth.IntegrationAuthConfiguration.Apply(IntegrationCatalog.LoadEmbedded(), configuration), configuration));
        services.AddScoped<TenantContext>();
        services.AddScoped<ITenantScope>(sp => sp.GetRequiredService<TenantContext>());
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<AccountRateLimiter>();
        services.AddSingleton<CredentialCache>();
        services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor, CredentialChangeInterceptor>();
        services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor, FileStorage.RenderedRowsInterceptor>();
        services.AddSingleton<CredentialVault>();
        services.AddScoped<LinkFlow>();
        services.AddSingleton<OAuthAppStore>();
        services.AddConnectors();
        services.AddWebhookOutbox();
        services.AddPush();
        services.AddScoped<SyncRunner>();
        services.AddSingleton<Leases>();
        services.AddSingleton<ProviderBudget>();
        services.AddScoped<SyncIssues>();
        services.AddTributaryScheduler(configuration, settings);
        services.AddScoped<FileStorage.Live.LiveConnectors>();
        services.AddSingleton<FileStorage.Files.DownloadLinks>();
        services.AddAgentHandler();
        return builder;
    }

    /// <summary>
    /// Creates the database if needed and applies pending migrations. Safe to run from several
    /// replicas at once: on PostgreSQL an advisory lock serializes the runs, and a replica that loses
    /// the race to create the database simply migrates the one its peer created.
    /// </summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var settings = services.GetRequiredService<EffectiveSettings>();
        if (settings.Provider == DatabaseProvider.Sqlite)
        {
            Directory.CreateDirectory(settings.DataDirectory);
            await BreakStaleSqliteMigrationLockAsync(services, settings.ConnectionString, cancellationToken);
        }
        using var activity = Telemetry.Source.StartActivity("tributary.migrate");
        activity?.SetTag("db.system.name", settings.Provider == DatabaseProvider.Sqlite ? "sqlite" : "postgresql");
        for (var attempt = 1; ; attempt++)
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
            try
            {
                if (settings.Provider == DatabaseProvider.Postgres)
                {
                    await MigrateSerializedAsync(db, settings.ConnectionString, cancellationToken);
                }
                else
                {
                    await db.Database.MigrateAsync(cancellationToken);
                    await SchedulerSetup.EnsureQuartzSchemaAsync(db.Database.GetDbConnection(), settings.Provider, cancellationToken);
                }
                return;
            }
            catch (PostgresException e) when (attempt < 3 && IsConcurrentDdlRace(e))
            {
                // Another replica created the database (or a catalog object) between EF's "exists?"
                // check and its CREATE; trying again finds it there. Migrations are transactional and
                // recorded in the history table, so a retry never applies one twice.
            }
            catch (Exception e) when (activity is not null && e is not OperationCanceledException)
            {
                activity.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
                throw;
            }
        }
    }

    /// <summary>
    /// Replicas starting together must not apply the same migration twice. EF Core's own lock did not
    /// prevent it under load (a second replica re-ran a migration: "column … already exists"), so the
    /// whole run is serialized with a PostgreSQL advisory lock, held on a connection of its own.
    /// </summary>
    private static async Task MigrateSerializedAsync(TributaryDbContext db, string connectionString, CancellationToken cancellationToken)
    {
        var creator = db.GetService<Microsoft.EntityFrameworkCore.Storage.IRelationalDatabaseCreator>();
        if (!await creator.ExistsAsync(cancellationToken))
        {
            try
            {
                await creator.CreateAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                // Another replica created it first.
            }
        }
        await using var lockConnection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        await lockConnection.OpenAsync(cancellationToken);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(72203348710)", lockConnection))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }
        try
        {
            await db.Database.MigrateAsync(cancellationToken);
            await SchedulerSetup.EnsureQuartzSchemaAsync(db.Database.GetDbConnection(), DatabaseProvider.Postgres, cancellationToken);
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(72203348710)", lockConnection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// EF Core's SQLite migration lock is a row that a killed process never deletes, after which every
    /// start would wait forever. Migrations here take seconds, so a lock older than two minutes is stale.
    /// </summary>
    private static async Task BreakStaleSqliteMigrationLockAsync(IServiceProvider services, string connectionString, CancellationToken cancellationToken)
    {
        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
        if (!File.Exists(builder.DataSource))
        {
            return;
        }
        // A connection of its own: EF must find its connection closed when it migrates.
        builder.Pooling = false;
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(builder.ToString());
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '__EFMigrationsLock'";
        if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            return;
        }
        var cutoff = services.GetRequiredService<TimeProvider>().GetUtcNow().AddMinutes(-2);
        command.CommandText = "DELETE FROM \"__EFMigrationsLock\" WHERE \"Timestamp\" < $cutoff";
        // EF writes the timestamp as 'yyyy-MM-dd HH:mm:ss.ffffff+00:00', which sorts as text.
        command.Parameters.AddWithValue("$cutoff",
            cutoff.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture) + "+00:00");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // 42P04 duplicate_database, or a unique violation in a system catalog (pg_database, pg_type, …),
    // which is how PostgreSQL reports two sessions creating the same object at the same moment.
    private static bool IsConcurrentDdlRace(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.DuplicateDatabase ||
        (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName?.StartsWith("pg_", StringComparison.Ordinal) == true);
}
