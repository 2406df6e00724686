using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Providers.Sandbox;

/// <summary>
/// The built-in Sandbox provider: a fixed demo world (<see cref="SandboxData"/>) plus what the account
/// writes, which is kept under <c>{storage}/{account}/</c> as content files and an append-only change
/// log. Its change feed is real: a full read lists everything, an incremental read returns the
/// writes after the cursor.
/// </summary>
public sealed class SandboxConnector(string storageDirectory, TimeProvider time) : IFileStorageConnector
{
    public const int PageSize = 25;
    private static readonly JsonSerializerOptions LogJson = new(JsonSerializerDefaults.Web);

    public async IAsyncEnumerable<ChangePage> ReadChangesAsync(ConnectorContext context, string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var written = await ReadLogAsync(context.LinkedAccountId, cancellationToken);
        if (cursor is not null && cursor.StartsWith("log:", StringComparison.Ordinal))
        {
            // Incremental: only what was written since the cursor.
            var from = int.Parse(cursor.AsSpan(4), CultureInfo.InvariantCulture);
            var changes = written.Skip(from).ToList();
            for (var i = 0; i < changes.Count || i == 0; i += PageSize)
            {
                var page = changes.Skip(i).Take(PageSize).ToList<RemoteRecord>();
                var end = Math.Min(from + i + PageSize, written.Count);
                yield return new ChangePage(page, [], $"log:{end}", IsFinal: i + PageSize >= changes.Count, IsFullSnapshot: false);
            }
            yield break;
        }

        var all = new List<RemoteRecord>();
        all.AddRange(SandboxData.Users);
        all.AddRange(SandboxData.Groups);
        all.AddRange(SandboxData.Drives);
        all.AddRange(SandboxData.Folders);
        all.AddRange(SandboxData.Files.Select(f => f.File));
        all.AddRange(written);
        var start = cursor is not null && cursor.StartsWith("full:", StringComparison.Ordinal)
            ? int.Parse(cursor.AsSpan(5), CultureInfo.InvariantCulture)
            : 0;
        for (var i = start; i < all.Count; i += PageSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = all.Skip(i).Take(PageSize).ToList();
            var last = i + PageSize >= all.Count;
            yield return new ChangePage(page, [], last ? $"log:{written.Count}" : $"full:{i + PageSize}", last, IsFullSnapshot: true);
        }
    }

    public async Task<RemoteContent> DownloadAsync(ConnectorContext context, string fileRemoteId, string? exportMimeType, ByteRange? range, CancellationToken cancellationToken)
    {
        var builtIn = SandboxData.Files.FirstOrDefault(f => f.File.RemoteId == fileRemoteId);
        byte[] bytes;
        string contentType;
        string name;
        if (builtIn.File is not null)
        {
            name = builtIn.File.Name!;
            if (builtIn.File.MimeType == SandboxData.NativeDocumentMimeType)
            {
                contentType = exportMimeType ?? "application/pdf";
                bytes = SandboxData.Export(contentType);
                name += contentType switch { "application/pdf" => ".pdf", "text/html" => ".html", _ => ".txt" };
            }
            else
            {
                if (exportMimeType is not null && exportMimeType != builtIn.File.MimeType)
                {
                    throw new ProviderException(ProviderErrorKind.InvalidRequest, $"{name} is not a native document: it downloads only as {builtIn.File.MimeType}.");
                }
                contentType = builtIn.File.MimeType!;
                bytes = builtIn.Content();
            }
            return Slice(bytes, contentType, name, range);
        }

        var written = (await ReadLogAsync(context.LinkedAccountId, cancellationToken)).OfType<RemoteFile>().LastOrDefault(f => f.RemoteId == fileRemoteId)
            ?? throw new ProviderException(ProviderErrorKind.NotFound, $"The Sandbox has no file {fileRemoteId}.");
        var path = ContentPath(context.LinkedAccountId, fileRemoteId);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
        var total = stream.Length;
        if (range is null || range.From >= total)
        {
            // A range starting past the end is not served: the whole content lets the platform answer 416.
            return new RemoteContent(stream, written.MimeType ?? "application/octet-stream", written.Name, total);
        }
        var to = Math.Min(range.To ?? total - 1, total - 1);
        stream.Seek(range.From, SeekOrigin.Begin);
        return new RemoteContent(new BoundedStream(stream, to - range.From + 1), written.MimeType ?? "application/octet-stream", written.Name,
            to - range.From + 1, total, new ByteRange(range.From, to));
    }

    public async Task<UploadedFile> UploadAsync(ConnectorContext context, FileUpload upload, Stream content, CancellationToken cancellationToken)
    {
        var remoteId = "upload-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(AccountDirectory(context.LinkedAccountId));
        var path = ContentPath(context.LinkedAccountId, remoteId);
        long size;
        string hash;
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            // Chunked copy: memory stays flat whatever the size.
            var buffer = new byte[81920];
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
            {
                sha.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            size = file.Length;
            hash = Convert.ToHexStringLower(sha.GetHashAndReset());
        }
        var now = time.GetUtcNow();
        var remote = new RemoteFile(remoteId, upload.Name, $"https://sandbox.tributary.example/files/{remoteId}", null, size,
            upload.MimeType ?? "application/octet-stream", upload.Description, upload.FolderRemoteId, upload.DriveRemoteId ?? DriveOf(upload.FolderRemoteId),
            new RemoteChecksum("sha256", hash), [new RemotePermission("perm-owner-user-ada", PermissionType.User, "user-ada", null, [PermissionRole.Owner])], now, now);
        await AppendLogAsync(context.LinkedAccountId, remote, cancellationToken);
        return new UploadedFile(remote);
    }

    public async Task<RemoteFolder> CreateFolderAsync(ConnectorContext context, string name, string? parentRemoteId, string? driveRemoteId, CancellationToken cancellationToken)
    {
        var written = await ReadLogAsync(context.LinkedAccountId, cancellationToken);
        if (parentRemoteId is not null && SandboxData.Folders.All(f => f.RemoteId != parentRemoteId) && written.OfType<RemoteFolder>().All(f => f.RemoteId != parentRemoteId))
        {
            throw new ProviderException(ProviderErrorKind.NotFound, $"The Sandbox has no folder {parentRemoteId}.");
        }
        var now = time.GetUtcNow();
        var folder = new RemoteFolder("folder-" + Guid.NewGuid().ToString("N"), name, null, null, null, parentRemoteId,
            driveRemoteId ?? DriveOf(parentRemoteId) ?? "drive-my",
            [new RemotePermission("perm-owner-user-ada", PermissionType.User, "user-ada", null, [PermissionRole.Owner])], now, now);
        await AppendLogAsync(context.LinkedAccountId, folder, cancellationToken);
        return folder;
    }

    public IReadOnlyList<string> ExportFormats(string nativeMimeType) =>
        nativeMimeType == SandboxData.NativeDocumentMimeType ? SandboxData.ExportFormats : [];

    private static string? DriveOf(string? folderRemoteId) =>
        folderRemoteId is null ? null : SandboxData.Folders.FirstOrDefault(f => f.RemoteId == folderRemoteId)?.DriveRemoteId;

    private static RemoteContent Slice(byte[] bytes, string contentType, string name, ByteRange? range)
    {
        if (range is null || range.From >= bytes.Length)
        {
            return new RemoteContent(new MemoryStream(bytes, writable: false), contentType, name, bytes.Length);
        }
        var to = Math.Min(range.To ?? bytes.Length - 1, bytes.Length - 1);
        var length = (int)(to - range.From + 1);
        return new RemoteContent(new MemoryStream(bytes, (int)range.From, length, writable: false), contentType, name, length, bytes.Length, new ByteRange(range.From, to));
    }

    private string AccountDirectory(Guid account) => Path.Combine(storageDirectory, account.ToString("N"));

    private string ContentPath(Guid account, string remoteId) => Path.Combine(AccountDirectory(account), remoteId + ".bin");

    private string LogPath(Guid account) => Path.Combine(AccountDirectory(account), "changes.jsonl");

    private async Task<List<RemoteRecord>> ReadLogAsync(Guid account, CancellationToken cancellationToken)
    {
        var path = LogPath(account);
        if (!File.Exists(path))
        {
            return [];
        }
        var records = new List<RemoteRecord>();
        foreach (var line in await File.ReadAllLinesAsync(path, cancellationToken))
        {
            var entry = JsonSerializer.Deserialize<LogEntry>(line, LogJson)!;
            records.Add(entry.File is not null ? entry.File : entry.Folder!);
        }
        return records;
    }

    private async Task AppendLogAsync(Guid account, RemoteRecord record, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(AccountDirectory(account));
        var line = JsonSerializer.Serialize(new LogEntry(record as RemoteFile, record as RemoteFolder), LogJson) + "\n";
        await File.AppendAllTextAsync(LogPath(account), line, cancellationToken);
    }

    private sealed record LogEntry(RemoteFile? File, RemoteFolder? Folder);
}
