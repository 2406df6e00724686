using Tributary.Integrations.Catalog;
using Tributary.Integrations.Providers.Dropbox;
using Tributary.Server.Tests.Connectors.Compliance;

namespace Tributary.Server.Tests.Connectors.Dropbox;

/// <summary>The shared connector compliance suite, run by the Dropbox connector against the spec-checked Dropbox fake.</summary>
public sealed class DropboxComplianceTests : ConnectorComplianceTests
{
    private protected override async Task<ConnectorTestBed> StartAsync()
    {
        var bed = await DropboxTestBed.StartAsync(PageSize);
        bed.Fake.Tree.SeedStandard(25);
        return bed.Bed;
    }
}

/// <summary>A Dropbox fake seeded by the caller, and a connector with small pages and chunks pointed at it.</summary>
internal sealed class DropboxTestBed
{
    private DropboxTestBed(DropboxFake fake, ConnectorTestBed bed, DropboxConnector connector)
    {
        Fake = fake;
        Bed = bed;
        Connector = connector;
    }

    public DropboxFake Fake { get; }
    public ConnectorTestBed Bed { get; }
    public DropboxConnector Connector { get; }

    public const int ChunkSize = 1024 * 1024;

    public static async Task<DropboxTestBed> StartAsync(int pageSize)
    {
        var fake = await DropboxFake.StartAsync();
        var integration = IntegrationCatalog.LoadEmbedded().Find("dropbox")! with { ApiBaseUrls = fake.ApiBaseUrls };
        var http = new HttpClient();
        var connector = new DropboxConnector(integration, http, TimeProvider.System,
            new DropboxOptions { PageSize = pageSize, UploadChunkSize = ChunkSize, SimpleUploadLimit = ChunkSize });
        var world = new FakeTreeWorld(fake.Tree, fake.Host, fake.Tokens, DropboxFake.IsApiRequest);
        var credential = new RefreshingTestCredential(fake.Tokens.Grant(), fake.TokenUrl, http);
        return new DropboxTestBed(fake, new ConnectorTestBed(connector, world, credential), connector);
    }
}
