using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.Auth;
using Tributary.Server.Vault;

namespace Tributary.Server.Linking;

/// <summary>Where a link token stands, as the end user's pages need to know it.</summary>
internal enum LinkSessionState
{
    Unknown,
    Expired,
    Finished,
    Open,
}

/// <summary>
/// The server side of the end user's walk through Link: find the session a link token names,
/// finish it with a credential (creating or relinking the linked account) and hand out the public
/// token. The pages and OAuth callback call this; it is the only code that creates linked accounts.
/// </summary>
internal sealed class LinkFlow(TributaryDbContext db, CredentialVault vault, IntegrationCatalog catalog, TimeProvider time, Sync.SyncQueue syncs, Events.IAccountEvents events)
{
    /// <summary>Looks a session up by its link token. The token is the end user's only credential, so tenant filters do not apply.</summary>
    public async Task<(LinkSessionState State, LinkSession? Session)> FindAsync(string linkToken, CancellationToken ct)
    {
        var hash = Secrets.Hash(linkToken);
        var session = await db.LinkSessions.IgnoreQueryFilters().SingleOrDefaultAsync(s => s.LinkTokenHash == hash, ct);
        return session switch
        {
            null => (LinkSessionState.Unknown, null),
            { Status: not LinkSessionStatus.Open } => (LinkSessionState.Finished, session),
            _ when session.ExpiresAt <= time.GetUtcNow().UtcDateTime => (LinkSessionState.Expired, session),
            _ => (LinkSessionState.Open, session),
        };
    }

    /// <summary>The integrations this session may offer: its preselected one, or all of its categories'.</summary>
    public IReadOnlyList<IntegrationDefinition> OfferedIntegrations(LinkSession session)
    {
        var categories = session.Categories.Split(',', StringSplitOptions.RemoveEmptyEntries);
        return catalog.All
            .Where(i => session.Integration is null ? i.Categories.Any(categories.Contains) : i.Slug == session.Integration)
            .OrderBy(i => i.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    /// <summary>
    /// Stores the credential and finishes the session: a new linked account, or the session's
    /// existing one relinked (same id, same data, status COMPLETE again). Returns the public token.
    /// </summary>
    public async Task<string> CompleteAsync(LinkSession session, IntegrationDefinition integration, JsonElement credential, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var category = integration.Categories.First(c => session.Categories.Split(',').Contains(c));
        LinkedAccount? account = null;
        if (session.LinkedAccountId is { } existingId)
        {
            account = await db.LinkedAccounts.IgnoreQueryFilters().SingleOrDefaultAsync(a => a.Id == existingId, ct);
        }
        var isRelink = account is not null;
        if (account is null)
        {
            account = new LinkedAccount
            {
                Id = Guid.CreateVersion7(time.GetUtcNow()),
                OrganizationId = session.OrganizationId,
                Environment = integration.IsTestData ? ApiEnvironment.Test : session.Environment,
                Category = category,
                IntegrationSlug = integration.Slug,
                EndUserOriginId = session.EndUserOriginId,
                EndUserOrganizationName = session.EndUserOrganizationName,
                EndUserEmailAddress = session.EndUserEmailAddress,
                CreatedAt = now,
            };
            db.LinkedAccounts.Add(account);
        }
        account.IntegrationSlug = integration.Slug;
        account.EndUserOrganizationName = session.EndUserOrganizationName;
        account.EndUserEmailAddress = session.EndUserEmailAddress;
        account.Status = LinkedAccountStatus.Complete;
        account.StatusDetail = null;
        account.CompletedAt = now;
        account.ModifiedAt = now;
        if (session.ScopesJson is not null)
        {
            account.CommonModelScopesJson = session.ScopesJson;
        }

        var sealedSecret = await vault.SealAsync(db, JsonSerializer.SerializeToUtf8Bytes(credential), CredentialVault.CredentialPurpose(account.Id), ct);
        var stored = await db.Credentials.IgnoreQueryFilters().SingleOrDefaultAsync(c => c.LinkedAccountId == account.Id, ct);
        if (stored is null)
        {
            db.Credentials.Add(new Credential
            {
                Id = Guid.CreateVersion7(time.GetUtcNow()),
                OrganizationId = account.OrganizationId,
                LinkedAccountId = account.Id,
                Secret = sealedSecret.Ciphertext,
                VaultKeyId = sealedSecret.KeyId,
                AccessTokenExpiresAt = ReadExpiry(credential),
                CreatedAt = now,
                UpdatedAt = now,
            });
        }
        else
        {
            stored.Secret = sealedSecret.Ciphertext;
            stored.VaultKeyId = sealedSecret.KeyId;
            stored.AccessTokenExpiresAt = ReadExpiry(credential);
            stored.UpdatedAt = now;
        }

        // Linking fixes whatever made the account need relinking.
        await db.Issues.IgnoreQueryFilters().Where(i => i.LinkedAccountId == account.Id && i.Status == IssueStatus.Ongoing)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.Status, IssueStatus.Resolved), ct);

        var publicToken = Secrets.Create(Secrets.PublicTokenPrefix);
        session.LinkedAccountId = account.Id;
        session.Status = LinkSessionStatus.Completed;
        session.CompletedAt = now;
        session.PublicTokenHash = Secrets.Hash(publicToken);
        session.PublicTokenExpiresAt = now + LinkedAccounts.AccountTokenEndpoints.PublicTokenLifetime;
        // LinkedAccount.linked commits with the link itself (outbox).
        await events.LinkedAsync(db, account, isRelink, withAccountToken: session.IsMagicLink, ct);
        await db.SaveChangesAsync(ct);
        // The initial sync starts right after linking.
        syncs.Request(account.Id);
        return publicToken;
    }

    /// <summary>
    /// Mints the account's token, replacing any earlier one: tokens are stored only as hashes, so a
    /// token can be handed out once, at the moment it is made.
    /// </summary>
    public async Task<string> MintAccountTokenAsync(Guid linkedAccountId, CancellationToken ct)
    {
        var account = await db.LinkedAccounts.IgnoreQueryFilters().SingleAsync(a => a.Id == linkedAccountId, ct);
        var token = Secrets.Create(Secrets.AccountTokenPrefix);
        account.AccountTokenHash = Secrets.Hash(token);
        account.ModifiedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return token;
    }

    /// <summary>
    /// Links an account without a browser (the operator's <c>sandbox link</c> verb): the same session
    /// and completion as Link, then the account token at once.
    /// </summary>
    public async Task<(LinkedAccount Account, string AccountToken)> LinkDirectlyAsync(
        Guid organizationId, IntegrationDefinition integration, string originId, string email, string organizationName,
        JsonElement credential, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var category = integration.Categories[0];
        var environment = integration.IsTestData ? ApiEnvironment.Test : ApiEnvironment.Production;
        var existing = await db.LinkedAccounts.IgnoreQueryFilters()
            .Where(a => a.OrganizationId == organizationId && a.EndUserOriginId == originId && a.Category == category && a.Environment == environment)
            .Select(a => (Guid?)a.Id).FirstOrDefaultAsync(ct);
        var session = new LinkSession
        {
            Id = Guid.CreateVersion7(now),
            OrganizationId = organizationId,
            Environment = environment,
            LinkTokenHash = Secrets.Hash(Secrets.Create(Secrets.LinkTokenPrefix)),
            EndUserEmailAddress = email,
            EndUserOrganizationName = organizationName,
            EndUserOriginId = originId,
            Categories = category,
            Integration = integration.Slug,
            Language = "en",
            Status = LinkSessionStatus.Open,
            CreatedAt = now.UtcDateTime,
            ExpiresAt = now.AddMinutes(30).UtcDateTime,
            LinkedAccountId = existing,
        };
        db.LinkSessions.Add(session);
        await CompleteAsync(session, integration, credential, ct);
        session.Status = LinkSessionStatus.Exchanged;
        var token = await MintAccountTokenAsync(session.LinkedAccountId!.Value, ct);
        var account = await db.LinkedAccounts.IgnoreQueryFilters().AsNoTracking().SingleAsync(a => a.Id == session.LinkedAccountId, ct);
        return (account, token);
    }

    /// <summary>The end user left Link without connecting.</summary>
    public async Task ExitAsync(LinkSession session, CancellationToken ct)
    {
        if (session.Status == LinkSessionStatus.Open)
        {
            session.Status = LinkSessionStatus.Exited;
            await db.SaveChangesAsync(ct);
        }
    }

    internal static DateTime? ReadExpiry(JsonElement credential) =>
        credential.ValueKind == JsonValueKind.Object && credential.TryGetProperty("expires_at", out var e) && e.TryGetDateTime(out var at)
            ? DateTime.SpecifyKind(at.ToUniversalTime(), DateTimeKind.Utc)
            : null;
}
