using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Server.Hosting;

namespace Tributary.Server.Vault;

/// <summary>An encrypted value and the data key that encrypted it.</summary>
internal readonly record struct Sealed(byte[] Ciphertext, Guid KeyId);

/// <summary>
/// Envelope encryption for provider credentials and OAuth client secrets. Data keys (AES-256-GCM)
/// live in the database wrapped by a key-encryption key derived from the master key, which lives
/// outside it: a copy of the database alone decrypts nothing. Each ciphertext is bound to its
/// purpose (e.g. "credential:{account id}"), so a blob moved to another row fails to decrypt.
/// </summary>
internal sealed class CredentialVault(MasterKey masterKey, TimeProvider time, IServiceScopeFactory scopes)
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 1 + 16 + NonceSize + TagSize;
    private readonly byte[] _keyEncryptionKey = masterKey.Derive("tributary/vault/kek/v1");
    private readonly ConcurrentDictionary<Guid, byte[]> _dataKeys = new();

    public async Task<Sealed> SealAsync(TributaryDbContext db, byte[] plaintext, string purpose, CancellationToken cancellationToken)
    {
        var (keyId, key) = await PrimaryKeyAsync(db, cancellationToken);
        var output = new byte[HeaderSize + plaintext.Length];
        output[0] = Version;
        keyId.TryWriteBytes(output.AsSpan(1, 16));
        var nonce = output.AsSpan(17, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(HeaderSize), output.AsSpan(17 + NonceSize, TagSize), Encoding.UTF8.GetBytes(purpose));
        return new Sealed(output, keyId);
    }

    public Task<Sealed> SealStringAsync(TributaryDbContext db, string plaintext, string purpose, CancellationToken cancellationToken) =>
        SealAsync(db, Encoding.UTF8.GetBytes(plaintext), purpose, cancellationToken);

    public async Task<byte[]> OpenAsync(TributaryDbContext db, byte[] ciphertext, string purpose, CancellationToken cancellationToken)
    {
        if (ciphertext.Length < HeaderSize || ciphertext[0] != Version)
        {
            throw new CryptographicException("Not a vault ciphertext of a known version.");
        }
        var keyId = new Guid(ciphertext.AsSpan(1, 16));
        var key = await DataKeyAsync(db, keyId, cancellationToken);
        var plaintext = new byte[ciphertext.Length - HeaderSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(ciphertext.AsSpan(17, NonceSize), ciphertext.AsSpan(HeaderSize), ciphertext.AsSpan(17 + NonceSize, TagSize),
            plaintext, Encoding.UTF8.GetBytes(purpose));
        return plaintext;
    }

    public async Task<string> OpenStringAsync(TributaryDbContext db, byte[] ciphertext, string purpose, CancellationToken cancellationToken) =>
        Encoding.UTF8.GetString(await OpenAsync(db, ciphertext, purpose, cancellationToken));

    /// <summary>
    /// Makes a new data key primary, re-encrypts every sealed value under it and retires the old
    /// keys. Safe to re-run after an interruption: each batch commits on its own.
    /// </summary>
    public async Task<VaultRotation> RotateAsync(TributaryDbContext db, CancellationToken cancellationToken)
    {
        var fresh = await CreateKeyAsync(cancellationToken);
        var credentials = 0;
        var apps = 0;
        while (true)
        {
            var batch = await db.Credentials.IgnoreQueryFilters().Where(c => c.VaultKeyId != fresh).Take(200).ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                break;
            }
            foreach (var credential in batch)
            {
                var purpose = CredentialPurpose(credential.LinkedAccountId);
                var resealed = await SealAsync(db, await OpenAsync(db, credential.Secret, purpose, cancellationToken), purpose, cancellationToken);
                credential.Secret = resealed.Ciphertext;
                credential.VaultKeyId = resealed.KeyId;
            }
            credentials += batch.Count;
            await db.SaveChangesAsync(cancellationToken);
        }
        while (true)
        {
            var batch = await db.OAuthApps.IgnoreQueryFilters().Where(a => a.VaultKeyId != fresh).Take(200).ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                break;
            }
            foreach (var app in batch)
            {
                var purpose = OAuthAppPurpose(app.OrganizationId, app.IntegrationSlug);
                var resealed = await SealAsync(db, await OpenAsync(db, app.ClientSecret, purpose, cancellationToken), purpose, cancellationToken);
                app.ClientSecret = resealed.Ciphertext;
                app.VaultKeyId = resealed.KeyId;
            }
            apps += batch.Count;
            await db.SaveChangesAsync(cancellationToken);
        }
        var webhookSecrets = await ResealAsync(db, db.WebhookSigningKeys.IgnoreQueryFilters(), fresh, k => k.VaultKeyId, k => k.Secret,
            (k, c, id) => { k.Secret = c; k.VaultKeyId = id; }, k => Webhooks.WebhookSigningKeys.Purpose(k.OrganizationId, k.Id), cancellationToken);
        webhookSecrets += await ResealAsync(db, db.WebhookReceivers.IgnoreQueryFilters().Where(r => r.Key != null), fresh, r => r.VaultKeyId!.Value, r => r.Key!,
            (r, c, id) => { r.Key = c; r.VaultKeyId = id; }, r => Webhooks.WebhookReceiversEndpoints.Purpose(r.LinkedAccountId, r.Id), cancellationToken);
        webhookSecrets += await ResealAsync(db, db.PushChannels.IgnoreQueryFilters().Where(c => c.Secret != null), fresh, c => c.VaultKeyId!.Value, c => c.Secret!,
            (c, s, id) => { c.Secret = s; c.VaultKeyId = id; }, c => Push.PushChannels.Purpose(c.Id), cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        await db.VaultKeys.Where(k => k.Id != fresh && k.RetiredAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.IsPrimary, false).SetProperty(k => k.RetiredAt, now), cancellationToken);
        return new VaultRotation(fresh, credentials, apps) { WebhookSecretsResealed = webhookSecrets };
    }

    private async Task<int> ResealAsync<T>(
        TributaryDbContext db, IQueryable<T> rows, Guid fresh, System.Linq.Expressions.Expression<Func<T, Guid>> keyOf, Func<T, byte[]> secretOf,
        Action<T, byte[], Guid> store, Func<T, string> purposeOf, CancellationToken cancellationToken) where T : class
    {
        var parameter = keyOf.Parameters[0];
        var stale = System.Linq.Expressions.Expression.Lambda<Func<T, bool>>(
            System.Linq.Expressions.Expression.NotEqual(keyOf.Body, System.Linq.Expressions.Expression.Constant(fresh)), parameter);
        var count = 0;
        while (true)
        {
            var batch = await rows.Where(stale).Take(200).ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                return count;
            }
            foreach (var row in batch)
            {
                var purpose = purposeOf(row);
                var resealed = await SealAsync(db, await OpenAsync(db, secretOf(row), purpose, cancellationToken), purpose, cancellationToken);
                store(row, resealed.Ciphertext, resealed.KeyId);
            }
            count += batch.Count;
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    public static string CredentialPurpose(Guid linkedAccountId) => $"credential:{linkedAccountId:N}";

    public static string OAuthAppPurpose(Guid organizationId, string integration) => $"oauth-app:{organizationId:N}:{integration}";

    private async Task<(Guid Id, byte[] Key)> PrimaryKeyAsync(TributaryDbContext db, CancellationToken cancellationToken)
    {
        var primary = await db.VaultKeys.AsNoTracking().Where(k => k.IsPrimary && k.RetiredAt == null)
            .OrderByDescending(k => k.CreatedAt).Select(k => (Guid?)k.Id).FirstOrDefaultAsync(cancellationToken);
        var id = primary ?? await CreateKeyAsync(cancellationToken);
        return (id, await DataKeyAsync(db, id, cancellationToken));
    }

    private async Task<Guid> CreateKeyAsync(CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7(time.GetUtcNow());
        var key = RandomNumberGenerator.GetBytes(32);
        var wrapped = new byte[NonceSize + TagSize + key.Length];
        RandomNumberGenerator.Fill(wrapped.AsSpan(0, NonceSize));
        using (var aes = new AesGcm(_keyEncryptionKey, TagSize))
        {
            aes.Encrypt(wrapped.AsSpan(0, NonceSize), key, wrapped.AsSpan(NonceSize + TagSize), wrapped.AsSpan(NonceSize, TagSize), id.ToByteArray());
        }
        // Committed in a unit of work of its own, so the caller's pending changes are not saved early
        // and the key exists before anything sealed with it.
        await using var scope = scopes.CreateAsyncScope();
        var keyDb = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        keyDb.VaultKeys.Add(new VaultKey { Id = id, WrappedKey = wrapped, IsPrimary = true, CreatedAt = time.GetUtcNow().UtcDateTime });
        await keyDb.SaveChangesAsync(cancellationToken);
        _dataKeys[id] = key;
        return id;
    }

    private async Task<byte[]> DataKeyAsync(TributaryDbContext db, Guid id, CancellationToken cancellationToken)
    {
        if (_dataKeys.TryGetValue(id, out var cached))
        {
            return cached;
        }
        var wrapped = await db.VaultKeys.AsNoTracking().Where(k => k.Id == id).Select(k => k.WrappedKey).SingleOrDefaultAsync(cancellationToken)
            ?? throw new CryptographicException($"Vault key {id} is missing from the key ring.");
        var key = new byte[32];
        using var aes = new AesGcm(_keyEncryptionKey, TagSize);
        aes.Decrypt(wrapped.AsSpan(0, NonceSize), wrapped.AsSpan(NonceSize + TagSize), wrapped.AsSpan(NonceSize, TagSize), key, id.ToByteArray());
        _dataKeys[id] = key;
        return key;
    }
}

internal sealed record VaultRotation(Guid NewKeyId, int CredentialsResealed, int OAuthAppsResealed)
{
    /// <summary>Webhook signature keys, webhook receiver keys and push channel secrets.</summary>
    public int WebhookSecretsResealed { get; init; }
}
