using System.Text;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Providers.GoogleDrive;
using Tributary.Server.Tests.Connectors.Compliance;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.GoogleDrive;

/// <summary>What only Drive has: shared drives, trash, Google Docs export, principals from permissions, the change token taken before listing.</summary>
public sealed class GoogleDriveConnectorTests
{
    private const string SharedDriveId = "0AFakeSharedEngUk9PVA";
    private const string DocMime = "application/vnd.google-apps.document";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void SeedWithSharedDrive(FakeFileTree tree)
    {
        tree.SeedStandard(6);
        tree.Drives.Add(new FakeDrive(SharedDriveId, "Engineering", DateTimeOffset.Parse("2024-03-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        var specs = tree.AddFolder("Specs", null, SharedDriveId);
        var spec = tree.AddFile("spec.md", FakeContent.Of("# spec\n"u8.ToArray()), specs.Id, "text/markdown");
        spec.Permissions.Add(new FakePermission("p-grace", FakePermissionKind.User, FakeRole.Writer, UserId: "user-2"));
        tree.AddNativeDocument("Plan", DocMime, "the plan\n");
    }

    private static async Task<List<ChangePage>> ReadAllAsync(ConnectorTestBed bed, string? cursor)
    {
        var pages = new List<ChangePage>();
        await foreach (var page in bed.Connector.ReadChangesAsync(bed.Context, cursor, Ct))
        {
            pages.Add(page);
        }
        return pages;
    }

    [Fact]
    public async Task Shared_drives_are_listed_and_their_items_get_permissions_from_permissions_list()
    {
        var (bed, fake) = await GoogleDriveFake.StartAsync(SeedWithSharedDrive, GoogleDriveComplianceTests.TestOptions);
        await using var _ = bed;

        var records = (await ReadAllAsync(bed, null)).SelectMany(p => p.Records).ToList();

        var drives = records.OfType<RemoteDrive>().ToList();
        Assert.Contains(drives, d => d.RemoteId == GoogleDriveFake.MyDriveRootId && d.Name == "My Drive");
        Assert.Contains(drives, d => d.RemoteId == SharedDriveId && d.Name == "Engineering");
        var specs = records.OfType<RemoteFolder>().Single(f => f.Name == "Specs");
        Assert.Null(specs.ParentRemoteId);
        Assert.Equal(SharedDriveId, specs.DriveRemoteId);
        var spec = records.OfType<RemoteFile>().Single(f => f.Name == "spec.md");
        Assert.Equal((specs.RemoteId, SharedDriveId), (spec.FolderRemoteId, spec.DriveRemoteId));
        Assert.Contains(spec.Permissions, p => p.Type == PermissionType.User && p.Roles.SequenceEqual([PermissionRole.Owner]));
        Assert.Contains(spec.Permissions, p => p.Type == PermissionType.User && p.Roles.SequenceEqual([PermissionRole.Write]));
        Assert.Contains(bed.World.Requests, r => r.Path == $"/drive/v3/files/{spec.RemoteId}/permissions" && r.Query["supportsAllDrives"] == "true");
        var projects = records.OfType<RemoteFolder>().Single(f => f.Name == "Projects");
        Assert.Equal((null, GoogleDriveFake.MyDriveRootId), (projects.ParentRemoteId, projects.DriveRemoteId));
        Assert.NotNull(fake);
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task Users_and_groups_come_from_about_owners_and_permissions()
    {
        var (bed, _) = await GoogleDriveFake.StartAsync(tree => tree.SeedStandard(10), GoogleDriveComplianceTests.TestOptions);
        await using var __ = bed;

        var records = (await ReadAllAsync(bed, null)).SelectMany(p => p.Records).ToList();

        var me = records.OfType<RemoteUser>().Single(u => u.IsMe);
        Assert.Equal(("Ada Lovelace", "ada@example.com", GoogleDriveFake.PermissionIdOf("user-me")), (me.Name, me.EmailAddress, me.RemoteId));
        var grace = records.OfType<RemoteUser>().Single(u => u.EmailAddress == "grace@example.com");
        Assert.False(grace.IsMe);
        var group = records.OfType<RemoteGroup>().Single();
        Assert.Equal("Engineering", group.Name);
        var files = records.OfType<RemoteFile>().ToList();
        Assert.Contains(files.SelectMany(f => f.Permissions), p => p.UserRemoteId == grace.RemoteId && p.Roles.SequenceEqual([PermissionRole.Read]));
        Assert.Contains(records.OfType<RemoteFolder>().SelectMany(f => f.Permissions), p => p.GroupRemoteId == group.RemoteId);
        Assert.Contains(files.SelectMany(f => f.Permissions), p => p.Type == PermissionType.Company);
        // Each principal is reported once per run, not once per file.
        Assert.Single(records.OfType<RemoteUser>(), u => u.RemoteId == grace.RemoteId);
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task The_change_token_is_taken_before_listing_so_changes_during_a_full_read_are_not_lost()
    {
        var (bed, fake) = await GoogleDriveFake.StartAsync(tree => tree.SeedStandard(25), GoogleDriveComplianceTests.TestOptions);
        await using var _ = bed;
        var first = new List<ChangePage>();
        await foreach (var page in bed.Connector.ReadChangesAsync(bed.Context, null, Ct))
        {
            first.Add(page);
            if (page.Records.OfType<RemoteFile>().Any())
            {
                break;
            }
        }
        var seen = first.SelectMany(p => p.Records).OfType<RemoteFile>().Select(f => f.RemoteId).ToList();
        // While the listing is between pages: a new file whose id sorts before the listing's position, and a rename of a listed file.
        var sneaky = fake.Tree.AddFile("sneaky.txt", FakeContent.Of("x"u8.ToArray()), null, "text/plain", id: "1A" + new string('0', 30)).Id;
        fake.Tree.Rename(seen[0], "renamed-during-listing.txt");

        var rest = await ReadAllAsync(bed, first[^1].Cursor);
        var after = await ReadAllAsync(bed, rest[^1].Cursor);

        Assert.DoesNotContain(rest.SelectMany(p => p.Records).OfType<RemoteFile>(), f => f.RemoteId == sneaky);
        var changed = after.SelectMany(p => p.Records).OfType<RemoteFile>().ToList();
        Assert.Contains(changed, f => f.RemoteId == sneaky);
        Assert.Contains(changed, f => f.RemoteId == seen[0] && f.Name == "renamed-during-listing.txt");
        Assert.All(after, p => Assert.False(p.IsFullSnapshot));
        Assert.True(after[^1].IsFinal);
        var startToken = bed.World.Requests.First(r => r.Path == "/drive/v3/changes/startPageToken");
        var firstListing = bed.World.Requests.First(r => r.Path == "/drive/v3/files");
        Assert.True(startToken.At <= firstListing.At);
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task Trashed_items_are_reported_as_deleted_with_their_kind()
    {
        var (bed, fake) = await GoogleDriveFake.StartAsync(tree => tree.SeedStandard(8), GoogleDriveComplianceTests.TestOptions);
        await using var _ = bed;
        var full = await ReadAllAsync(bed, null);
        var file = fake.Tree.Files.First(f => f.ParentId is null).Id;
        var archive = fake.Tree.Folders.Single(f => f.Name == "Archive").Id;
        fake.Trash(file);
        fake.Trash(archive);

        var changes = await ReadAllAsync(bed, full[^1].Cursor);
        var deletions = changes.SelectMany(p => p.Deletions).ToList();

        Assert.Contains(new RemoteDeletion(FileStorageModel.File, file), deletions);
        Assert.Contains(new RemoteDeletion(FileStorageModel.Folder, archive), deletions);
        Assert.DoesNotContain(changes.SelectMany(p => p.Records), r => r.RemoteId == file || r.RemoteId == archive);
        var relisted = (await ReadAllAsync(bed, null)).SelectMany(p => p.Records).ToList();
        Assert.DoesNotContain(relisted, r => r.RemoteId == file || r.RemoteId == archive);
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task Google_docs_are_exported_in_the_formats_Drive_offers()
    {
        var (bed, fake) = await GoogleDriveFake.StartAsync(SeedWithSharedDrive, GoogleDriveComplianceTests.TestOptions);
        await using var _ = bed;
        var doc = fake.Tree.Files.Single(f => f.Name == "Plan").Id;
        var binary = fake.Tree.Files.First(f => f.Name.EndsWith(".txt", StringComparison.Ordinal)).Id;

        await using (var text = await bed.Connector.DownloadAsync(bed.Context, doc, "text/plain", null, Ct))
        {
            Assert.Equal("text/plain", text.ContentType);
            Assert.Equal("the plan\n", await new StreamReader(text.Body).ReadToEndAsync(Ct));
        }
        await using (var pdf = await bed.Connector.DownloadAsync(bed.Context, doc, null, null, Ct))
        {
            Assert.Equal("application/pdf", pdf.ContentType);
        }
        var unsupported = await Assert.ThrowsAsync<ProviderException>(() => bed.Connector.DownloadAsync(bed.Context, doc, "image/png", null, Ct));
        var notNative = await Assert.ThrowsAsync<ProviderException>(() => bed.Connector.DownloadAsync(bed.Context, binary, "application/pdf", null, Ct));

        Assert.Equal(ProviderErrorKind.InvalidRequest, unsupported.Kind);
        Assert.Contains("application/pdf", unsupported.Message, StringComparison.Ordinal);
        Assert.Equal(ProviderErrorKind.InvalidRequest, notNative.Kind);
        Assert.Contains("application/pdf", bed.Connector.ExportFormats(DocMime));
        Assert.Empty(bed.Connector.ExportFormats("text/plain"));
        Assert.Contains(bed.World.Requests, r => r.Path == $"/drive/v3/files/{doc}/export" && r.Query["mimeType"] == "text/plain");
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task An_upload_of_unknown_length_goes_resumable_in_256_KiB_multiples()
    {
        var options = GoogleDriveComplianceTests.TestOptions with { SimpleUploadLimit = 100_000 };
        var (bed, fake) = await GoogleDriveFake.StartAsync(tree => tree.SeedStandard(2), options);
        await using var _ = bed;
        var bytes = new byte[2 * GoogleDriveOptions.ChunkGranularity];
        new Random(7).NextBytes(bytes);

        var uploaded = await bed.Connector.UploadAsync(bed.Context, new FileUpload("exact.bin", null, null, null, "about chunks", null),
            new ShortReadStream(bytes), Ct);

        Assert.Equal(bytes, fake.Tree.Find(uploaded.File.RemoteId)!.Content!.ToArray());
        Assert.Equal(("exact.bin", (long)bytes.Length, "about chunks"), (uploaded.File.Name, uploaded.File.Size!.Value, uploaded.File.Description));
        Assert.Null(uploaded.File.FolderRemoteId);
        Assert.Equal(GoogleDriveFake.MyDriveRootId, uploaded.File.DriveRemoteId);
        var chunks = bed.World.Requests.Where(r => r.Method == "PUT").Select(r => r.Headers["Content-Range"]).ToList();
        Assert.Equal(["bytes 0-262143/*", $"bytes 262144-524287/{bytes.Length}"], chunks);
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task Uploads_and_folders_go_into_a_shared_drive_root()
    {
        var (bed, _) = await GoogleDriveFake.StartAsync(SeedWithSharedDrive, GoogleDriveComplianceTests.TestOptions);
        await using var __ = bed;

        var folder = await bed.Connector.CreateFolderAsync(bed.Context, "Designs", null, SharedDriveId, Ct);
        var file = await bed.Connector.UploadAsync(bed.Context, new FileUpload("n.txt", null, SharedDriveId, "text/plain", null, 2), new MemoryStream("hi"u8.ToArray()), Ct);
        var rootFolder = await bed.Connector.CreateFolderAsync(bed.Context, "Top", null, null, Ct);

        Assert.Equal((null, SharedDriveId), (folder.ParentRemoteId, folder.DriveRemoteId));
        Assert.Equal((null, SharedDriveId), (file.File.FolderRemoteId, file.File.DriveRemoteId));
        Assert.Equal((null, GoogleDriveFake.MyDriveRootId), (rootFolder.ParentRemoteId, rootFolder.DriveRemoteId));
        Assert.Contains(bed.World.Requests, r => r.Path == "/upload/drive/v3/files" && r.Query["uploadType"] == "multipart");
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_rate_limit_is_Drive_s_403_without_Retry_After_and_the_connector_backs_off()
    {
        var (bed, _) = await GoogleDriveFake.StartAsync(tree => tree.SeedStandard(3), GoogleDriveComplianceTests.TestOptions);
        await using var __ = bed;
        bed.World.InjectRateLimit(2, TimeSpan.Zero);

        var pages = await ReadAllAsync(bed, null);

        var requests = bed.World.Requests;
        var limited = requests.Select((r, i) => (r, i)).Where(x => x.r.Faulted).ToList();
        Assert.Equal([403, 403], limited.Select(x => x.r.Status));
        // Back-off doubles from the 1 s default: about 1 s, then about 2 s.
        Assert.True(requests[limited[1].i].At - requests[limited[0].i].At >= TimeSpan.FromSeconds(0.95));
        Assert.True(requests[limited[1].i + 1].At - requests[limited[1].i].At >= TimeSpan.FromSeconds(1.95));
        Assert.True(pages[^1].IsFinal);
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_byte_range_is_served_as_partial_content()
    {
        var (bed, fake) = await GoogleDriveFake.StartAsync(tree => tree.SeedStandard(2), GoogleDriveComplianceTests.TestOptions);
        await using var _ = bed;
        var id = fake.Tree.AddFile("abc.txt", FakeContent.Of(Encoding.ASCII.GetBytes("abcdefghij")), null, "text/plain").Id;

        await using var content = await bed.Connector.DownloadAsync(bed.Context, id, null, new ByteRange(2, 4), Ct);
        await using var beyond = await bed.Connector.DownloadAsync(bed.Context, id, null, new ByteRange(50, null), Ct);

        Assert.Equal("cde", await new StreamReader(content.Body).ReadToEndAsync(Ct));
        Assert.Equal((new ByteRange(2, 4), 3L, 10L), (content.Range!, content.Length!.Value, content.TotalLength!.Value));
        Assert.Null(beyond.Range);
        Assert.Equal("bytes=2-4", bed.World.Requests.Single(r => r.Headers.ContainsKey("Range")).Headers["Range"]);
        bed.World.AssertConformant();
    }

    /// <summary>A request body without a length that hands out at most 1000 bytes per read, as a network stream may.</summary>
    private sealed class ShortReadStream(byte[] bytes) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = Math.Min(Math.Min(buffer.Length, 1000), bytes.Length - _position);
            bytes.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
