using System.Text;
using Tributary.Integrations.FileStorage;

namespace Tributary.Server.Tests.Connectors.Dropbox;

/// <summary>What the compliance suite does not cover: Dropbox permissions, path-only deletes, folder moves, cursor resets, names.</summary>
public sealed class DropboxConnectorTests : IAsyncLifetime
{
    private DropboxTestBed _bed = null!;

    public async ValueTask InitializeAsync()
    {
        _bed = await DropboxTestBed.StartAsync(pageSize: 10);
        _bed.Fake.Tree.SeedStandard(25);
    }

    public async ValueTask DisposeAsync() => await _bed.Bed.DisposeAsync();

    private async Task<List<ChangePage>> ReadAsync(string? cursor)
    {
        var pages = new List<ChangePage>();
        await foreach (var page in _bed.Connector.ReadChangesAsync(_bed.Bed.Context, cursor, TestContext.Current.CancellationToken))
        {
            pages.Add(page);
        }
        return pages;
    }

    private static RemoteFile File(IEnumerable<ChangePage> pages, string name) =>
        pages.SelectMany(p => p.Records).OfType<RemoteFile>().Last(f => f.Name == name);

    [Fact]
    public async Task Shared_folders_explicit_members_and_links_become_permissions_with_their_users_and_groups()
    {
        var pages = await ReadAsync(null);
        var records = pages.SelectMany(p => p.Records).ToList();
        var me = DropboxFake.AccountId("user-me");
        var grace = DropboxFake.AccountId("user-2");
        var engineering = DropboxFake.GroupId("group-1");

        // Outside any shared folder, with no grants: the owner only.
        var plain = File(pages, "file-000.txt");
        Assert.Equal([(PermissionType.User, me, PermissionRole.Owner)], plain.Permissions.Select(p => (p.Type, p.UserRemoteId, p.Roles.Single())));
        // In the shared folder Alpha: its members, the group with write access included.
        var inAlpha = File(pages, "file-002.txt");
        Assert.Contains(inAlpha.Permissions, p => p.Type == PermissionType.Group && p.GroupRemoteId == engineering && p.Roles.Single() == PermissionRole.Write);
        Assert.Contains(inAlpha.Permissions, p => p.Type == PermissionType.Anyone);
        // Explicit file members (with the inherited ones).
        var sharedWithGrace = File(pages, "file-006.txt");
        Assert.Contains(sharedWithGrace.Permissions, p => p.Type == PermissionType.User && p.UserRemoteId == grace && p.Roles.Single() == PermissionRole.Read);
        Assert.Contains(sharedWithGrace.Permissions, p => p.Type == PermissionType.Group && p.GroupRemoteId == engineering);
        // A team link.
        Assert.Contains(File(pages, "file-003.txt").Permissions, p => p.Type == PermissionType.Company);
        // The people and groups behind those permissions are reported too, each once.
        Assert.Single(records.OfType<RemoteUser>(), u => u.IsMe && u.RemoteId == me && u.EmailAddress == "ada@example.com");
        Assert.Single(records.OfType<RemoteUser>(), u => !u.IsMe && u.RemoteId == grace && u.Name == "Grace Hopper");
        Assert.Single(records.OfType<RemoteGroup>(), g => g.RemoteId == engineering && g.Name == "Engineering");
        Assert.Single(records.OfType<RemoteDrive>(), d => d.RemoteId == DropboxFake.RootNamespaceId);
        _bed.Bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_deleted_folder_arrives_as_one_deleted_path_and_renames_carry_new_paths()
    {
        var full = await ReadAsync(null);
        var alpha = _bed.Fake.Tree.Folders.Single(f => f.Name == "Alpha");
        var inAlpha = _bed.Fake.Tree.Files.First(f => f.ParentId == alpha.Id);
        _bed.Fake.Tree.Delete(_bed.Fake.Tree.Folders.Single(f => f.Name == "Archive").Id);
        _bed.Fake.Tree.Rename(_bed.Fake.Tree.Folders.Single(f => f.Name == "Projects").Id, "Work");

        var changes = await ReadAsync(full[^1].Cursor);

        var deleted = changes.SelectMany(p => p.DeletedPaths).ToList();
        Assert.Contains("/archive", deleted);
        Assert.DoesNotContain(deleted, p => p.StartsWith("/archive/", StringComparison.Ordinal));
        Assert.Contains("/projects", deleted);
        var moved = changes.SelectMany(p => p.Records).OfType<RemoteFile>().Single(f => f.RemoteId == inAlpha.Id);
        Assert.Equal($"/work/alpha/{inAlpha.Name}", moved.Path);
        Assert.Equal(alpha.Id, moved.FolderRemoteId);
        Assert.All(changes, p => Assert.False(p.IsFullSnapshot));
        Assert.True(changes[^1].IsFinal);
        _bed.Bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_reset_cursor_starts_a_full_read_over()
    {
        var full = await ReadAsync(null);
        _bed.Fake.ResetCursors();

        var again = await ReadAsync(full[^1].Cursor);

        Assert.All(again, p => Assert.True(p.IsFullSnapshot));
        Assert.Equal(_bed.Fake.Tree.Files.Count, again.SelectMany(p => p.Records).OfType<RemoteFile>().Select(f => f.RemoteId).Distinct().Count());
        Assert.StartsWith("feed:", again[^1].Cursor, StringComparison.Ordinal);
        _bed.Bed.World.AssertConformant();
    }

    [Fact]
    public async Task Uploads_with_names_outside_ascii_or_taken_are_sent_header_safe_and_renamed()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = _bed.Fake.Tree.Folders.Single(f => f.Name == "Projects").Id;
        var bytes = Encoding.UTF8.GetBytes("ça va\n");

        var first = await _bed.Connector.UploadAsync(_bed.Bed.Context, new FileUpload("résumé.txt", folder, null, "text/plain", null, bytes.Length), new MemoryStream(bytes), ct);
        var second = await _bed.Connector.UploadAsync(_bed.Bed.Context, new FileUpload("résumé.txt", folder, null, "text/plain", null, bytes.Length), new MemoryStream(bytes), ct);

        Assert.Equal("résumé.txt", first.File.Name);
        Assert.Equal("résumé (1).txt", second.File.Name);
        Assert.Equal("/projects/résumé (1).txt", second.File.Path);
        Assert.Equal(folder, second.File.FolderRemoteId);
        _bed.Bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_folder_that_already_exists_is_an_invalid_request()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _bed.Connector.CreateFolderAsync(_bed.Bed.Context, "Projects", null, null, TestContext.Current.CancellationToken));

        Assert.Equal(ProviderErrorKind.InvalidRequest, error.Kind);
        _bed.Bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_download_names_the_file_and_its_type()
    {
        var id = _bed.Fake.Tree.Files.First(f => f.Name == "file-004.txt").Id;

        await using var content = await _bed.Connector.DownloadAsync(_bed.Bed.Context, id, null, null, TestContext.Current.CancellationToken);
        using var reader = new StreamReader(content.Body);

        Assert.Equal(("file-004.txt", "text/plain"), (content.FileName, content.ContentType));
        Assert.Equal("content of file 4\n", await reader.ReadToEndAsync(TestContext.Current.CancellationToken));
        _bed.Bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_paper_document_is_listed_as_one_and_downloads_as_its_export()
    {
        var ct = TestContext.Current.CancellationToken;
        var doc = _bed.Fake.Tree.AddNativeDocument("Plan.paper", "application/vnd.dropbox.paper", "# Plan\nShip it & celebrate\n");

        var listed = File(await ReadAsync(null), "Plan.paper");
        await using var plain = await _bed.Connector.DownloadAsync(_bed.Bed.Context, doc.Id, null, null, ct);
        await using var html = await _bed.Connector.DownloadAsync(_bed.Bed.Context, doc.Id, "text/html", null, ct);
        var wrong = await Assert.ThrowsAsync<ProviderException>(() => _bed.Connector.DownloadAsync(_bed.Bed.Context, doc.Id, "application/pdf", null, ct));

        Assert.Equal("application/vnd.dropbox.paper", listed.MimeType);
        Assert.Equal(["text/markdown", "text/html"], _bed.Connector.ExportFormats(listed.MimeType!));
        Assert.Equal(("Plan.md", "text/markdown"), (plain.FileName, plain.ContentType));
        Assert.Equal("# Plan\nShip it & celebrate\n", await new StreamReader(plain.Body).ReadToEndAsync(ct));
        Assert.Equal(("Plan.html", "text/html"), (html.FileName, html.ContentType));
        Assert.Contains("Ship it &amp; celebrate", await new StreamReader(html.Body).ReadToEndAsync(ct), StringComparison.Ordinal);
        Assert.Equal(ProviderErrorKind.InvalidRequest, wrong.Kind);
        _bed.Bed.World.AssertConformant();
    }

    [Fact]
    public async Task Changes_made_while_a_full_read_pages_arrive_in_the_next_incremental_read()
    {
        var ct = TestContext.Current.CancellationToken;
        var tree = _bed.Fake.Tree;
        var pages = new List<ChangePage>();
        string? added = null;
        var renamed = tree.Files[0].Id;
        await foreach (var page in _bed.Connector.ReadChangesAsync(_bed.Bed.Context, null, ct))
        {
            pages.Add(page);
            if (pages.Count == 3)
            {
                // The first read is half way: something already listed changes, something new appears.
                tree.Rename(renamed, "renamed-during-read.txt");
                added = tree.AddFile("added-during-read.txt", Fakes.FakeContent.Of("x"u8.ToArray()), null, "text/plain").Id;
            }
        }

        var next = await ReadAsync(pages[^1].Cursor);

        var records = next.SelectMany(p => p.Records).OfType<RemoteFile>().ToList();
        Assert.Contains(records, f => f.RemoteId == renamed && f.Name == "renamed-during-read.txt");
        Assert.Contains(records, f => f.RemoteId == added);
        _bed.Bed.World.AssertConformant();
    }
}
