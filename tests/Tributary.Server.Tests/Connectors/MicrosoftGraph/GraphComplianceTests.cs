using Tributary.Integrations.Providers.MicrosoftGraph;
using Tributary.Server.Tests.Connectors.Compliance;

namespace Tributary.Server.Tests.Connectors.MicrosoftGraph;

/// <summary>How the Graph test beds are wired: the connector as production builds it, against <see cref="GraphFake"/>.</summary>
internal static class GraphTestBed
{
    /// <summary>Small pages come from the fake; small uploads and chunks make the chunked path run on a 3 MiB file.</summary>
    public static readonly GraphConnectorOptions Options = new()
    {
        SimpleUploadLimit = 1024 * 1024,
        UploadChunkSize = GraphConnectorOptions.UploadFragmentUnit,
        RetryBaseBackoff = TimeSpan.FromMilliseconds(50),
    };

    public static async Task<(ConnectorTestBed Bed, GraphFake Fake)> StartAsync(GraphFlavor flavor, int pageSize, GraphConnectorOptions? options = null)
    {
        var fake = await GraphFake.StartAsync(flavor, pageSize, GraphSpecValidator.Create());
        // Like the production client (ConnectorRegistration): redirects followed by the handler.
        var http = new HttpClient();
        GraphConnector connector = flavor == GraphFlavor.OneDrive
            ? new OneDriveConnector(fake.Integration(), http, TimeProvider.System, options ?? Options)
            : new SharePointConnector(fake.Integration(), http, TimeProvider.System, options ?? Options);
        return (new ConnectorTestBed(connector, fake.World(), new RefreshingTestCredential(fake.Tokens.Grant(), fake.TokenUrl, http)), fake);
    }
}

public sealed class OneDriveComplianceTests : ConnectorComplianceTests
{
    private protected override async Task<ConnectorTestBed> StartAsync() => (await GraphTestBed.StartAsync(GraphFlavor.OneDrive, PageSize)).Bed;
}

public sealed class SharePointComplianceTests : ConnectorComplianceTests
{
    private protected override async Task<ConnectorTestBed> StartAsync() => (await GraphTestBed.StartAsync(GraphFlavor.SharePoint, PageSize)).Bed;
}
