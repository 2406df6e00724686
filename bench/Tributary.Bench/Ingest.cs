using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Tributary.Data;
using Tributary.Integrations.Catalog;
using Tributary.Integrations.FileStorage;
using Tributary.Server.FileStorage;
using Tributary.Server.Hosting;
using Tributary.Server.Linking;
using Tributary.Server.Sync;

namespace Tributary.Bench;

/// <summary>
/// Full-sync ingest: the real sync path (LoopbackConnector over HTTP through ProviderHttp → StoreMapper
/// → batched upserts with the checkpoint in each page's transaction) pulling N files from a provider
/// fake on 127.0.0.1, against a raw bulk insert of the same mapped rows (one prepared INSERT, 100k-row
/// transactions, same indexes) into a fresh store. The fake generates pages on the fly, so neither side
/// holds the data set in memory; peak RSS is sampled while the sync runs.
/// </summary>
internal static class Ingest
{
    private const int PageSize = 1000;

    public static async Task RunAsync(string dataRoot, int files)
    {
        Console.WriteLine($"## ingest: full sync of {files:N0} files vs raw bulk insert of the same rows (SQLite)");
        await using var provider = await StartProviderAsync(files);

        // The sync through the product.
        var syncDirectory = Fresh(Path.Combine(dataRoot, "ingest-sync"));
        Environment.SetEnvironmentVariable("Tributary__DataDirectory", syncDirectory);
        Environment.SetEnvironmentVariable("Sync__RunJobs", "false");
        Environment.SetEnvironmentVariable("Sync__LoopbackProviderUrl", provider.Url);
        Environment.SetEnvironmentVariable("Integrations__loopback__ClientId", "bench");
        Environment.SetEnvironmentVariable("Integrations__loopback__ClientSecret", "bench");
        var app = TributaryServer.Build(["--urls", "http://127.0.0.1:0"]);
        await using (app)
        {
            await TributaryServices.MigrateAsync(app.Services, CancellationToken.None);
            var accountId = await LinkAsync(app.Services);
            Stats.ResetPeak();
            var (rssBefore, _) = Stats.Memory();
            long peakDuring = 0;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peakDuring = Math.Max(peakDuring, Stats.Memory().Rss);
                    await Task.Delay(100);
                }
            });
            var watch = Stopwatch.StartNew();
            SyncOutcome outcome;
            await using (var scope = app.Services.CreateAsyncScope())
            {
                outcome = await scope.ServiceProvider.GetRequiredService<SyncRunner>().RunAsync(accountId, false, CancellationToken.None);
            }
            var syncTime = watch.Elapsed;
            await sampling.CancelAsync();
            await sampler;
            if (outcome.Error is not null || outcome.Records != files + 1)
            {
                throw new InvalidOperationException($"The sync did not ingest everything: {outcome}");
            }
            var syncRate = files / syncTime.TotalSeconds;
            Console.WriteLine($"sync:     {files:N0} files in {Stats.F(syncTime.TotalSeconds, 1)} s = {syncRate:N0} rows/s, " +
                $"{Math.Ceiling(files / (double)PageSize):N0} pages of {PageSize}; RSS before {rssBefore / 1e6:N0} MB, peak during {peakDuring / 1e6:N0} MB");

            // The baseline: the same rows, mapped by the same StoreMapper, inserted raw into a fresh store.
            var rawDirectory = Fresh(Path.Combine(dataRoot, "ingest-raw"));
            Environment.SetEnvironmentVariable("Tributary__DataDirectory", rawDirectory);
            var raw = TributaryServer.Build(["--urls", "http://127.0.0.1:0"]);
            await using (raw)
            {
                await TributaryServices.MigrateAsync(raw.Services, CancellationToken.None);
                var rawAccount = await LinkAsync(raw.Services);
                var rawTime = await RawInsertAsync(Path.Combine(rawDirectory, "tributary.db"), rawAccount, files);
                var rawRate = files / rawTime.TotalSeconds;
                Console.WriteLine($"raw:      {files:N0} rows in {Stats.F(rawTime.TotalSeconds, 1)} s = {rawRate:N0} rows/s");
                Console.WriteLine($"ratio:    sync / raw = {Stats.F(syncRate / rawRate)} (goal >= 0.5)");
            }
        }
    }

    private static string Fresh(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
        Directory.CreateDirectory(directory);
        return directory;
    }

    private static async Task<Guid> LinkAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        var time = scope.ServiceProvider.GetRequiredService<TimeProvider>();
        var org = new Tributary.Data.Entities.Organization { Id = Guid.CreateVersion7(time.GetUtcNow()), Name = "Ingest", CreatedAt = time.GetUtcNow().UtcDateTime };
        db.Organizations.Add(org);
        await db.SaveChangesAsync();
        var loopback = scope.ServiceProvider.GetRequiredService<IntegrationCatalog>().Find("loopback")!;
        var (account, _) = await scope.ServiceProvider.GetRequiredService<LinkFlow>().LinkDirectlyAsync(org.Id, loopback, "ingest", "ingest@example.com", "Ingest",
            JsonSerializer.SerializeToElement(new { access_token = "bench-token" }), CancellationToken.None);
        return account.Id;
    }

    private static RemoteFile File(int i) => new($"file-{i:D8}", $"report-{i}.txt", null, null, 1000L + i, "text/plain", null,
        $"folder-{i % 1000:D4}", "drive-1", null, [], new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static async Task<TimeSpan> RawInsertAsync(string database, Guid account, int count)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        await connection.OpenAsync();
        using (var pragmas = connection.CreateCommand())
        {
            // The product's own settings: WAL, synchronous=NORMAL.
            pragmas.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
            pragmas.ExecuteNonQuery();
        }
        var columns = new[]
        {
            "id", "name", "file_url", "file_thumbnail_url", "size", "mime_type", "description", "folder_id", "drive_id",
            "checksum_json", "permissions_json", "remote_created_at", "remote_updated_at", "linked_account_id", "remote_id",
            "remote_was_deleted", "remote_data_json", "fingerprint", "seen_in_full_read", "created_at", "modified_at", "list_json",
        };
        await using var insert = connection.CreateCommand();
        insert.CommandText = $"INSERT INTO fs_files ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => "$p" + i))})";
        var p = columns.Select((_, i) => insert.Parameters.Add(new SqliteParameter("$p" + i, null))).ToArray();
        insert.Prepare();
        var stamp = new DateTime(2026, 11, 22, 0, 0, 0, DateTimeKind.Utc);
        var now = Seeder.Timestamp(stamp);
        var watch = Stopwatch.StartNew();
        var transaction = connection.BeginTransaction();
        insert.Transaction = transaction;
        for (var i = 0; i < count; i++)
        {
            var row = StoreMapper.ToFile(account, File(i));
            row.CreatedAt = stamp;
            row.ModifiedAt = stamp;
            p[0].Value = Seeder.Uuid(row.Id);
            p[1].Value = (object?)row.Name ?? DBNull.Value;
            p[2].Value = DBNull.Value;
            p[3].Value = DBNull.Value;
            p[4].Value = (object?)row.Size ?? DBNull.Value;
            p[5].Value = (object?)row.MimeType ?? DBNull.Value;
            p[6].Value = DBNull.Value;
            p[7].Value = row.FolderId is { } folder ? Seeder.Uuid(folder) : DBNull.Value;
            p[8].Value = row.DriveId is { } drive ? Seeder.Uuid(drive) : DBNull.Value;
            p[9].Value = (object?)row.ChecksumJson ?? DBNull.Value;
            p[10].Value = (object?)row.PermissionsJson ?? DBNull.Value;
            p[11].Value = row.RemoteCreatedAt is { } c ? Seeder.Timestamp(c) : DBNull.Value;
            p[12].Value = row.RemoteUpdatedAt is { } u ? Seeder.Timestamp(u) : DBNull.Value;
            p[13].Value = Seeder.Uuid(account);
            p[14].Value = row.RemoteId;
            p[15].Value = 0;
            p[16].Value = (object?)row.RemoteDataJson ?? DBNull.Value;
            p[17].Value = row.Fingerprint;
            p[18].Value = 1;
            p[19].Value = now;
            p[20].Value = now;
            // The stored rendering the sync writes with every row (ADR 0019), rendered the same way.
            p[21].Value = RenderedRows.Render(row);
            insert.ExecuteNonQuery();
            if ((i + 1) % Seeder.Transaction == 0)
            {
                transaction.Commit();
                transaction.Dispose();
                transaction = connection.BeginTransaction();
                insert.Transaction = transaction;
            }
        }
        transaction.Commit();
        transaction.Dispose();
        return watch.Elapsed;
    }

    private sealed class Provider(WebApplication app, string url) : IAsyncDisposable
    {
        public string Url => url;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>The loopback protocol's full read over <paramref name="files"/> generated files (and their drive), page by page.</summary>
    private static async Task<Provider> StartProviderAsync(int files)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/changes", (HttpRequest request) =>
        {
            var cursor = request.Query["cursor"].ToString();
            var offset = cursor.StartsWith("full:", StringComparison.Ordinal) ? int.Parse(cursor.AsSpan(5), CultureInfo.InvariantCulture) : 0;
            var end = Math.Min(offset + PageSize, files);
            var records = new List<object>(PageSize + 1);
            if (offset == 0)
            {
                records.Add(new { type = "drive", id = "drive-1", name = "Main drive" });
            }
            for (var i = offset; i < end; i++)
            {
                var f = File(i);
                records.Add(new { type = "file", id = f.RemoteId, name = f.Name, parent = f.FolderRemoteId, drive = f.DriveRemoteId, size = f.Size, mime_type = f.MimeType, modified = "2026-01-01T00:00:00Z" });
            }
            var last = end >= files;
            return Results.Json(new { records, deleted = Array.Empty<object>(), cursor = last ? "log:0" : $"full:{end}", final = last, full = true });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Provider(app, address);
    }
}
