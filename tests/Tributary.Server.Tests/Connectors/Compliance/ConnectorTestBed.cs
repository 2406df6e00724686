using Microsoft.AspNetCore.Http;
using System.Text.Json;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Http;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.Compliance;

/// <summary>
/// The provider side of a compliance test, in provider-neutral terms: change the provider's data,
/// break its tokens, inject faults. The four API fakes share <see cref="FakeTreeWorld"/>; WebDAV
/// implements it over a real server's directory.
/// </summary>
internal interface IProviderWorld : IAsyncDisposable
{
    /// <summary>Remote ids of every file that exists now.</summary>
    IReadOnlyCollection<string> FileIds { get; }

    /// <summary>Remote ids of every folder that exists now.</summary>
    IReadOnlyCollection<string> FolderIds { get; }

    /// <summary>A folder's remote id by name (names are unique in the standard seed).</summary>
    string FolderId(string name);

    Task<string> AddFileAsync(string name, byte[] content, string? parentId);

    Task RenameAsync(string id, string newName);

    Task MoveAsync(string id, string? newParentId);

    Task DeleteAsync(string id);

    /// <summary>The bytes the provider holds for a file (to check uploads).</summary>
    Task<byte[]> ReadAsync(string id);

    /// <summary>
    /// Adds a generated file of <paramref name="length"/> bytes whose download pauses after
    /// <paramref name="pauseAfter"/> bytes until the returned resume action runs.
    /// </summary>
    Task<(string Id, Action Resume)> AddPausingFileAsync(string name, long length, long pauseAfter);

    /// <summary>The expected byte at a position of a file made by <see cref="AddPausingFileAsync"/>.</summary>
    byte ExpectedByte(string id, long position);

    /// <summary>Access tokens stop working; a refresh gets new ones. False when the provider has no refresh (WebDAV).</summary>
    bool ExpireAccessTokens();

    /// <summary>The end user revoked access: refreshes fail from now on. False when not applicable.</summary>
    bool RevokeAccess();

    /// <summary>Refresh-grant requests the token endpoint received.</summary>
    int RefreshRequests { get; }

    /// <summary>The next <paramref name="times"/> API requests get the provider's rate-limit answer asking to wait <paramref name="wait"/>.</summary>
    void InjectRateLimit(int times, TimeSpan wait);

    void InjectServerErrors(int times);

    /// <summary>Every request so far (the faulted ones flagged), oldest first.</summary>
    IReadOnlyList<FakeRequest> Requests { get; }

    /// <summary>Throws if any exchange broke the provider's spec.</summary>
    void AssertConformant();
}

/// <summary>A connector wired to its provider fake, with a refreshable test credential.</summary>
internal sealed class ConnectorTestBed(IFileStorageConnector connector, IProviderWorld world, ICredentialSource credentials) : IAsyncDisposable
{
    public IFileStorageConnector Connector { get; } = connector;
    public IProviderWorld World { get; } = world;
    public ICredentialSource Credentials { get; } = credentials;
    public Guid AccountId { get; } = Guid.NewGuid();
    public ConnectorContext Context => new(AccountId, Credentials);

    public ValueTask DisposeAsync() => World.DisposeAsync();
}

/// <summary>
/// The platform's credential source in miniature: refreshes through the real OAuth refresh grant
/// against the fake's token endpoint and keeps the result (including a rotated refresh token).
/// </summary>
internal sealed class RefreshingTestCredential(JsonElement initial, string tokenUrl, HttpClient http) : ICredentialSource
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public JsonElement Current { get; private set; } = initial;

    public async Task<JsonElement> RefreshAsync(JsonElement rejected, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Current.GetProperty("access_token").GetString() != rejected.GetProperty("access_token").GetString())
            {
                return Current;
            }
            Current = await OAuthRefresh.RefreshAsync(http, tokenUrl, new OAuthClientCredentials(FakeTokens.ClientId, FakeTokens.ClientSecret),
                Current, TimeProvider.System, cancellationToken);
            return Current;
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary><see cref="IProviderWorld"/> over an in-memory <see cref="FakeFileTree"/> served by a <see cref="ProviderFakeHost"/>.</summary>
internal sealed class FakeTreeWorld(FakeFileTree tree, ProviderFakeHost host, FakeTokens tokens, Func<HttpRequest, bool>? apiRequests = null) : IProviderWorld
{
    public FakeFileTree Tree { get; } = tree;
    public ProviderFakeHost Host { get; } = host;
    public FakeTokens Tokens { get; } = tokens;

    public IReadOnlyCollection<string> FileIds => [.. Tree.Files.Select(f => f.Id)];
    public IReadOnlyCollection<string> FolderIds => [.. Tree.Folders.Select(f => f.Id)];

    public string FolderId(string name) => Tree.Folders.Single(f => f.Name == name).Id;

    public Task<string> AddFileAsync(string name, byte[] content, string? parentId) =>
        Task.FromResult(Tree.AddFile(name, FakeContent.Of(content), parentId, "text/plain").Id);

    public Task RenameAsync(string id, string newName)
    {
        Tree.Rename(id, newName);
        return Task.CompletedTask;
    }

    public Task MoveAsync(string id, string? newParentId)
    {
        Tree.Move(id, newParentId);
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string id)
    {
        Tree.Delete(id);
        return Task.CompletedTask;
    }

    public Task<byte[]> ReadAsync(string id) => Task.FromResult(Tree.Find(id)?.Content?.ToArray() ?? throw new InvalidOperationException($"No file {id}."));

    public Task<(string Id, Action Resume)> AddPausingFileAsync(string name, long length, long pauseAfter)
    {
        var content = FakeContent.Generated(length, seed: 7, pauseAfter);
        var file = Tree.AddFile(name, content, null, "application/octet-stream");
        return Task.FromResult<(string, Action)>((file.Id, () => content.Resume.TrySetResult()));
    }

    public byte ExpectedByte(string id, long position) => FakeContent.GeneratedByte(Tree.Find(id)!.Content!.Seed, position);

    public bool ExpireAccessTokens()
    {
        Tokens.ExpireAccessTokens();
        return true;
    }

    public bool RevokeAccess()
    {
        Tokens.RevokeRefreshTokens();
        return true;
    }

    public int RefreshRequests => Tokens.RefreshRequests;

    public void InjectRateLimit(int times, TimeSpan wait) => Host.Inject(FaultKind.RateLimit, times, wait, apiRequests);

    public void InjectServerErrors(int times) => Host.Inject(FaultKind.ServerError, times, null, apiRequests);

    public IReadOnlyList<FakeRequest> Requests => [.. Host.Requests];

    public void AssertConformant() => Host.AssertConformant();

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
