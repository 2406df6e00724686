using System.Data.Common;
using Quartz;
using Tributary.Data;
using Tributary.Server.Hosting;

namespace Tributary.Server.Sync;

/// <summary>
/// The Quartz.NET scheduler, in one place: a persistent ADO.NET job store in Tributary's own database
/// (SQLite on one node; PostgreSQL clustered, so N replicas share the jobs and take over a dead
/// replica's work), the sync and housekeeping jobs, and the hosted service that runs them. Other
/// features add their own jobs with <c>services.AddQuartz(q => …)</c>: the calls compose onto the
/// same default scheduler and store (see docs/decisions/0010-scheduler-quartz.md).
/// </summary>
internal static class SchedulerSetup
{
    public const string TablePrefix = "QRTZ_";

    public static IServiceCollection AddTributaryScheduler(this IServiceCollection services, IConfiguration configuration, EffectiveSettings settings)
    {
        services.AddOptions<SyncOptions>().BindConfiguration(SyncOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var options = configuration.GetSection(SyncOptions.SectionName).Get<SyncOptions>() ?? new SyncOptions();
        var push = configuration.GetSection(Push.PushOptions.SectionName).Get<Push.PushOptions>() ?? new Push.PushOptions();

        services.AddQuartz(q =>
        {
            // Schedules are wall-clock; the injected TimeProvider may be a test's manual clock.
            q.UseTimeProvider(TimeProvider.System);
            // Syncs, plus one thread each for housekeeping and the push subscription sweep (webhook delivery shares them).
            q.UseDefaultThreadPool(pool => pool.MaxConcurrency = options.MaxConcurrentSyncs + 2);
            q.UsePersistentStore(store =>
            {
                // A missing connection string is reported by the database settings' own validation, which
                // names the setting to fix; Quartz's second, vaguer complaint about it would only confuse.
                var connectionString = string.IsNullOrWhiteSpace(settings.ConnectionString) ? "Host=unset" : settings.ConnectionString;
                if (settings.Provider == DatabaseProvider.Postgres)
                {
                    store.UsePostgres(connectionString);
                    store.UseClustering(c =>
                    {
                        c.CheckinInterval = TimeSpan.FromSeconds(options.ClusterCheckinSeconds);
                        c.CheckinMisfireThreshold = TimeSpan.FromSeconds(options.ClusterCheckinSeconds);
                    });
                }
                else
                {
                    store.UseSqlite(connectionString);
                }
                // Readable job data that survives Tributary upgrades; every value is a string.
                store.ConfigureStore(o =>
                {
                    o.TablePrefix = TablePrefix;
                    o.StoreJobDataAsStrings = true;
                });
            });
            q.AddJob<HousekeepingJob>(j => j.WithIdentity(HousekeepingJob.Key).StoreDurably().DisallowConcurrentExecution());
            q.AddTrigger(t => t.ForJob(HousekeepingJob.Key).WithIdentity(HousekeepingJob.Key.Name, HousekeepingJob.Key.Group)
                .StartNow().WithSimpleSchedule(s => s.WithInterval(HousekeepingJob.Interval).RepeatForever()));
            // Provider push subscriptions: subscribe, renew before expiry (does nothing without Push:PublicBaseUrl).
            q.AddJob<Push.PushSubscriptionJob>(j => j.WithIdentity(Push.PushSubscriptionJob.SweepKey).StoreDurably().DisallowConcurrentExecution());
            q.AddTrigger(t => t.ForJob(Push.PushSubscriptionJob.SweepKey)
                .WithIdentity(Push.PushSubscriptionJob.SweepKey.Name, Push.PushSubscriptionJob.SweepKey.Group)
                .StartNow().WithSimpleSchedule(s => s.WithInterval(push.SubscriptionCheckInterval).RepeatForever()));
        });
        services.AddSingleton<SyncScheduler>();
        services.AddSingleton<SyncFrequencies>();
        return services;
    }

    /// <summary>
    /// Runs the jobs in this process: the server only (with <c>Sync:RunJobs</c>). CLI verbs schedule
    /// jobs (e.g. the initial sync after <c>sandbox link</c>) but leave running them to the servers.
    /// </summary>
    public static IServiceCollection AddTributarySchedulerHost(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(SyncOptions.SectionName).Get<SyncOptions>() ?? new SyncOptions();
        if (options.RunJobs)
        {
            services.AddHostedService<SchedulerHost>();
        }
        return services;
    }

    /// <summary>
    /// Creates Quartz's tables if they are missing, with Quartz's own idempotent schema script for the
    /// database (shipped inside Quartz.dll). Run by <see cref="TributaryServices.MigrateAsync"/> after
    /// the EF migrations, so the <c>migrate</c> verb prepares everything and the server needs no DDL
    /// rights at start when <c>MigrateOnStart</c> is off.
    /// </summary>
    public static async Task EnsureQuartzSchemaAsync(DbConnection connection, DatabaseProvider provider, CancellationToken ct)
    {
        var resource = provider == DatabaseProvider.Postgres
            ? "Quartz.Impl.AdoJobStore.Schema.create_postgres.sql"
            : "Quartz.Impl.AdoJobStore.Schema.create_sqlite.sql";
        await using var stream = typeof(IJob).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Quartz.dll no longer ships {resource}; see docs/decisions/0010-scheduler-quartz.md.");
        using var reader = new StreamReader(stream);
        var script = (await reader.ReadToEndAsync(ct)).Replace("{0}", TablePrefix, StringComparison.Ordinal).Replace("{1}", TablePrefix, StringComparison.Ordinal);
        if (connection.State != System.Data.ConnectionState.Open)
        {
            await connection.OpenAsync(ct);
        }
        foreach (var statement in script.Split("\n--;;", StringSplitOptions.TrimEntries))
        {
            var sql = string.Join('\n', statement.Split('\n').Where(line => !line.TrimStart().StartsWith("--", StringComparison.Ordinal))).Trim();
            if (sql.Length == 0)
            {
                continue;
            }
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(ct);
        }
    }
}
