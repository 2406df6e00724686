using Tributary.Integrations.Catalog;
using Tributary.Integrations.Http;
using Tributary.Integrations.Providers.Loopback;

namespace Tributary.Server.Sync;

/// <summary>
/// The "loopback" integration (Tributary's reference change-feed protocol, see <see cref="LoopbackConnector"/>),
/// present only when <c>Sync:LoopbackProviderUrl</c> names a provider fake: the crash, replica,
/// refresh and rate-limit tests and the ingest benchmark drive the real executable through it.
/// </summary>
internal static class LoopbackRegistration
{
    private static string? Url(IConfiguration configuration) =>
        configuration[$"{SyncOptions.SectionName}:{nameof(SyncOptions.LoopbackProviderUrl)}"]?.TrimEnd('/');

    public static IntegrationCatalog AddToCatalog(IntegrationCatalog catalog, IConfiguration configuration)
    {
        if (Url(configuration) is not { Length: > 0 } url)
        {
            return catalog;
        }
        var loopback = new IntegrationDefinition(LoopbackConnector.Slug, "Loopback (test provider)", "Loopback", ["filestorage"], "#64748B")
        {
            Auth = new IntegrationAuth { Mode = AuthMode.OAuth2, AuthorizationUrl = url + "/oauth/authorize", TokenUrl = url + "/oauth/token" },
            ApiBaseUrls = new Dictionary<string, string> { ["api"] = url },
        };
        return new IntegrationCatalog(catalog.All.Where(i => i.Slug != LoopbackConnector.Slug).Append(loopback));
    }

    public static IServiceCollection AddLoopbackConnector(this IServiceCollection services) =>
        services.AddHttpConnector(LoopbackConnector.Slug, (integration, client, time) =>
            new LoopbackConnector(new ProviderHttp(client, time, new ProviderHttpOptions { Provider = "Loopback", BaseBackoff = TimeSpan.FromMilliseconds(200) }),
                integration.ApiBaseUrl("api")));
}
