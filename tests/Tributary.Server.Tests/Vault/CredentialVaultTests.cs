using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Tributary.Server.Hosting;
using Tributary.Server.OAuthApps;
using Tributary.Server.Tests.Infrastructure;
using Tributary.Server.Vault;

namespace Tributary.Server.Tests.Vault;

public sealed class CredentialVaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Seal_RoundTrips_AndIsBoundToItsPurpose(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        await app.WithDbAsync(async (db, sp) =>
        {
            var vault = sp.GetRequiredService<CredentialVault>();
            var sealedValue = await vault.SealStringAsync(db, "hunter2", "credential:a", Ct);
            Assert.Equal("hunter2", await vault.OpenStringAsync(db, sealedValue.Ciphertext, "credential:a", Ct));
            await Assert.ThrowsAnyAsync<CryptographicException>(() => vault.OpenStringAsync(db, sealedValue.Ciphertext, "credential:b", Ct));
            var tampered = (byte[])sealedValue.Ciphertext.Clone();
            tampered[^1] ^= 1;
            await Assert.ThrowsAnyAsync<CryptographicException>(() => vault.OpenStringAsync(db, tampered, "credential:a", Ct));
            return 0;
        });
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task DatabaseAlone_DecryptsNothing_WithoutTheMasterKey(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        await app.WithDbAsync(async (db, sp) =>
        {
            var sealedValue = await sp.GetRequiredService<CredentialVault>().SealStringAsync(db, "hunter2", "p", Ct);
            var stranger = new CredentialVault(new MasterKey(RandomNumberGenerator.GetBytes(32)), TimeProvider.System, sp.GetRequiredService<IServiceScopeFactory>());
            await Assert.ThrowsAnyAsync<CryptographicException>(() => stranger.OpenStringAsync(db, sealedValue.Ciphertext, "p", Ct));
            return 0;
        });
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Rotate_ResealsEverything_UnderTheNewKey(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var (accountId, _) = await app.LinkAccountAsync(api);
        await app.WithDbAsync((db, sp) => sp.GetRequiredService<OAuthAppStore>().SetAsync(db, org.Id, "box", "client-1", "client-secret-1", null, Ct));

        var rotation = await app.WithDbAsync((db, sp) => sp.GetRequiredService<CredentialVault>().RotateAsync(db, Ct));

        Assert.Equal(1, rotation.CredentialsResealed);
        Assert.Equal(1, rotation.OAuthAppsResealed);
        await app.WithDbAsync(async (db, sp) =>
        {
            var credential = await db.Credentials.IgnoreQueryFilters().SingleAsync(c => c.LinkedAccountId == accountId, Ct);
            Assert.Equal(rotation.NewKeyId, credential.VaultKeyId);
            var text = await sp.GetRequiredService<CredentialVault>().OpenStringAsync(db, credential.Secret, CredentialVault.CredentialPurpose(accountId), Ct);
            Assert.Contains("provider-access-token-SECRET", text, StringComparison.Ordinal);
            var client = await sp.GetRequiredService<OAuthAppStore>().FindAsync(db, org.Id, "box", Ct);
            Assert.Equal("client-secret-1", client!.ClientSecret);
            var keys = await db.VaultKeys.ToListAsync(Ct);
            Assert.Single(keys, k => k.RetiredAt is null && k.IsPrimary);
            return 0;
        });
    }

    /// <summary>The "a scan of the database file finds no plaintext credential or token".</summary>
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task DatabaseScan_FindsNoPlaintextCredentialOrToken(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var linkToken = await api.CreateLinkTokenAsync(extra: new { should_create_magic_link_url = true });
        var publicToken = await app.CompleteLinkAsync(linkToken);
        var (_, accountToken) = await api.ExchangeAsync(publicToken);
        var regenerated = await (await api.PostAsJsonAsync("/api/filestorage/v1/generate-key", new { name = "second" }, Ct))
            .Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct);
        await app.WithDbAsync((db, sp) => sp.GetRequiredService<OAuthAppStore>().SetAsync(db, org.Id, "dropbox", "dropbox-client", "oauth-client-secret-SECRET", null, Ct));

        string[] secrets =
        [
            org.ProductionKey, org.TestKey, regenerated.GetProperty("key").GetString()!, linkToken, publicToken, accountToken,
            "provider-access-token-SECRET", "provider-refresh-token-SECRET", "oauth-client-secret-SECRET",
        ];
        var dump = await DumpAsync(app);
        Assert.True(dump.Length > 1000, "the dump should contain the rows");
        Assert.Contains("dropbox-client", dump, StringComparison.Ordinal);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, dump, StringComparison.Ordinal);
            // Also the secret part alone, without its readable prefix.
            var body = secret.StartsWith("trb_", StringComparison.Ordinal) ? secret[(secret.IndexOf('_', 4) + 1)..] : secret;
            Assert.DoesNotContain(body, dump, StringComparison.Ordinal);
        }
    }

    private static async Task<string> DumpAsync(TributaryApplication app)
    {
        if (app.Kind == DatabaseKind.Sqlite)
        {
            var path = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(app.Database.ConnectionString).DataSource;
            // Everything committed is moved into the database file first: otherwise a background writer's
            // checkpoint between reading the file and reading the WAL could hide rows from both reads.
            await using (var checkpoint = new Microsoft.Data.Sqlite.SqliteConnection(
                new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(app.Database.ConnectionString) { Pooling = false }.ToString()))
            {
                await checkpoint.OpenAsync(Ct);
                await using var command = checkpoint.CreateCommand();
                command.CommandText = "PRAGMA busy_timeout=10000;";
                await command.ExecuteNonQueryAsync(Ct);
                command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
                for (var attempt = 0; attempt < 50; attempt++)
                {
                    await using var result = await command.ExecuteReaderAsync(Ct);
                    if (await result.ReadAsync(Ct) && result.GetInt32(0) == 0)
                    {
                        break;
                    }
                    await Task.Delay(100, Ct);
                }
            }
            var text = new StringBuilder();
            foreach (var file in new[] { path, path + "-wal" }.Where(File.Exists))
            {
                await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream, Encoding.Latin1);
                text.Append(await reader.ReadToEndAsync(Ct));
            }
            return text.ToString();
        }
        await using var connection = new NpgsqlConnection(app.Database.ConnectionString);
        await connection.OpenAsync(Ct);
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", connection))
        await using (var reader = await list.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                tables.Add(reader.GetString(0));
            }
        }
        var dump = new StringBuilder();
        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"SELECT t::text FROM \"{table}\" t", connection);
            await using var rows = await select.ExecuteReaderAsync(Ct);
            while (await rows.ReadAsync(Ct))
            {
                dump.AppendLine(rows.GetString(0));
            }
        }
        return dump.ToString();
    }
}
