using System.Text.Json;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Providers.MicrosoftGraph;
using Tributary.Server.Tests.Connectors.Compliance;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Connectors.Specs;

namespace Tributary.Server.Tests.Connectors.MicrosoftGraph;

/// <summary>Graph behaviours beyond the shared compliance suite: 410 resync, throttled batches, redirects, export, rotation, SharePoint libraries.</summary>
public sealed class GraphConnectorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_expired_delta_token_restarts_the_read_as_a_full_snapshot()
    {
        var (bed, fake) = await GraphTestBed.StartAsync(GraphFlavor.OneDrive, 10);
        await using var _ = bed;
        var full = await ReadAsync(bed, null);
        var gone = fake.Tree.Files[0].Id;
        fake.Tree.Delete(gone);
        fake.ExpireDeltaTokens();

        var again = await ReadAsync(bed, full[^1].Cursor);

        Assert.Contains(fake.World().Requests, r => r.Status == 410);
        var snapshot = again.SkipWhile(p => !p.IsFullSnapshot).ToList();
        Assert.NotEmpty(snapshot);
        Assert.All(snapshot, p => Assert.True(p.IsFullSnapshot));
        Assert.True(again[^1].IsFinal);
        Assert.Equal(fake.Tree.Files.Select(f => f.Id).Order(), snapshot.SelectMany(p => p.Records).OfType<RemoteFile>().Select(f => f.RemoteId).Distinct().Order());
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_full_read_costs_one_permissions_batch_per_delta_page_instead_of_a_request_per_item()
    {
        var (bed, fake) = await GraphTestBed.StartAsync(GraphFlavor.OneDrive, 10);
        await using var _ = bed;

        await ReadAsync(bed, null);

        var requests = bed.World.Requests.Where(r => r.Path.StartsWith("/v1.0/", StringComparison.Ordinal)).ToList();
        var deltaPages = requests.Count(r => r.Path.EndsWith("/delta", StringComparison.Ordinal));
        var batches = requests.Count(r => r.Path == "/v1.0/$batch");
        // Per delta page one $batch of permissions; one more for group members; me, users, groups, me/drive, me/drives, the root.
        Assert.Equal(deltaPages + 1, batches);
        Assert.Equal(deltaPages + batches + 6, requests.Count);
        Assert.True(requests.Count < fake.Tree.Items.Count, $"{requests.Count} requests for {fake.Tree.Items.Count} items");
        TestContext.Current.TestOutputHelper?.WriteLine($"{fake.Tree.Items.Count} items: {requests.Count} requests ({deltaPages} delta pages, {batches} batches)");
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task Batch_sub_requests_throttled_on_their_own_are_retried_after_their_wait()
    {
        var (bed, fake) = await GraphTestBed.StartAsync(GraphFlavor.OneDrive, 10);
        await using var _ = bed;
        fake.ThrottleBatchSubRequests(3);

        var records = (await ReadAsync(bed, null)).SelectMany(p => p.Records).ToList();

        Assert.All(records.OfType<RemoteFile>(), f => Assert.NotEmpty(f.Permissions));
        var batches = bed.World.Requests.Where(r => r.Path == "/v1.0/$batch").ToList();
        Assert.Contains(batches.Zip(batches.Skip(1)), pair => pair.Second.At - pair.First.At >= TimeSpan.FromMilliseconds(950));
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_client_that_does_not_follow_redirects_downloads_from_the_preauthenticated_url_without_the_token()
    {
        var fake = await GraphFake.StartAsync(GraphFlavor.OneDrive, 10, GraphSpecValidator.Create());
        await using var world = fake.World();
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var connector = new OneDriveConnector(fake.Integration(), http, TimeProvider.System, GraphTestBed.Options);
        var file = fake.Tree.Files[0];

        await using var content = await connector.DownloadAsync(new ConnectorContext(Guid.NewGuid(), fake.Tokens.Grant()), file.Id, null, new ByteRange(2, 5), Ct);
        using var copy = new MemoryStream();
        await content.Body.CopyToAsync(copy, Ct);

        Assert.Equal(file.Content!.ToArray()[2..6], copy.ToArray());
        Assert.Equal(new ByteRange(2, 5), content.Range);
        var preauthenticated = Assert.Single(world.Requests, r => r.Path.StartsWith("/_preauth/download/", StringComparison.Ordinal));
        Assert.False(preauthenticated.Headers.ContainsKey("Authorization"));
        Assert.Equal(206, preauthenticated.Status);
        world.AssertConformant();
    }

    [Fact]
    public async Task Office_documents_also_export_to_pdf()
    {
        var (bed, fake) = await GraphTestBed.StartAsync(GraphFlavor.SharePoint, 10);
        await using var _ = bed;
        const string docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        var file = fake.Tree.AddFile("report.docx", FakeContent.Of("PK fake docx"u8.ToArray()), null, docx);

        Assert.Equal([docx, "application/pdf"], bed.Connector.ExportFormats(docx));
        Assert.Empty(bed.Connector.ExportFormats("text/plain"));
        await using var pdf = await bed.Connector.DownloadAsync(bed.Context, file.Id, "application/pdf", null, Ct);
        using var reader = new StreamReader(pdf.Body);

        Assert.StartsWith("%PDF", await reader.ReadToEndAsync(Ct), StringComparison.Ordinal);
        Assert.Equal("application/pdf", pdf.ContentType);
        Assert.Contains(bed.World.Requests, r => r.Path.EndsWith("/content", StringComparison.Ordinal) && r.Query.GetValueOrDefault("format") == "pdf");
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task Rotated_refresh_tokens_are_kept_so_a_second_refresh_works()
    {
        var (bed, fake) = await GraphTestBed.StartAsync(GraphFlavor.OneDrive, 10);
        await using var _ = bed;
        var firstRefreshToken = bed.Credentials.Current.GetProperty("refresh_token").GetString();

        fake.Tokens.ExpireAccessTokens();
        await ReadAsync(bed, null);
        var rotated = bed.Credentials.Current.GetProperty("refresh_token").GetString();
        fake.Tokens.ExpireAccessTokens();
        await ReadAsync(bed, null);

        Assert.Equal(2, fake.Tokens.RefreshRequests);
        Assert.NotEqual(firstRefreshToken, rotated);
        Assert.NotEqual(rotated, bed.Credentials.Current.GetProperty("refresh_token").GetString());
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task A_personal_account_without_directory_access_syncs_its_files_and_itself()
    {
        var (bed, fake) = await GraphTestBed.StartAsync(GraphFlavor.OneDrive, 10);
        await using var _ = bed;
        fake.DirectoryAvailable = false;

        var records = (await ReadAsync(bed, null)).SelectMany(p => p.Records).ToList();

        var me = Assert.Single(records.OfType<RemoteUser>());
        Assert.True(me.IsMe);
        Assert.Equal("ada@example.com", me.EmailAddress);
        Assert.Empty(records.OfType<RemoteGroup>());
        Assert.Equal(fake.Tree.Files.Count, records.OfType<RemoteFile>().Count());
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task Users_and_groups_are_read_with_members_and_is_me_kept()
    {
        var (bed, _) = await GraphTestBed.StartAsync(GraphFlavor.SharePoint, 10);
        await using var __ = bed;

        var records = (await ReadAsync(bed, null)).SelectMany(p => p.Records).ToList();

        Assert.Equal(["user-me"], records.OfType<RemoteUser>().Where(u => u.IsMe).Select(u => u.RemoteId).Distinct());
        Assert.Equal(3, records.OfType<RemoteUser>().Select(u => u.RemoteId).Distinct().Count());
        var group = Assert.Single(records.OfType<RemoteGroup>());
        Assert.Equal(["user-me", "user-2"], group.UserRemoteIds);
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task SharePoint_reports_each_document_library_as_a_drive_with_its_own_items()
    {
        var (bed, fake) = await GraphTestBed.StartAsync(GraphFlavor.SharePoint, 10);
        await using var _ = bed;

        var records = (await ReadAsync(bed, null)).SelectMany(p => p.Records).ToList();

        Assert.Equal(fake.Tree.Drives.Select(d => d.Id).Order(), records.OfType<RemoteDrive>().Select(d => d.RemoteId).Order());
        var marketing = fake.Tree.Drives[1].Id;
        var plan = Assert.Single(records.OfType<RemoteFile>(), f => f.Name == "launch-plan.txt");
        Assert.Equal(marketing, plan.DriveRemoteId);
        Assert.Equal(fake.Tree.Folders.Single(f => f.Name == "Campaigns").Id, plan.FolderRemoteId);
        await using var content = await bed.Connector.DownloadAsync(bed.Context, plan.RemoteId, null, null, Ct);
        Assert.Equal("launch on monday\n", await new StreamReader(content.Body).ReadToEndAsync(Ct));
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task An_upload_of_unknown_length_is_spooled_and_sent_in_fragments_and_name_conflicts_are_renamed()
    {
        var (bed, fake) = await GraphTestBed.StartAsync(GraphFlavor.OneDrive, 10);
        await using var _ = bed;
        var bytes = new byte[(int)(GraphTestBed.Options.SimpleUploadLimit + 5000)];
        new Random(5).NextBytes(bytes);

        var uploaded = await bed.Connector.UploadAsync(bed.Context, new FileUpload("file-000.txt", null, null, null, null, null), new MemoryStream(bytes), Ct);
        var folder = await bed.Connector.CreateFolderAsync(bed.Context, "Projects", null, null, Ct);

        Assert.Equal("file-000 1.txt", uploaded.File.Name);
        Assert.Null(uploaded.File.FolderRemoteId);
        Assert.Equal(bytes, fake.Tree.Find(uploaded.File.RemoteId)!.Content!.ToArray());
        Assert.True(bed.World.Requests.Count(r => r.Path.StartsWith("/_preauth/upload/", StringComparison.Ordinal)) >= 4);
        Assert.Equal("Projects 1", folder.Name);
        Assert.Null(folder.ParentRemoteId);
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task The_requested_scopes_are_Graph_permissions_that_need_no_admin_consent()
    {
        using var permissions = JsonDocument.Parse(await File.ReadAllTextAsync(ProviderSpecs.File("microsoft-graph/graph-permissions.json"), Ct));
        var catalog = Tributary.Integrations.Catalog.IntegrationCatalog.LoadEmbedded();
        foreach (var (slug, scheme) in new[] { ("onedrive", "DelegatedPersonal"), ("onedrive", "DelegatedWork"), ("sharepoint", "DelegatedWork") })
        {
            var auth = catalog.Find(slug)!.Auth;
            foreach (var scope in auth.Scopes.Concat(auth.WriteScopes).Where(s => s != "offline_access"))
            {
                Assert.True(permissions.RootElement.GetProperty("permissions").TryGetProperty(scope, out var permission), $"{scope} is not a Graph permission");
                Assert.True(permission.GetProperty("schemes").TryGetProperty(scheme, out var entry), $"{slug}: {scope} does not exist for {scheme}");
                Assert.False(entry.GetProperty("requiresAdminConsent").GetBoolean(), $"{slug}: {scope} needs admin consent for {scheme}");
            }
        }
        Assert.Contains("/common/", catalog.Find("onedrive")!.Auth.TokenUrl, StringComparison.Ordinal);
        Assert.Contains("/organizations/", catalog.Find("sharepoint")!.Auth.TokenUrl, StringComparison.Ordinal);
    }

    private static async Task<List<ChangePage>> ReadAsync(ConnectorTestBed bed, string? cursor)
    {
        var pages = new List<ChangePage>();
        await foreach (var page in bed.Connector.ReadChangesAsync(bed.Context, cursor, Ct))
        {
            pages.Add(page);
            Assert.True(pages.Count < 500, "the change feed does not end");
        }
        return pages;
    }
}
