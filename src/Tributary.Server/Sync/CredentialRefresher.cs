using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Http;
using Tributary.Server.Linking;
using Tributary.Server.Linking.OAuth;
using Tributary.Server.OAuthApps;
using Tributary.Server.Vault;

namespace Tributary.Server.Sync;

/// <summary>
/// Refreshes a linked account's OAuth credential when a provider refuses it, once per refusal: the
/// first caller refreshes and stores the result; everyone who was refused the same access token
/// waits and then gets the stored one. Rotated refresh tokens (Box, Microsoft) are therefore used
/// exactly once. Single flight holds across replicas: callers in one process queue on a semaphore,
/// and the one that goes ahead takes the account's refresh lease in the database, then re-reads the
/// stored credential (another replica may have refreshed it meanwhile). A refusal from the token
/// endpoint marks the account <c>RELINK_NEEDED</c>, opens an issue and tells <c>IAccountEvents</c>.
/// </summary>
internal sealed class CredentialRefresher(
    IServiceScopeFactory scopes, IntegrationCatalog catalog, IHttpClientFactory httpClients, TimeProvider time, Leases leases,
    ILogger<CredentialRefresher> logger)
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _gates = new();

    public async Task<JsonElement> RefreshAsync(Guid linkedAccountId, JsonElement rejected, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd(linkedAccountId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            await using var lease = await leases.AcquireAsync(Leases.Refresh(linkedAccountId), LeaseDuration, TimeSpan.FromSeconds(90), ct);
            try
            {
                return await RefreshHoldingLeaseAsync(linkedAccountId, rejected, ct);
            }
            catch (ProviderException e) when (e.Kind == ProviderErrorKind.Unauthorized)
            {
                await MarkRelinkNeededAsync(linkedAccountId, e.Message);
                throw;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task MarkRelinkNeededAsync(Guid linkedAccountId, string reason)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        await scope.ServiceProvider.GetRequiredService<SyncIssues>().RelinkNeededAsync(db, linkedAccountId, reason, CancellationToken.None);
        await db.SaveChangesAsync(CancellationToken.None);
    }

    private async Task<JsonElement> RefreshHoldingLeaseAsync(Guid linkedAccountId, JsonElement rejected, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        var vault = scope.ServiceProvider.GetRequiredService<CredentialVault>();
        var account = await db.LinkedAccounts.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(a => a.Id == linkedAccountId, ct)
            ?? throw new ProviderException(ProviderErrorKind.Unauthorized, "The linked account no longer exists.");
        var stored = await db.Credentials.IgnoreQueryFilters().SingleOrDefaultAsync(c => c.LinkedAccountId == linkedAccountId, ct)
            ?? throw new ProviderException(ProviderErrorKind.Unauthorized, "The linked account has no credential; it needs relinking.");
        var purpose = CredentialVault.CredentialPurpose(linkedAccountId);
        var current = JsonDocument.Parse(await vault.OpenAsync(db, stored.Secret, purpose, ct)).RootElement.Clone();
        if (AccessToken(current) != AccessToken(rejected))
        {
            return current;
        }
        if (account.Status == LinkedAccountStatus.RelinkNeeded)
        {
            // Refused for good already: asking the token endpoint again cannot help.
            throw new ProviderException(ProviderErrorKind.Unauthorized, "The linked account needs relinking.");
        }

        var integration = catalog.Find(account.IntegrationSlug);
        if (integration?.Auth is not { Mode: AuthMode.OAuth2, TokenUrl: { } tokenUrl })
        {
            throw new ProviderException(ProviderErrorKind.Unauthorized, "The provider refused the credential; the account needs relinking.");
        }
        var client = await scope.ServiceProvider.GetRequiredService<OAuthAppStore>().FindAsync(db, account.OrganizationId, account.IntegrationSlug, ct)
            ?? throw new ProviderException(ProviderErrorKind.Unauthorized,
                $"No OAuth app is configured for {integration.Name}, so its token cannot be refreshed.");

        var fresh = await OAuthRefresh.RefreshAsync(
            httpClients.CreateClient(OAuthFlow.HttpClientName), tokenUrl, new OAuthClientCredentials(client.ClientId, client.ClientSecret), current, time, ct);
        var sealedSecret = await vault.SealAsync(db, JsonSerializer.SerializeToUtf8Bytes(fresh), purpose, ct);
        stored.Secret = sealedSecret.Ciphertext;
        stored.VaultKeyId = sealedSecret.KeyId;
        stored.AccessTokenExpiresAt = LinkFlow.ReadExpiry(fresh);
        stored.UpdatedAt = time.GetUtcNow().UtcDateTime;
        // Never cancelled half-way: a rotated refresh token that is not stored loses the account.
        await db.SaveChangesAsync(CancellationToken.None);
        logger.LogInformation("Refreshed the {Integration} credential of linked account {LinkedAccountId}", account.IntegrationSlug, linkedAccountId);
        return fresh;
    }

    private static string? AccessToken(JsonElement credential) =>
        credential.ValueKind == JsonValueKind.Object && credential.TryGetProperty("access_token", out var token) ? token.GetString() : null;
}

/// <summary>A linked account's stored credential for one connector call; refreshes through <see cref="CredentialRefresher"/>.</summary>
internal sealed class StoredCredentialSource(Guid linkedAccountId, JsonElement credential, CredentialRefresher refresher) : ICredentialSource
{
    public JsonElement Current { get; private set; } = credential;

    public async Task<JsonElement> RefreshAsync(JsonElement rejected, CancellationToken cancellationToken)
    {
        Current = await refresher.RefreshAsync(linkedAccountId, rejected, cancellationToken);
        return Current;
    }
}
