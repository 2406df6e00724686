using Microsoft.Extensions.DependencyInjection;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Providers.Sandbox;
using Tributary.Server.Hosting;

namespace Tributary.Server.Tests.FileStorage;

/// <summary>
/// The Sandbox connector with hooks: a test can make a call fail, or swap what a download or an
/// upload streams, to see what the platform does with it.
/// </summary>
internal sealed class ScriptedConnector(IFileStorageConnector inner) : IFileStorageConnector
{
    public Func<string, Task<RemoteContent>?>? OnDownload { get; set; }
    public Func<Stream, Stream>? WrapUpload { get; set; }
    public Exception? Fail { get; set; }

    /// <summary>How many live calls reached this connector and were failed with <see cref="Fail"/>.</summary>
    public int FailedCalls { get; private set; }

    /// <summary>Registers a scripted Sandbox for the "sandbox" integration and hands it to <paramref name="capture"/>.</summary>
    public static Action<IServiceCollection> Install(Action<ScriptedConnector> capture) => services =>
        services.AddKeyedSingleton<IFileStorageConnector>("sandbox", (sp, _) =>
        {
            var scripted = new ScriptedConnector(new SandboxConnector(
                Path.Combine(sp.GetRequiredService<EffectiveSettings>().DataDirectory, "sandbox"), sp.GetRequiredService<TimeProvider>()));
            capture(scripted);
            return scripted;
        });

    public IAsyncEnumerable<ChangePage> ReadChangesAsync(ConnectorContext context, string? cursor, CancellationToken cancellationToken) =>
        inner.ReadChangesAsync(context, cursor, cancellationToken);

    public Task<RemoteContent> DownloadAsync(ConnectorContext context, string fileRemoteId, string? exportMimeType, ByteRange? range, CancellationToken cancellationToken)
    {
        if (Fail is not null)
        {
            FailedCalls++;
            throw Fail;
        }
        return OnDownload?.Invoke(fileRemoteId) ?? inner.DownloadAsync(context, fileRemoteId, exportMimeType, range, cancellationToken);
    }

    public Task<UploadedFile> UploadAsync(ConnectorContext context, FileUpload upload, Stream content, CancellationToken cancellationToken)
    {
        if (Fail is not null)
        {
            FailedCalls++;
            throw Fail;
        }
        return inner.UploadAsync(context, upload, WrapUpload?.Invoke(content) ?? content, cancellationToken);
    }

    public Task<RemoteFolder> CreateFolderAsync(ConnectorContext context, string name, string? parentRemoteId, string? driveRemoteId, CancellationToken cancellationToken)
    {
        if (Fail is not null)
        {
            FailedCalls++;
            throw Fail;
        }
        return inner.CreateFolderAsync(context, name, parentRemoteId, driveRemoteId, cancellationToken);
    }

    public IReadOnlyList<string> ExportFormats(string nativeMimeType) => inner.ExportFormats(nativeMimeType);
}

/// <summary>Reads through to another stream and reports how many bytes have passed.</summary>
internal sealed class ObservedStream(Stream inner, Action<long> onRead) : Stream
{
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        _read += read;
        onRead(_read);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
