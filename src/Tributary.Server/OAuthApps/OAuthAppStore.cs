using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Server.Vault;

namespace Tributary.Server.OAuthApps;

/// <summary>The OAuth client Tributary uses for one organization and integration.</summary>
internal sealed record OAuthClient(string ClientId, string ClientSecret, string? Scopes, string Source);

/// <summary>
/// Each organization registers its own OAuth client per integration (the consent screen shows their
/// brand, and rate limits are theirs). The server-wide <c>Integrations:{slug}:ClientId/ClientSecret</c>
/// configuration is the fallback for single-tenant installs.
/// </summary>
internal sealed class OAuthAppStore(CredentialVault vault, TimeProvider time, IConfiguration configuration)
{
    /// <summary>Where the provider sends the end user back; register exactly this URI with the provider.</summary>
    public static string RedirectUri(string publicBaseUrl, string integration) => $"{publicBaseUrl}/link/oauth/{integration}/callback";

    public async Task<OAuthClient?> FindAsync(TributaryDbContext db, Guid organizationId, string integration, CancellationToken ct)
    {
        var app = await db.OAuthApps.IgnoreQueryFilters().AsNoTracking()
            .SingleOrDefaultAsync(a => a.OrganizationId == organizationId && a.IntegrationSlug == integration, ct);
        if (app is not null)
        {
            var secret = await vault.OpenStringAsync(db, app.ClientSecret, CredentialVault.OAuthAppPurpose(organizationId, integration), ct);
            return new OAuthClient(app.ClientId, secret, app.Scopes, "organization");
        }
        var section = configuration.GetSection($"Integrations:{integration}");
        var clientId = section["ClientId"];
        var clientSecret = section["ClientSecret"];
        return string.IsNullOrWhiteSpace(clientId) || clientSecret is null
            ? null
            : new OAuthClient(clientId, clientSecret, section["Scopes"], "server configuration");
    }

    public async Task<OAuthApp> SetAsync(
        TributaryDbContext db, Guid organizationId, string integration, string clientId, string clientSecret, string? scopes, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var sealedSecret = await vault.SealStringAsync(db, clientSecret, CredentialVault.OAuthAppPurpose(organizationId, integration), ct);
        var app = await db.OAuthApps.IgnoreQueryFilters()
            .SingleOrDefaultAsync(a => a.OrganizationId == organizationId && a.IntegrationSlug == integration, ct);
        if (app is null)
        {
            app = new OAuthApp
            {
                Id = Guid.CreateVersion7(time.GetUtcNow()),
                OrganizationId = organizationId,
                IntegrationSlug = integration,
                ClientId = clientId,
                ClientSecret = sealedSecret.Ciphertext,
                CreatedAt = now,
            };
            db.OAuthApps.Add(app);
        }
        app.ClientId = clientId;
        app.ClientSecret = sealedSecret.Ciphertext;
        app.VaultKeyId = sealedSecret.KeyId;
        app.Scopes = string.IsNullOrWhiteSpace(scopes) ? null : scopes.Trim();
        app.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return app;
    }
}
