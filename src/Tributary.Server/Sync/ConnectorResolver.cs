using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Providers.Sandbox;
using Tributary.Server.Hosting;

namespace Tributary.Server.Sync;

/// <summary>The explicit list of File Storage connectors, by integration slug.</summary>
internal static class ConnectorRegistration
{
    public static IServiceCollection AddConnectors(this IServiceCollection services)
    {
        services.AddKeyedSingleton<IFileStorageConnector>("sandbox", (sp, _) => new SandboxConnector(
            Path.Combine(sp.GetRequiredService<EffectiveSettings>().DataDirectory, "sandbox"), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ConnectorResolver>();
        return services;
    }
}

internal sealed class ConnectorResolver(IServiceProvider services)
{
    public IFileStorageConnector? Find(string integration) => services.GetKeyedService<IFileStorageConnector>(integration);
}
