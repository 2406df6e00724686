using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Data;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.FileStorage;

/// <summary>
/// A Tributary with one linked Sandbox account, synced inline once (scheduled jobs are off, so
/// nothing races the test), and an API client carrying its account token.
/// </summary>
internal sealed class LiveFileStorage : IAsyncDisposable
{
    public const string ProviderSecret = "provider-access-token-SECRET";
    public const string FilesPath = "/api/filestorage/v1/files";
    public const string FoldersPath = "/api/filestorage/v1/folders";

    private LiveFileStorage(TributaryApplication app, TestOrganization organization, HttpClient api, Guid accountId, string accountToken)
    {
        App = app;
        Organization = organization;
        Api = api;
        AccountId = accountId;
        AccountToken = accountToken;
    }

    public TributaryApplication App { get; }
    public TestOrganization Organization { get; }
    public HttpClient Api { get; }
    public Guid AccountId { get; }
    public string AccountToken { get; }

    public static async Task<LiveFileStorage> StartAsync(
        DatabaseKind kind, ManualTimeProvider? time = null, IDictionary<string, string?>? settings = null, bool kestrel = false,
        Action<IServiceCollection>? services = null)
    {
        // No scheduled jobs in this process: the test syncs inline, and nothing races it.
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Sync:RunJobs"] = "false" };
        var app = await TributaryApplication.StartAsync(kind, all, time, kestrel, services);
        var organization = await app.CreateOrganizationAsync();
        using var admin = app.CreateApiClient(organization.ProductionKey);
        var (accountId, token) = await app.LinkAccountAsync(admin);
        var live = new LiveFileStorage(app, organization, CreateClient(app, organization.ProductionKey, token), accountId, token);
        await live.SyncAsync();
        return live;
    }

    /// <summary>Links a second Sandbox account in the same organization and syncs it.</summary>
    public async Task<(Guid Id, HttpClient Api)> LinkAnotherAsync(string originId = "end-user-2")
    {
        using var admin = App.CreateApiClient(Organization.ProductionKey);
        var (accountId, token) = await App.LinkAccountAsync(admin, originId);
        await SyncAsync(accountId);
        return (accountId, CreateClient(App, Organization.ProductionKey, token));
    }

    /// <summary>
    /// An API client that streams request bodies: the factory's default client follows redirects,
    /// and to replay a body on a redirect it copies the whole body into memory first.
    /// </summary>
    private static HttpClient CreateClient(TributaryApplication app, string apiKey, string accountToken)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = app.ClientOptions.BaseAddress });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        client.DefaultRequestHeaders.Add("X-Account-Token", accountToken);
        return client;
    }

    public async Task SyncAsync(Guid? accountId = null)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<SyncRunner>().RunAsync(accountId ?? AccountId, false, CancellationToken.None);
        Assert.Null(outcome.Error);
    }

    /// <summary>The Merge id of a Sandbox object of this account.</summary>
    public Guid FileId(string remoteId) => StoreIds.For(AccountId, StoreMapper.FileModel, remoteId);
    public Guid FolderId(string remoteId) => StoreIds.For(AccountId, StoreMapper.FolderModel, remoteId);
    public Guid DriveId(string remoteId) => StoreIds.For(AccountId, StoreMapper.DriveModel, remoteId);

    /// <summary>The bytes the Sandbox connector itself serves for <paramref name="remoteId"/>.</summary>
    public async Task<byte[]> SourceBytesAsync(string remoteId, string? exportMimeType = null)
    {
        var connector = App.Services.GetRequiredKeyedService<IFileStorageConnector>("sandbox");
        var content = await connector.DownloadAsync(new ConnectorContext(AccountId, JsonDocument.Parse("{}").RootElement), remoteId, exportMimeType, null, CancellationToken.None);
        await using (content)
        {
            using var copy = new MemoryStream();
            await content.Body.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    /// <summary>The store's checksum of a file (sha256 hex), as GET /files/{id} reports it.</summary>
    public async Task<string> StoredSha256Async(Guid fileId)
    {
        var file = await Api.GetFromJsonAsync<JsonElement>($"{FilesPath}/{fileId}");
        Assert.Equal("sha256", file.GetProperty("checksum").GetProperty("type").GetString());
        return file.GetProperty("checksum").GetProperty("content_hash").GetString()!;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await App.DisposeAsync();
    }
}

/// <summary>Generates <c>length</c> deterministic bytes on demand, so a test can send or expect gigabytes without holding them.</summary>
internal sealed class GeneratedStream(long length, Func<long, Task>? onPosition = null) : Stream
{
    private long _position;

    public static byte ByteAt(long position) => (byte)((position * 31 + (position >> 11)) & 0xFF);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (onPosition is not null)
        {
            await onPosition(_position);
        }
        var count = (int)Math.Min(buffer.Length, length - _position);
        var span = buffer.Span;
        for (var i = 0; i < count; i++)
        {
            span[i] = ByteAt(_position + i);
        }
        _position += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>The sha256 of the first <paramref name="length"/> generated bytes.</summary>
    public static string Sha256Of(long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        for (long position = 0; position < length; position += buffer.Length)
        {
            var count = (int)Math.Min(buffer.Length, length - position);
            for (var i = 0; i < count; i++)
            {
                buffer[i] = ByteAt(position + i);
            }
            hash.AppendData(buffer, 0, count);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
