using Tributary.Integrations.Catalog;
using Tributary.Integrations.Providers.Box;
using Tributary.Server.Tests.Connectors.Compliance;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.Box;

/// <summary>The shared compliance suite against the Box fake (events, rotating refresh tokens, 302 downloads, upload sessions).</summary>
public sealed class BoxComplianceTests : ConnectorComplianceTests
{
    private protected override async Task<ConnectorTestBed> StartAsync()
    {
        var (bed, _) = await BoxTestBed.StartAsync(PageSize);
        return bed;
    }
}

/// <summary>Starts the Box fake and a connector pointed at it the way the platform builds one.</summary>
internal static class BoxTestBed
{
    public static async Task<(ConnectorTestBed Bed, BoxFake Fake)> StartAsync(int pageSize, Action<BoxFake>? configure = null, int maxPushWebhooks = 100)
    {
        var tree = new FakeFileTree(BoxFake.NumericIds()).SeedStandard(25);
        var fake = await BoxFake.StartAsync(tree);
        configure?.Invoke(fake);
        var integration = IntegrationCatalog.LoadEmbedded().Find("box")! with
        {
            ApiBaseUrls = new Dictionary<string, string> { ["api"] = fake.ApiBase, ["upload"] = fake.UploadBase },
        };
        // The platform's client: redirects followed (SocketsHttpHandler's default).
        var client = new HttpClient(new SocketsHttpHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        var connector = new BoxConnector(integration, client, TimeProvider.System,
            new BoxOptions { PageSize = pageSize, SimpleUploadLimit = 1024 * 1024, MaxPushWebhooks = maxPushWebhooks });
        var credentials = new RefreshingTestCredential(fake.Tokens.Grant(), fake.TokenUrl, new HttpClient());
        var world = new FakeTreeWorld(tree, fake.Host, fake.Tokens, r => r.Path.StartsWithSegments("/2.0", StringComparison.Ordinal) || r.Path.StartsWithSegments("/api/2.0", StringComparison.Ordinal));
        return (new ConnectorTestBed(connector, new BoxWorld(world, fake), credentials), fake);
    }
}

/// <summary>The shared world plus the Box fake's download host, disposed together.</summary>
internal sealed class BoxWorld(FakeTreeWorld inner, BoxFake fake) : IProviderWorld
{
    public IReadOnlyCollection<string> FileIds => inner.FileIds;
    public IReadOnlyCollection<string> FolderIds => inner.FolderIds;
    public int RefreshRequests => inner.RefreshRequests;
    public IReadOnlyList<FakeRequest> Requests => inner.Requests;
    public string FolderId(string name) => inner.FolderId(name);
    public Task<string> AddFileAsync(string name, byte[] content, string? parentId) => inner.AddFileAsync(name, content, parentId);
    public Task RenameAsync(string id, string newName) => inner.RenameAsync(id, newName);
    public Task MoveAsync(string id, string? newParentId) => inner.MoveAsync(id, newParentId);
    public Task DeleteAsync(string id) => inner.DeleteAsync(id);
    public Task<byte[]> ReadAsync(string id) => inner.ReadAsync(id);
    public Task<(string Id, Action Resume)> AddPausingFileAsync(string name, long length, long pauseAfter) => inner.AddPausingFileAsync(name, length, pauseAfter);
    public byte ExpectedByte(string id, long position) => inner.ExpectedByte(id, position);
    public bool ExpireAccessTokens() => inner.ExpireAccessTokens();
    public bool RevokeAccess() => inner.RevokeAccess();
    public void InjectRateLimit(int times, TimeSpan wait) => inner.InjectRateLimit(times, wait);
    public void InjectServerErrors(int times) => inner.InjectServerErrors(times);

    public void AssertConformant()
    {
        inner.AssertConformant();
        Assert.All(fake.Downloads, d => Assert.Null(d.Authorization));
    }

    public ValueTask DisposeAsync() => fake.DisposeAsync();
}
