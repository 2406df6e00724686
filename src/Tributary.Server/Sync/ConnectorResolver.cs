using System.Net;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tributary.Integrations.Catalog;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Providers.Box;
using Tributary.Integrations.Providers.Dropbox;
using Tributary.Integrations.Providers.GoogleDrive;
using Tributary.Integrations.Providers.MicrosoftGraph;
using Tributary.Integrations.Providers.Sandbox;
using Tributary.Integrations.Providers.WebDav;
using Tributary.Server.Hosting;

namespace Tributary.Server.Sync;

/// <summary>The explicit list of File Storage connectors, by integration slug.</summary>
internal static class ConnectorRegistration
{
    public static IServiceCollection AddConnectors(this IServiceCollection services)
    {
        services.AddKeyedSingleton<IFileStorageConnector>("sandbox", (sp, _) => new SandboxConnector(
            Path.Combine(sp.GetRequiredService<EffectiveSettings>().DataDirectory, "sandbox"), sp.GetRequiredService<TimeProvider>()));
        services.AddHttpConnector("webdav", (_, client, time, settings) =>
            new WebDavConnector(client, time, new WebDavOptions { PageSize = settings.GetValue("PageSize", 500) }));
        services.AddHttpConnector(GoogleDriveConnector.Slug, (integration, client, time, settings) =>
            new GoogleDriveConnector(integration, client, time, settings.Get<GoogleDriveOptions>() ?? new GoogleDriveOptions()));
        services.AddHttpConnector("onedrive", (integration, http, time, settings) => new OneDriveConnector(integration, http, time, GraphOptions(settings)));
        services.AddHttpConnector("sharepoint", (integration, http, time, settings) => new SharePointConnector(integration, http, time, GraphOptions(settings)));
        services.AddLoopbackConnector();
        services.AddHttpConnector("dropbox", (integration, http, time, settings) =>
            new DropboxConnector(integration, http, time, DropboxOptions.FromSettings(name => settings[name])));
        services.AddHttpConnector("box", (integration, client, time, settings) =>
            new BoxConnector(integration, client, time, settings.Get<BoxOptions>() ?? new BoxOptions()));
        services.AddSingleton<ConnectorResolver>();
        services.AddSingleton<CredentialRefresher>();
        // Code exchange (Link) and refresh (CredentialRefresher, also in CLI verbs that sync) share this client.
        services.AddHttpClient(Linking.OAuth.OAuthFlow.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(20))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.TryAddSingleton<Events.IAccountEvents, Events.NoAccountEvents>();
        return services;
    }

    private static GraphConnectorOptions GraphOptions(IConfigurationSection settings) =>
        settings.Get<GraphConnectorOptions>() ?? new GraphConnectorOptions();

    /// <summary>
    /// Registers an HTTP connector under its catalog slug with its own long-lived client: pooled
    /// connections are recycled every few minutes (DNS changes), there is no overall timeout because
    /// downloads stream for as long as they take, and redirects are followed (.NET drops the
    /// <c>Authorization</c> header when a redirect leaves the host).
    /// </summary>
    internal static IServiceCollection AddHttpConnector(
        this IServiceCollection services, string slug, Func<IntegrationDefinition, HttpClient, TimeProvider, IFileStorageConnector> create) =>
        services.AddHttpConnector(slug, (integration, client, time, _) => create(integration, client, time));

    /// <summary>As above, with the integration's settings section (<c>Integrations:{slug}</c>) for connector options.</summary>
    internal static IServiceCollection AddHttpConnector(
        this IServiceCollection services, string slug, Func<IntegrationDefinition, HttpClient, TimeProvider, IConfigurationSection, IFileStorageConnector> create) =>
        services.AddKeyedSingleton<IFileStorageConnector>(slug, (sp, _) =>
        {
            var integration = sp.GetRequiredService<IntegrationCatalog>().Find(slug)
                ?? throw new InvalidOperationException($"The catalog has no integration \"{slug}\".");
            var client = new HttpClient(new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(15),
                AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            })
            {
                Timeout = Timeout.InfiniteTimeSpan,
            };
            client.DefaultRequestHeaders.UserAgent.ParseAdd("Tributary/1.0");
            return create(integration, client, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IConfiguration>().GetSection($"Integrations:{slug}"));
        });
}

internal sealed class ConnectorResolver(IServiceProvider services)
{
    public IFileStorageConnector? Find(string integration) => services.GetKeyedService<IFileStorageConnector>(integration);
}
