using System.Runtime.CompilerServices;
using System.Text.Json;
using Tributary.Integrations.Catalog;
using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Providers.MicrosoftGraph;

/// <summary>
/// SharePoint: every document library of every site the user can find (<c>/sites?search=*</c>) is a
/// drive. Uploads without a folder go to the root site's default library.
/// </summary>
public sealed class SharePointConnector(IntegrationDefinition integration, HttpClient http, TimeProvider time, GraphConnectorOptions options)
    : GraphConnector(integration, http, time, options)
{
    protected override string DefaultDrivePath => "/sites/root/drive";

    protected override async IAsyncEnumerable<(JsonElement Drive, string Path)> DiscoverDrivesAsync(
        ConnectorContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var site in ListAsync(context, $"{Api}/sites?search=*&$select=id,displayName,webUrl", cancellationToken))
        {
            if (GraphMapper.String(site, "id") is not { } siteId)
            {
                continue;
            }
            var path = $"/sites/{siteId}/drives";
            await foreach (var drive in ListAsync(context, $"{Api}/sites/{Escape(siteId)}/drives", cancellationToken))
            {
                yield return (drive, path);
            }
        }
    }
}
