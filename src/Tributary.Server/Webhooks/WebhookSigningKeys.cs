using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Data.Entities.Webhooks;
using Tributary.Server.Vault;

namespace Tributary.Server.Webhooks;

/// <summary>A key that signs deliveries right now: the current one, or a rotated one still in its overlap.</summary>
internal sealed record ActiveSigningKey(Guid Id, string Key, DateTime CreatedAt, bool IsCurrent);

/// <summary>
/// Each organization's webhook signature key: made on first use, sealed with the credential vault,
/// rotated on request. The plaintext leaves only through the API that shows it to the organization.
/// </summary>
internal sealed class WebhookSigningKeys(CredentialVault vault, TimeProvider time, IOptions<WebhookOptions> options)
{
    public static string Purpose(Guid organizationId, Guid keyId) => $"webhook-key:{organizationId:N}:{keyId:N}";

    /// <summary>The current key, made now if the organization has none. Commits a new key in the caller's next save.</summary>
    public async Task<ActiveSigningKey> CurrentAsync(TributaryDbContext db, Guid organizationId, CancellationToken ct)
    {
        var row = await db.WebhookSigningKeys.IgnoreQueryFilters()
            .Where(k => k.OrganizationId == organizationId && k.RetiredAt == null)
            .OrderByDescending(k => k.CreatedAt).FirstOrDefaultAsync(ct);
        if (row is null)
        {
            return await AddAsync(db, organizationId, ct);
        }
        return new ActiveSigningKey(row.Id, await OpenAsync(db, row, ct), row.CreatedAt, IsCurrent: true);
    }

    /// <summary>Retires the current key (it keeps signing the second header during the overlap) and makes a new one.</summary>
    public async Task<ActiveSigningKey> RotateAsync(TributaryDbContext db, Guid organizationId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var current = await db.WebhookSigningKeys.IgnoreQueryFilters()
            .Where(k => k.OrganizationId == organizationId && k.RetiredAt == null).ToListAsync(ct);
        foreach (var key in current)
        {
            key.RetiredAt = now;
        }
        return await AddAsync(db, organizationId, ct);
    }

    /// <summary>Keys that sign a delivery now, current first. Empty when the organization never made one.</summary>
    public async Task<IReadOnlyList<ActiveSigningKey>> SigningAsync(TributaryDbContext db, Guid organizationId, CancellationToken ct)
    {
        var overlapStart = time.GetUtcNow().UtcDateTime - options.Value.KeyRotationOverlap;
        var rows = await db.WebhookSigningKeys.IgnoreQueryFilters().AsNoTracking()
            .Where(k => k.OrganizationId == organizationId && (k.RetiredAt == null || k.RetiredAt > overlapStart))
            .OrderBy(k => k.RetiredAt == null ? 0 : 1).ThenByDescending(k => k.CreatedAt).Take(2).ToListAsync(ct);
        var keys = new List<ActiveSigningKey>(rows.Count);
        foreach (var row in rows)
        {
            keys.Add(new ActiveSigningKey(row.Id, await OpenAsync(db, row, ct), row.CreatedAt, row.RetiredAt is null));
        }
        return keys;
    }

    private async Task<ActiveSigningKey> AddAsync(TributaryDbContext db, Guid organizationId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        var plaintext = Base64UrlKey();
        var sealedKey = await vault.SealStringAsync(db, plaintext, Purpose(organizationId, id), ct);
        db.WebhookSigningKeys.Add(new WebhookSigningKey
        {
            Id = id,
            OrganizationId = organizationId,
            Secret = sealedKey.Ciphertext,
            VaultKeyId = sealedKey.KeyId,
            CreatedAt = now.UtcDateTime,
        });
        return new ActiveSigningKey(id, plaintext, now.UtcDateTime, IsCurrent: true);
    }

    private Task<string> OpenAsync(TributaryDbContext db, WebhookSigningKey row, CancellationToken ct) =>
        vault.OpenStringAsync(db, row.Secret, Purpose(row.OrganizationId, row.Id), ct);

    private static string Base64UrlKey() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
