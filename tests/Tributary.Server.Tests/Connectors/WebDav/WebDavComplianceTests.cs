using System.Text.Json;
using Tributary.Integrations.Providers.WebDav;
using Tributary.Server.Tests.Connectors.Compliance;

namespace Tributary.Server.Tests.Connectors.WebDav;

/// <summary>The compliance suite against a real rclone WebDAV server (behind a fault-injecting proxy).</summary>
public sealed class WebDavComplianceTests : ConnectorComplianceTests
{
    protected override bool IdsSurviveRenames => false;
    protected override bool ReportsPermissions => false;
    protected override bool ChunkedUploads => false;

    private protected override async Task<ConnectorTestBed> StartAsync()
    {
        var world = (await WebDavWorld.StartAsync()).SeedStandard(25);
        var connector = new WebDavConnector(new HttpClient(), TimeProvider.System, new WebDavOptions { PageSize = PageSize });
        var credential = JsonSerializer.SerializeToElement(new { url = world.Url, username = world.Username, password = world.Password });
        return new ConnectorTestBed(connector, world, new Integrations.Http.FixedCredential(credential));
    }
}
