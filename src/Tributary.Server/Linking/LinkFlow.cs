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
internal sealed class LinkFlow(TributaryDbContext db, CredentialVault vault, IntegrationCatalog catalog, TimeProvider time, Sync.SyncScheduler syncs,
    Events.IAccountEvents events, Push.PushSubscriptionRequests pushSubscriptions)
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
    /// existing one relinked (same id, same data, status COMPLETE again). Returns the public token,
    /// or, for an Agent Handler session with a <c>state</c>, the authorization code: the credential
    /// then waits, sealed on the session, for the integrator's code exchange.
    /// </summary>
    public async Task<string> CompleteAsync(LinkSession session, IntegrationDefinition integration, JsonElement credential, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (session.RegisteredUserId is not null && session.CallbackState is not null)
        {
            var code = Secrets.Create(Secrets.AuthorizationCodePrefix);
            var pending = await vault.SealAsync(db, JsonSerializer.SerializeToUtf8Bytes(credential), PendingPurpose(session.Id), ct);
            session.PendingCredential = pending.Ciphertext;
            session.AuthorizationCodeHash = Secrets.Hash(code);
            session.AuthorizationCodeExpiresAt = now + AgentHandler.LinkTokens.AgentLinkTokens.CodeLifetime;
            session.Status = LinkSessionStatus.Completed;
            session.CompletedAt = now;
            await db.SaveChangesAsync(ct);
            return code;
        }

        var account = await LinkAccountAsync(session, integration, credential, now, ct);
        var publicToken = Secrets.Create(Secrets.PublicTokenPrefix);
        session.LinkedAccountId = account.Id;
        session.Status = LinkSessionStatus.Completed;
        session.CompletedAt = now;
        session.PublicTokenHash = Secrets.Hash(publicToken);
        session.PublicTokenExpiresAt = now + LinkedAccounts.AccountTokenEndpoints.PublicTokenLifetime;
        await db.SaveChangesAsync(ct);
        // The initial sync starts right after linking, on whichever replica picks the job up. Were this
        // lost to a crash right here, housekeeping starts the initial sync of accounts that never had one.
        await syncs.RequestNowAsync(account.Id, "linked", full: false, ct);
        await pushSubscriptions.RequestAsync(account, ct);
        return publicToken;
    }

    /// <summary>
    /// The Agent Handler code exchange: claims the code (of concurrent exchanges exactly one wins the
    /// conditional update), then stores the pending credential as the session's linked account.
    /// Returns null when the code was already used.
    /// </summary>
    public async Task<LinkedAccount?> ConfirmAsync(Guid sessionId, byte[] codeHash, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var claimed = await db.LinkSessions.IgnoreQueryFilters()
            .Where(s => s.Id == sessionId && s.AuthorizationCodeHash == codeHash && s.Status == LinkSessionStatus.Completed)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, LinkSessionStatus.Exchanged).SetProperty(x => x.AuthorizationCodeHash, (byte[]?)null), ct);
        if (claimed == 0)
        {
            return null;
        }
        var session = await db.LinkSessions.IgnoreQueryFilters().SingleAsync(s => s.Id == sessionId, ct);
        var integration = catalog.Find(session.Integration ?? "") ?? throw new InvalidOperationException($"Session {sessionId} names no known integration.");
        using var credential = JsonDocument.Parse(await vault.OpenAsync(db, session.PendingCredential!, PendingPurpose(session.Id), ct));
        var now = time.GetUtcNow().UtcDateTime;
        var account = await LinkAccountAsync(session, integration, credential.RootElement, now, ct);
        session.LinkedAccountId = account.Id;
        session.PendingCredential = null;
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        // The initial sync starts right after linking, on whichever replica picks the job up. Were this
        // lost to a crash right here, housekeeping starts the initial sync of accounts that never had one.
        await syncs.RequestNowAsync(account.Id, "linked", full: false, ct);
        await pushSubscriptions.RequestAsync(account, ct);
        return account;
    }

    private static string PendingPurpose(Guid sessionId) => $"pending-credential:{sessionId}";

    /// <summary>Creates or relinks the session's account and seals its credential (saved by the caller).</summary>
    private async Task<LinkedAccount> LinkAccountAsync(LinkSession session, IntegrationDefinition integration, JsonElement credential, DateTime now, CancellationToken ct)
    {
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
                // Agent Handler: an INDIVIDUAL credential is owned by its registered user; SHARED and
                // ORGANIZATION ones by the company or organization (see ADR 0008).
                AgentAuthScope = session.AgentAuthScope,
                RegisteredUserId = session.AgentAuthScope == AgentHandler.AuthScopes.Individual ? session.RegisteredUserId : null,
                SharedCredentialGroup = session.SharedCredentialGroup,
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
        // LinkedAccount.linked commits with the link itself (outbox); a magic link's carries the account token.
        await events.LinkedAsync(db, account, isRelink, withAccountToken: session.IsMagicLink, ct);
        return account;
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
