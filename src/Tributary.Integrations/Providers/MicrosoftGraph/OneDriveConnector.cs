using System.Runtime.CompilerServices;
using System.Text.Json;
using Tributary.Integrations.Catalog;
using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Providers.MicrosoftGraph;

/// <summary>OneDrive (personal and for Business): the signed-in user's drive plus any other drive <c>/me/drives</c> lists.</summary>
public sealed class OneDriveConnector(IntegrationDefinition integration, HttpClient http, TimeProvider time, GraphConnectorOptions options)
    : GraphConnector(integration, http, time, options)
{
    protected override string DefaultDrivePath => "/me/drive";

    protected override async IAsyncEnumerable<(JsonElement Drive, string Path)> DiscoverDrivesAsync(
        ConnectorContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (var drive = await GetJsonAsync(context, $"{Api}/me/drive", cancellationToken))
        {
            yield return (drive.RootElement.Clone(), "/me/drive");
        }
        await foreach (var other in ListAsync(context, $"{Api}/me/drives", cancellationToken))
        {
            yield return (other, "/me/drives");
        }
    }
}
