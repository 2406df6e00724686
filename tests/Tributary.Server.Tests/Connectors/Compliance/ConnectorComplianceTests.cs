using System.Text;
using Tributary.Integrations.FileStorage;

namespace Tributary.Server.Tests.Connectors.Compliance;

/// <summary>
/// What every File Storage connector must do, run once per provider against its fake (or, for
/// WebDAV, a real server). A provider's test class derives from this and only says how to start its
/// world: the standard seed (<see cref="Fakes.FakeFileTree.SeedStandard"/>: folders Projects,
/// Projects/Alpha and Archive with 25 files) and a page size of <see cref="PageSize"/>, so every
/// full read spans several pages. Every test ends by asserting the provider fake saw only traffic
/// its spec allows.
/// </summary>
public abstract class ConnectorComplianceTests : IAsyncLifetime
{
    /// <summary>The page size each provider's fake must use, so 28+ items take several pages.</summary>
    protected const int PageSize = 10;

    private ConnectorTestBed? _bed;

    /// <summary>Path → item of every file and folder read so far that carried a path: the platform's path index in miniature.</summary>
    private readonly Dictionary<string, (FileStorageModel Model, string RemoteId)> _paths = new(StringComparer.Ordinal);

    private protected ConnectorTestBed Bed => _bed ?? throw new InvalidOperationException("The test bed did not start.");

    /// <summary>Starts the provider world (seeded as described above) and a connector pointed at it.</summary>
    private protected abstract Task<ConnectorTestBed> StartAsync();

    /// <summary>False for providers whose remote id is the path (WebDAV): a rename is then a delete plus an add.</summary>
    protected virtual bool IdsSurviveRenames => true;

    /// <summary>False for providers without a sharing model (WebDAV): items then carry no permissions.</summary>
    protected virtual bool ReportsPermissions => true;

    /// <summary>False for providers without a chunked upload protocol (WebDAV): the upload then streams in one request.</summary>
    protected virtual bool ChunkedUploads => true;

    /// <summary>Bytes above which <see cref="IFileStorageConnector.UploadAsync"/> must use the provider's chunked upload (the test bed configures the connector so).</summary>
    protected virtual int ChunkedUploadSize => 3 * 1024 * 1024 + 123;

    public async ValueTask InitializeAsync() => _bed = await StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_bed is not null)
        {
            await _bed.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_full_read_reports_every_folder_and_file_across_pages()
    {
        var (pages, records, deletions) = await ReadAsync(cursor: null);

        Assert.True(pages.Count > 2, $"expected several pages at page size {PageSize}, got {pages.Count}");
        Assert.True(pages[^1].IsFinal);
        Assert.All(pages[..^1], p => Assert.False(p.IsFinal));
        Assert.Empty(deletions);
        Assert.Equal(Bed.World.FileIds.Order(), records.OfType<RemoteFile>().Select(f => f.RemoteId).Distinct().Order());
        Assert.Superset(Bed.World.FolderIds.ToHashSet(), records.OfType<RemoteFolder>().Select(f => f.RemoteId).ToHashSet());
        var alpha = Latest<RemoteFolder>(records, Bed.World.FolderId("Alpha"));
        Assert.Equal("Alpha", alpha.Name);
        Assert.Equal(Bed.World.FolderId("Projects"), alpha.ParentRemoteId);
        Assert.Contains(records, r => r is RemoteUser { IsMe: true });
        Assert.Contains(records, r => r is RemoteDrive);
        if (ReportsPermissions)
        {
            Assert.All(records.OfType<RemoteFile>(), f => Assert.NotEmpty(f.Permissions));
            Assert.Contains(records.OfType<RemoteFile>().SelectMany(f => f.Permissions), p => p.Type == PermissionType.Anyone);
        }
        Bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_read_resumed_from_a_page_cursor_continues_without_losing_anything()
    {
        var first = new List<ChangePage>();
        await foreach (var page in Bed.Connector.ReadChangesAsync(Bed.Context, null, TestContext.Current.CancellationToken))
        {
            first.Add(page);
            if (first.Count == 2)
            {
                break;
            }
        }
        var (rest, _, _) = await ReadAsync(first[^1].Cursor);

        var seen = first.Concat(rest).SelectMany(p => p.Records).OfType<RemoteFile>().Select(f => f.RemoteId).ToHashSet();
        Assert.Equal(Bed.World.FileIds.Order(), seen.Order());
        Assert.True(rest[^1].IsFinal);
        Bed.World.AssertConformant();
    }

    [Fact]
    public async Task An_incremental_read_reports_adds_renames_moves_and_deletes()
    {
        var full = await ReadAsync(null);
        var files = Bed.World.FileIds.Order(StringComparer.Ordinal).ToList();
        var added = await Bed.World.AddFileAsync("added.txt", "new"u8.ToArray(), Bed.World.FolderId("Archive"));
        await Bed.World.RenameAsync(files[0], "renamed.txt");
        await Bed.World.MoveAsync(files[1], Bed.World.FolderId("Alpha"));
        await Bed.World.DeleteAsync(files[2]);

        var next = await ReadAsync(full.Pages[^1].Cursor);
        var (records, deletions) = (next.Records, Deletions(full, next));

        Assert.Equal("added.txt", Latest<RemoteFile>(records, added).Name);
        Assert.Equal(Bed.World.FolderId("Archive"), Latest<RemoteFile>(records, added).FolderRemoteId);
        if (IdsSurviveRenames)
        {
            Assert.Equal("renamed.txt", Latest<RemoteFile>(records, files[0]).Name);
            Assert.Equal(Bed.World.FolderId("Alpha"), Latest<RemoteFile>(records, files[1]).FolderRemoteId);
        }
        else
        {
            Assert.Contains(deletions, d => d.Model == FileStorageModel.File && d.RemoteId == files[0]);
            Assert.Contains(records.OfType<RemoteFile>(), f => f.Name == "renamed.txt");
        }
        Assert.Contains(deletions, d => d.Model == FileStorageModel.File && d.RemoteId == files[2]);
        Assert.DoesNotContain(records.OfType<RemoteFile>(), f => f.RemoteId == files[2]);
        Bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_deleted_folder_is_reported_as_deleted()
    {
        var full = await ReadAsync(null);
        var archive = Bed.World.FolderId("Archive");
        await Bed.World.DeleteAsync(archive);

        var deletions = Deletions(full, await ReadAsync(full.Pages[^1].Cursor));

        Assert.Contains(deletions, d => d.Model == FileStorageModel.Folder && d.RemoteId == archive);
        Bed.World.AssertConformant();
    }

    [Fact]
    public async Task An_expired_access_token_is_refreshed_once_and_the_call_retried()
    {
        if (!Bed.World.ExpireAccessTokens())
        {
            await Assert.ThrowsAsync<ProviderException>(() => ReadAsync(null));
            return;
        }
        var before = Bed.Credentials.Current.GetProperty("access_token").GetString();

        var (_, records, _) = await ReadAsync(null);

        Assert.Equal(1, Bed.World.RefreshRequests);
        Assert.NotEqual(before, Bed.Credentials.Current.GetProperty("access_token").GetString());
        Assert.Equal(Bed.World.FileIds.Count, records.OfType<RemoteFile>().Select(f => f.RemoteId).Distinct().Count());
        Bed.World.AssertConformant();
    }

    [Fact]
    public async Task Revoked_access_fails_as_unauthorized()
    {
        if (!Bed.World.RevokeAccess())
        {
            return;
        }
        var error = await Assert.ThrowsAsync<ProviderException>(() => ReadAsync(null));

        Assert.Equal(ProviderErrorKind.Unauthorized, error.Kind);
        Assert.True(Bed.World.RefreshRequests <= 1);
        Bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_rate_limit_is_waited_out_as_long_as_the_provider_asks()
    {
        var wait = TimeSpan.FromSeconds(1);
        Bed.World.InjectRateLimit(1, wait);

        var (_, records, _) = await ReadAsync(null);

        Assert.Equal(Bed.World.FileIds.Count, records.OfType<RemoteFile>().Select(f => f.RemoteId).Distinct().Count());
        var requests = Bed.World.Requests;
        var limited = requests.Select((r, i) => (r, i)).Single(x => x.r.Faulted);
        var retry = requests[limited.i + 1];
        Assert.True(retry.At - limited.r.At >= wait - TimeSpan.FromMilliseconds(50),
            $"the retry came {(retry.At - limited.r.At).TotalMilliseconds:F0} ms after the rate limit; the provider asked for {wait.TotalMilliseconds} ms");
        Bed.World.AssertConformant();
    }

    [Fact]
    public async Task Server_errors_are_retried()
    {
        Bed.World.InjectServerErrors(2);

        var (_, records, _) = await ReadAsync(null);

        Assert.Equal(Bed.World.FileIds.Count, records.OfType<RemoteFile>().Select(f => f.RemoteId).Distinct().Count());
        Assert.Equal(2, Bed.World.Requests.Count(r => r.Faulted));
        Bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_large_download_streams_instead_of_buffering()
    {
        const long length = 48L * 1024 * 1024;
        const long pauseAfter = 1024 * 1024;
        var (id, resume) = await Bed.World.AddPausingFileAsync("large.bin", length, pauseAfter);
        var ct = TestContext.Current.CancellationToken;

        // The provider stops sending after 1 MiB until resumed: a connector that buffers never returns from DownloadAsync.
        var download = Bed.Connector.DownloadAsync(Bed.Context, id, null, null, ct);
        var finished = await Task.WhenAny(download, Task.Delay(TimeSpan.FromSeconds(30), ct));
        Assert.True(finished == download, "DownloadAsync did not return while the provider paused mid-file: the body is being buffered");
        await using var content = await download;
        var buffer = new byte[64 * 1024];
        long position = 0;
        while (position < pauseAfter)
        {
            var read = await content.Body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, pauseAfter - position)), ct);
            Assert.True(read > 0);
            position += read;
        }
        resume();
        int n;
        while ((n = await content.Body.ReadAsync(buffer, ct)) > 0)
        {
            Assert.Equal(Bed.World.ExpectedByte(id, position + n - 1), buffer[n - 1]);
            position += n;
        }
        Assert.Equal(length, position);
        Bed.World.AssertConformant();
    }

    [Fact]
    public async Task Downloading_a_missing_file_is_not_found()
    {
        var id = Bed.World.FileIds.First();
        await Bed.World.DeleteAsync(id);

        var error = await Assert.ThrowsAsync<ProviderException>(() => Bed.Connector.DownloadAsync(Bed.Context, id, null, null, TestContext.Current.CancellationToken));

        Assert.Equal(ProviderErrorKind.NotFound, error.Kind);
        Bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_range_download_returns_exactly_the_range()
    {
        var bytes = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 2000).Select(i => (char)('a' + i % 26))));
        var id = await Bed.World.AddFileAsync("letters.txt", bytes, null);

        await using var content = await Bed.Connector.DownloadAsync(Bed.Context, id, null, new ByteRange(100, 199), TestContext.Current.CancellationToken);
        using var copy = new MemoryStream();
        await content.Body.CopyToAsync(copy, TestContext.Current.CancellationToken);

        Assert.Equal(bytes[100..200], copy.ToArray());
        Bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_small_upload_stores_the_exact_bytes_and_reports_the_file()
    {
        var bytes = Encoding.UTF8.GetBytes("hello from tributary\n");
        var folder = Bed.World.FolderId("Projects");

        var uploaded = await Bed.Connector.UploadAsync(Bed.Context, new FileUpload("hello.txt", folder, null, "text/plain", null, bytes.Length),
            new MemoryStream(bytes), TestContext.Current.CancellationToken);

        Assert.Equal("hello.txt", uploaded.File.Name);
        Assert.Equal(folder, uploaded.File.FolderRemoteId);
        Assert.Equal(bytes, await Bed.World.ReadAsync(uploaded.File.RemoteId));
        Bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_large_upload_goes_in_chunks_and_stores_the_exact_bytes()
    {
        var bytes = new byte[ChunkedUploadSize];
        new Random(42).NextBytes(bytes);

        var uploaded = await Bed.Connector.UploadAsync(Bed.Context, new FileUpload("big.bin", null, null, "application/octet-stream", null, bytes.Length),
            new NonSeekableStream(bytes), TestContext.Current.CancellationToken);

        Assert.Equal(bytes, await Bed.World.ReadAsync(uploaded.File.RemoteId));
        var writes = Bed.World.Requests.Count(r => r.Method is "PUT" or "POST" && !r.Faulted);
        Assert.True(ChunkedUploads ? writes >= 3 : writes == 1, $"{writes} write requests for a {(ChunkedUploads ? "chunked" : "streamed")} upload");
        Bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_created_folder_is_returned_and_appears_in_the_next_incremental_read()
    {
        var (full, _, _) = await ReadAsync(null);
        var parent = Bed.World.FolderId("Projects");

        var folder = await Bed.Connector.CreateFolderAsync(Bed.Context, "Beta", parent, null, TestContext.Current.CancellationToken);
        var (_, records, _) = await ReadAsync(full[^1].Cursor);

        Assert.Equal("Beta", folder.Name);
        Assert.Equal(parent, folder.ParentRemoteId);
        Assert.Contains(folder.RemoteId, Bed.World.FolderIds);
        Assert.Equal("Beta", Latest<RemoteFolder>(records, folder.RemoteId).Name);
        Bed.World.AssertConformant();
    }

    /// <summary>
    /// What a read says was deleted since <paramref name="before"/>: the deletions it reports and, when it
    /// is a full snapshot (providers without a delete signal), what <paramref name="before"/> saw and it
    /// did not, which is how the platform reconciles such providers.
    /// </summary>
    private protected static List<RemoteDeletion> Deletions(
        (List<ChangePage> Pages, List<RemoteRecord> Records, List<RemoteDeletion> Deletions) before,
        (List<ChangePage> Pages, List<RemoteRecord> Records, List<RemoteDeletion> Deletions) after)
    {
        var deletions = new List<RemoteDeletion>(after.Deletions);
        if (after.Pages.All(p => p.IsFullSnapshot))
        {
            static IEnumerable<(FileStorageModel Model, string Id)> Keys(IEnumerable<RemoteRecord> records) => records.Select(r => r switch
            {
                RemoteFile f => (FileStorageModel.File, f.RemoteId),
                RemoteFolder f => (FileStorageModel.Folder, f.RemoteId),
                RemoteDrive d => (FileStorageModel.Drive, d.RemoteId),
                RemoteUser u => (FileStorageModel.User, u.RemoteId),
                _ => (FileStorageModel.Group, r.RemoteId),
            });
            var seen = Keys(after.Records).ToHashSet();
            deletions.AddRange(Keys(before.Records).Distinct().Where(k => !seen.Contains(k)).Select(k => new RemoteDeletion(k.Model, k.Id)));
        }
        return deletions;
    }

    private protected async Task<(List<ChangePage> Pages, List<RemoteRecord> Records, List<RemoteDeletion> Deletions)> ReadAsync(string? cursor)
    {
        var pages = new List<ChangePage>();
        var deletions = new List<RemoteDeletion>();
        await foreach (var page in Bed.Connector.ReadChangesAsync(Bed.Context, cursor, TestContext.Current.CancellationToken))
        {
            pages.Add(page);
            deletions.AddRange(page.Deletions);
            deletions.AddRange(ResolvePaths(page));
            Assert.True(pages.Count < 1000, "the change feed does not end");
        }
        Assert.NotEmpty(pages);
        return (pages, [.. pages.SelectMany(p => p.Records)], deletions);
    }

    /// <summary>
    /// Deletes a provider reported by path (Dropbox, WebDAV), resolved to remote ids the way
    /// SyncRunner resolves them against the stored paths: a deleted path takes every item at or
    /// under it, a record takes any other item at its path, and a record in the same page brings
    /// its own item back (it moved away from the deleted path).
    /// </summary>
    private List<RemoteDeletion> ResolvePaths(ChangePage page)
    {
        var resolved = new List<RemoteDeletion>();
        foreach (var path in page.DeletedPaths)
        {
            var under = path.TrimEnd('/') + "/";
            foreach (var (key, item) in _paths.Where(p => p.Key == path || p.Key.StartsWith(under, StringComparison.Ordinal)).ToList())
            {
                _paths.Remove(key);
                resolved.Add(new RemoteDeletion(item.Model, item.RemoteId));
            }
        }
        var placed = new HashSet<(FileStorageModel, string)>();
        foreach (var record in page.Records)
        {
            (FileStorageModel Model, string? Path) at = record switch
            {
                RemoteFile f => (FileStorageModel.File, f.Path),
                RemoteFolder f => (FileStorageModel.Folder, f.Path),
                _ => (FileStorageModel.Drive, null),
            };
            if (at.Path is null)
            {
                continue;
            }
            var item = (at.Model, record.RemoteId);
            placed.Add(item);
            foreach (var previous in _paths.Where(p => p.Value == item).Select(p => p.Key).ToList())
            {
                _paths.Remove(previous);
            }
            if (_paths.TryGetValue(at.Path, out var other) && other != item)
            {
                resolved.Add(new RemoteDeletion(other.Model, other.RemoteId));
            }
            _paths[at.Path] = item;
        }
        resolved.RemoveAll(d => placed.Contains((d.Model, d.RemoteId)));
        return resolved;
    }

    private static T Latest<T>(List<RemoteRecord> records, string remoteId) where T : RemoteRecord =>
        records.OfType<T>().LastOrDefault(r => r.RemoteId == remoteId)
        ?? throw new Xunit.Sdk.XunitException($"No {typeof(T).Name} with remote id {remoteId} was reported.");

    /// <summary>An upload body whose length the connector cannot ask for, like a request body.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
