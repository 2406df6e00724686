using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Tributary.Data;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.FileStorage;
using Tributary.Server.Sync;

namespace Tributary.Bench;

/// <summary>
/// Fast bulk path straight into the SQLite store: rows shaped like <see cref="StoreMapper.ToFile"/>'s
/// output (StoreIds-derived ids and references, checksum and permissions JSON, a fingerprint), in the
/// encoding EF Core's SQLite provider uses (uppercase TEXT uuids, TEXT <c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c>
/// timestamps). One prepared INSERT, 100k-row transactions; fs_files' secondary indexes are dropped
/// for the load and re-created afterwards from their own stored SQL (a sort per index, not random
/// B-tree inserts), so the schema ends exactly as the migrations made it.
/// </summary>
internal static class Seeder
{
    public const int Transaction = 100_000;
    public static readonly DateTime FirstCreatedAt = new(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc);

    public static string Timestamp(DateTime value) => value.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
    public static string Uuid(Guid value) => value.ToString().ToUpperInvariant();

    public static async Task SeedAsync(BenchState state, int count)
    {
        var account = state.LinkedAccountId;
        await using var connection = new SqliteConnection($"Data Source={BenchHost.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        Exec(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; PRAGMA foreign_keys=OFF;");

        var indexes = new List<(string Name, string Sql)>();
        await using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='fs_files' AND sql IS NOT NULL";
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                indexes.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        foreach (var (name, _) in indexes)
        {
            Exec(connection, $"DROP INDEX \"{name}\"");
        }

        var columns = new[]
        {
            "id", "name", "file_url", "file_thumbnail_url", "size", "mime_type", "description", "folder_id", "drive_id",
            "checksum_json", "permissions_json", "remote_created_at", "remote_updated_at", "linked_account_id", "remote_id",
            "remote_was_deleted", "remote_data_json", "fingerprint", "created_at", "modified_at", "list_json",
        };
        await using var insert = connection.CreateCommand();
        insert.CommandText = $"INSERT INTO fs_files ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => "$p" + i))})";
        var p = columns.Select((_, i) => insert.Parameters.Add(new SqliteParameter("$p" + i, null))).ToArray();
        insert.Prepare();

        var accountText = Uuid(account);
        var drive = StoreIds.For(account, StoreMapper.DriveModel, "drive-bench");
        var driveText = Uuid(drive);
        var owner = StoreIds.For(account, StoreMapper.UserModel, "user-owner");
        var folderIds = Enumerable.Range(0, 2_000).Select(i => StoreIds.For(account, StoreMapper.FolderModel, $"folder-{i:D5}")).ToArray();
        var folders = folderIds.Select(Uuid).ToArray();
        string[] mimeTypes = ["application/pdf", "image/jpeg", "text/plain", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "video/mp4"];
        string[] extensions = ["pdf", "jpg", "txt", "docx", "mp4"];
        var random = new Random(20261122);
        Span<byte> remoteBytes = stackalloc byte[21];
        Span<byte> hash = stackalloc byte[32];

        var watch = Stopwatch.StartNew();
        var transaction = connection.BeginTransaction();
        insert.Transaction = transaction;
        for (var i = 0; i < count; i++)
        {
            random.NextBytes(remoteBytes);
            var remoteId = Convert.ToBase64String(remoteBytes).Replace('+', '-').Replace('/', '_'); // 28 chars, like a Drive id
            var kind = random.Next(mimeTypes.Length);
            var name = $"document-{i:D7}.{extensions[kind]}";
            var url = $"https://drive.example.com/file/d/{remoteId}/view";
            var size = random.NextInt64(1_000, 50_000_000);
            var created = FirstCreatedAt.AddTicks(i * 15 * TimeSpan.TicksPerSecond + random.NextInt64(TimeSpan.TicksPerSecond * 10));
            var remoteCreated = created.AddDays(-random.Next(1, 900)).AddTicks(-random.NextInt64(TimeSpan.TicksPerDay));
            var remoteUpdated = remoteCreated.AddTicks(random.NextInt64(TimeSpan.TicksPerDay * 30));
            random.NextBytes(hash);
            var contentHash = Convert.ToHexStringLower(hash);
            var permission = StoreIds.For(account, StoreMapper.PermissionModel, remoteId + "\nperm-owner");
            var remoteData = $$$"""[{"path":"/files/{{{remoteId}}}","data":{"kind":"drive#file","id":"{{{remoteId}}}","name":"{{{name}}}","mimeType":"{{{mimeTypes[kind]}}}","parents":["{{{folders[i % folders.Length][..8]}}}"],"size":"{{{size}}}","md5Checksum":"{{{contentHash[..32]}}}","ownedByMe":true,"shared":false,"starred":false,"trashed":false,"viewersCanCopyContent":true,"version":"{{{random.Next(1, 500)}}}"}}]""";

            var folder = random.Next(10) < 8 ? folderIds[random.Next(folders.Length)] : (Guid?)null;
            // The rendering the sync stores with every row (RenderedRows), from the same values.
            var file = new StoredFile
            {
                Id = StoreIds.For(account, StoreMapper.FileModel, remoteId), LinkedAccountId = account, RemoteId = remoteId, Name = name,
                FileUrl = url, Size = size, MimeType = mimeTypes[kind], FolderId = folder, DriveId = drive,
                ChecksumJson = $$"""{"type":"sha256","content_hash":"{{contentHash}}"}""",
                PermissionsJson = $$"""[{"id":"{{permission}}","remoteId":"perm-owner","type":"USER","user":"{{owner}}","group":null,"roles":["OWNER"]}]""",
                RemoteCreatedAt = remoteCreated, RemoteUpdatedAt = remoteUpdated, Fingerprint = [], CreatedAt = created, ModifiedAt = created,
            };

            p[0].Value = Uuid(file.Id);
            p[1].Value = name;
            p[2].Value = url;
            p[3].Value = DBNull.Value;
            p[4].Value = size;
            p[5].Value = mimeTypes[kind];
            p[6].Value = DBNull.Value;
            p[7].Value = folder is { } f ? Uuid(f) : DBNull.Value;
            p[8].Value = driveText;
            p[9].Value = file.ChecksumJson;
            p[10].Value = file.PermissionsJson;
            p[11].Value = Timestamp(remoteCreated);
            p[12].Value = Timestamp(remoteUpdated);
            p[13].Value = accountText;
            p[14].Value = remoteId;
            p[15].Value = 0;
            p[16].Value = remoteData;
            p[17].Value = SHA256.HashData(Encoding.UTF8.GetBytes(remoteData));
            p[18].Value = Timestamp(created);
            p[19].Value = Timestamp(created);
            p[20].Value = RenderedRows.Render(file);
            insert.ExecuteNonQuery();

            if ((i + 1) % Transaction == 0 || i + 1 == count)
            {
                transaction.Commit();
                transaction.Dispose();
                Console.WriteLine($"  seeded {i + 1:N0} rows ({(i + 1) / watch.Elapsed.TotalSeconds:N0} rows/s)");
                transaction = connection.BeginTransaction();
                insert.Transaction = transaction;
            }
        }
        transaction.Commit();
        transaction.Dispose();
        var inserted = watch.Elapsed;

        foreach (var (name, sql) in indexes)
        {
            var indexWatch = Stopwatch.StartNew();
            Exec(connection, sql);
            Console.WriteLine($"  re-created {name} in {indexWatch.Elapsed.TotalSeconds:N1} s");
        }
        Exec(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        Console.WriteLine($"Seeded {count:N0} files in {watch.Elapsed.TotalSeconds:N1} s (insert {inserted.TotalSeconds:N1} s, indexes {(watch.Elapsed - inserted).TotalSeconds:N1} s); " +
            $"DB {new FileInfo(BenchHost.DatabasePath).Length / 1e6:N0} MB");
    }

    private static void Exec(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        command.ExecuteNonQuery();
    }
}
