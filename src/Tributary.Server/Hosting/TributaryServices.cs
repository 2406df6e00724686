using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Data.Tenancy;
using Tributary.Integrations.Catalog;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Linking;
using Tributary.Server.OAuthApps;
using Tributary.Server.Organization;
using Tributary.Server.Sync;
using Tributary.Server.Vault;

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

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => MasterKey.Load(settings.MasterKey, settings.DataDirectory));
        services.AddSingleton<CursorCodec>();
        services.AddSingleton(_ => IntegrationCatalog.LoadEmbedded());
        services.AddScoped<TenantContext>();
        services.AddScoped<ITenantScope>(sp => sp.GetRequiredService<TenantContext>());
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<AccountRateLimiter>();
        services.AddSingleton<CredentialVault>();
        services.AddScoped<LinkFlow>();
        services.AddSingleton<OAuthAppStore>();
        services.AddConnectors();
        services.AddScoped<SyncRunner>();
        services.AddScoped<FileStorage.Live.LiveConnectors>();
        services.AddSingleton<FileStorage.Files.DownloadLinks>();
        services.AddSingleton<SyncQueue>();
        return builder;
    }

    /// <summary>Creates the database if needed and applies pending migrations.</summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var settings = services.GetRequiredService<EffectiveSettings>();
        if (settings.Provider == DatabaseProvider.Sqlite)
        {
            Directory.CreateDirectory(settings.DataDirectory);
        }
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        await db.Database.MigrateAsync(cancellationToken);
    }
}
