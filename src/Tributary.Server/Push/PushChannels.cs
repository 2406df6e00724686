using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Data.Entities.Webhooks;
using Tributary.Server.Vault;

namespace Tributary.Server.Push;

/// <summary>Provider names of push channels.</summary>
internal static class PushProviders
{
    public const string GoogleDrive = "google-drive";
    public const string MicrosoftGraph = "microsoft-graph";
    public const string Dropbox = "dropbox";
    public const string Box = "box";
}

/// <summary>
/// The store of push channels: what the code that creates a Drive watch channel, a Graph
/// subscription or a Box webhook (or learns a Dropbox account id) records, and what the push
/// endpoints look notifications up in. Per-channel secrets are sealed by the vault.
/// </summary>
internal sealed class PushChannels(CredentialVault vault, TimeProvider time)
{
    public static string Purpose(Guid channelId) => $"push-channel:{channelId:N}";

    /// <summary>A fresh random secret for a Drive channel token or a Graph clientState (≤ 128 characters, URL-safe).</summary>
    public static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Adds or replaces the channel (provider, external id) of the account, in the caller's unit of work.</summary>
    public async Task<PushChannel> RegisterAsync(
        TributaryDbContext db, LinkedAccount account, string provider, string externalId, string? secret, string? resourceId, DateTime? expiresAt,
        CancellationToken ct)
    {
        var channel = await db.PushChannels.IgnoreQueryFilters()
            .SingleOrDefaultAsync(c => c.Provider == provider && c.ExternalId == externalId && c.LinkedAccountId == account.Id, ct);
        if (channel is null)
        {
            channel = new PushChannel
            {
                Id = Guid.CreateVersion7(time.GetUtcNow()),
                OrganizationId = account.OrganizationId,
                LinkedAccountId = account.Id,
                Provider = provider,
                ExternalId = externalId,
                CreatedAt = time.GetUtcNow().UtcDateTime,
            };
            db.PushChannels.Add(channel);
        }
        channel.ResourceId = resourceId;
        channel.ExpiresAt = expiresAt;
        if (secret is null)
        {
            channel.Secret = null;
            channel.VaultKeyId = null;
        }
        else
        {
            var sealedSecret = await vault.SealStringAsync(db, secret, Purpose(channel.Id), ct);
            channel.Secret = sealedSecret.Ciphertext;
            channel.VaultKeyId = sealedSecret.KeyId;
        }
        return channel;
    }

    /// <summary>Channels a notification names, across organizations (the provider's id is the only key it carries).</summary>
    public static Task<List<PushChannel>> FindAsync(TributaryDbContext db, string provider, IReadOnlyCollection<string> externalIds, Guid? organizationId, CancellationToken ct) =>
        db.PushChannels.IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.Provider == provider && externalIds.Contains(c.ExternalId) && (organizationId == null || c.OrganizationId == organizationId))
            .ToListAsync(ct);

    /// <summary>The channel's secret in clear, to hand back to the provider when it is renewed (Graph keeps its clientState).</summary>
    public async Task<string> OpenSecretAsync(TributaryDbContext db, PushChannel channel, CancellationToken ct) =>
        channel.Secret is null ? throw new InvalidOperationException($"Push channel {channel.Id} has no secret.") : await vault.OpenStringAsync(db, channel.Secret, Purpose(channel.Id), ct);

    /// <summary>Constant-time comparison of what the provider echoed with the channel's secret.</summary>
    public async Task<bool> SecretMatchesAsync(TributaryDbContext db, PushChannel channel, string? presented, CancellationToken ct)
    {
        if (channel.Secret is null || string.IsNullOrEmpty(presented))
        {
            return false;
        }
        var expected = await vault.OpenAsync(db, channel.Secret, Purpose(channel.Id), ct);
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.UTF8.GetBytes(presented));
    }
}
