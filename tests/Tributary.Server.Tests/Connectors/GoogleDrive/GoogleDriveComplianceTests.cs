using Tributary.Integrations.Providers.GoogleDrive;
using Tributary.Server.Tests.Connectors.Compliance;

namespace Tributary.Server.Tests.Connectors.GoogleDrive;

/// <summary>The shared compliance suite against the Google Drive fake, with pages of 10 and 256 KiB upload chunks above 1 MiB.</summary>
public sealed class GoogleDriveComplianceTests : ConnectorComplianceTests
{
    internal static readonly GoogleDriveOptions TestOptions = new()
    {
        PageSize = PageSize,
        SmallPageSize = PageSize,
        ChunkSize = GoogleDriveOptions.ChunkGranularity,
        SimpleUploadLimit = 1024 * 1024,
    };

    private protected override async Task<ConnectorTestBed> StartAsync() =>
        (await GoogleDriveFake.StartAsync(tree => tree.SeedStandard(25), TestOptions)).Bed;
}
