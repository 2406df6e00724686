using Tributary.Integrations.FileStorage;

namespace Tributary.Server.Tests.Connectors.Box;

/// <summary>Box specifics beyond the compliance suite: token without admin rights, duplicate events, commit 202, no token on the download host.</summary>
public sealed class BoxConnectorTests
{
    [Fact]
    public async Task Without_admin_rights_the_read_reports_the_linking_user_and_no_groups()
    {
        var (bed, fake) = await BoxTestBed.StartAsync(10, f => f.EnterpriseAdmin = false);
        await using var _ = bed;

        var records = await ReadAllAsync(bed, null);

        Assert.Equal(["user-me"], records.OfType<RemoteUser>().Select(u => u.RemoteId));
        Assert.Empty(records.OfType<RemoteGroup>());
        Assert.Equal(bed.World.FileIds.Order(), records.OfType<RemoteFile>().Select(f => f.RemoteId).Order());
        Assert.Contains(fake.Host.Requests, r => r.Path == "/2.0/users" && r.Status == 403);
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task An_admin_read_reports_enterprise_users_groups_with_members_and_group_permissions()
    {
        var (bed, _) = await BoxTestBed.StartAsync(10);
        await using var __ = bed;

        var records = await ReadAllAsync(bed, null);

        Assert.Equal(3, records.OfType<RemoteUser>().Select(u => u.RemoteId).Distinct().Count());
        Assert.All(records.OfType<RemoteUser>(), u => Assert.Equal(u.RemoteId == "user-me", u.IsMe)); // the enterprise list repeats "me"
        var group = Assert.Single(records.OfType<RemoteGroup>());
        Assert.Equal(["user-me", "user-2"], group.UserRemoteIds);
        var alpha = records.OfType<RemoteFolder>().Single(f => f.Name == "Alpha");
        Assert.Contains(alpha.Permissions, p => p.Type == PermissionType.Group && p.GroupRemoteId == "group-1" && p.Roles.Contains(PermissionRole.Write));
        Assert.Contains(records.OfType<RemoteFile>().SelectMany(f => f.Permissions), p => p.Type == PermissionType.Company);
        Assert.Contains(records.OfType<RemoteFile>().SelectMany(f => f.Permissions), p => p.Type == PermissionType.User && p.UserRemoteId == "user-2" && p.Roles.SequenceEqual([PermissionRole.Read]));
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task Changes_during_the_first_walk_are_replayed_and_duplicate_events_are_harmless()
    {
        var (bed, fake) = await BoxTestBed.StartAsync(2);
        await using var __ = bed;
        var ct = TestContext.Current.CancellationToken;
        string? cursor = null;
        string? added = null;
        await foreach (var page in bed.Connector.ReadChangesAsync(bed.Context, null, ct))
        {
            // A file appears after the stream position was taken, while the walk is under way.
            added ??= await bed.World.AddFileAsync("during-walk.txt", "x"u8.ToArray(), null);
            cursor = page.Cursor;
        }
        var files = bed.World.FileIds.Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < 5; i++)
        {
            await bed.World.RenameAsync(files[i], $"renamed-{i}.txt");
        }

        var pages = new List<ChangePage>();
        await foreach (var page in bed.Connector.ReadChangesAsync(bed.Context, cursor, ct))
        {
            pages.Add(page);
        }

        var records = pages.SelectMany(p => p.Records).OfType<RemoteFile>().ToList();
        Assert.Contains(records, f => f.RemoteId == added);
        Assert.All(Enumerable.Range(0, 5), i => Assert.Contains(records, f => f.RemoteId == files[i] && f.Name == $"renamed-{i}.txt"));
        Assert.True(pages.Count > 2);
        Assert.True(pages[^1].IsFinal);
        Assert.True(fake.DuplicateEvents);
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_commit_Box_is_still_processing_is_retried_after_its_wait()
    {
        var (bed, fake) = await BoxTestBed.StartAsync(10, f => f.CommitsToDelay = 1);
        await using var __ = bed;
        var bytes = new byte[(2 * 1024 * 1024) + 17];
        new Random(5).NextBytes(bytes);

        var uploaded = await bed.Connector.UploadAsync(bed.Context, new FileUpload("big.bin", bed.World.FolderId("Archive"), null, null, null, bytes.Length),
            new MemoryStream(bytes), TestContext.Current.CancellationToken);

        Assert.Equal(bytes, await bed.World.ReadAsync(uploaded.File.RemoteId));
        Assert.Equal(bed.World.FolderId("Archive"), uploaded.File.FolderRemoteId);
        Assert.Equal(2, fake.Host.Requests.Count(r => r.Path.EndsWith("/commit", StringComparison.Ordinal)));
        Assert.Equal(3, fake.Host.Requests.Count(r => r.Method == "PUT"));
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_download_follows_Box_redirect_without_sending_the_token_to_the_download_host()
    {
        var (bed, fake) = await BoxTestBed.StartAsync(10);
        await using var __ = bed;
        var id = await bed.World.AddFileAsync("plain.txt", "hello box"u8.ToArray(), null);

        await using var content = await bed.Connector.DownloadAsync(bed.Context, id, null, null, TestContext.Current.CancellationToken);
        using var copy = new MemoryStream();
        await content.Body.CopyToAsync(copy, TestContext.Current.CancellationToken);

        Assert.Equal("hello box"u8.ToArray(), copy.ToArray());
        Assert.Equal("plain.txt", content.FileName);
        var download = Assert.Single(fake.Downloads);
        Assert.Null(download.Authorization);
        Assert.Contains(fake.Host.Requests, r => r.Path == $"/2.0/files/{id}/content" && r.Status == 302 && r.Headers.ContainsKey("Authorization"));
        await Assert.ThrowsAsync<ProviderException>(() => bed.Connector.DownloadAsync(bed.Context, id, "application/pdf", null, TestContext.Current.CancellationToken));
        bed.World.AssertConformant();
    }

    private static async Task<List<RemoteRecord>> ReadAllAsync(Compliance.ConnectorTestBed bed, string? cursor)
    {
        var records = new List<RemoteRecord>();
        await foreach (var page in bed.Connector.ReadChangesAsync(bed.Context, cursor, TestContext.Current.CancellationToken))
        {
            records.AddRange(page.Records);
        }
        return records;
    }
}
