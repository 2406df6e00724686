using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.Auth;
using Tributary.Server.Errors;

namespace Tributary.Server.LinkedAccounts;

/// <summary>Merge's <c>AccountIntegration</c>.</summary>
internal sealed record AccountIntegrationDto(
    string Name, string AbbreviatedName, IReadOnlyList<string> Categories, string? Image, string? SquareImage, string Color,
    string Slug, IReadOnlyDictionary<string, object> ApiEndpointsToDocumentationUrls, string? WebhookSetupGuideUrl,
    IReadOnlyDictionary<string, object> CategoryBetaStatus)
{
    public static AccountIntegrationDto From(IntegrationDefinition i, string baseUrl) => new(
        i.Name, i.AbbreviatedName, i.Categories, $"{baseUrl}/link/assets/logos/{i.Slug}.svg", $"{baseUrl}/link/assets/logos/{i.Slug}.svg",
        i.Color, i.Slug, new Dictionary<string, object>(), null, new Dictionary<string, object>());
}

/// <summary>Merge's <c>AccountToken</c>.</summary>
internal sealed record AccountTokenDto(string AccountToken, AccountIntegrationDto Integration, Guid Id);

/// <summary>Merge's <c>RegenerateAccountToken</c>.</summary>
internal sealed record RegenerateAccountTokenDto(Guid LinkedAccountId, string AccountToken);

internal static class AccountTokenEndpoints
{
    public static readonly TimeSpan PublicTokenLifetime = TimeSpan.FromMinutes(10);

    public static RouteGroupBuilder MapAccountToken(this RouteGroupBuilder category)
    {
        category.MapPost("/account-token/regenerate", RegenerateAsync).RequireAccountToken()
            .WithName("RegenerateAccountToken").WithTags("Linked accounts")
            .WithSummary("Replace the account token; the old one stops working at once");
        category.MapGet("/account-token/{public_token}", ExchangeAsync).RequireApiKey()
            .WithName("RetrieveAccountToken").WithTags("Linked accounts")
            .WithSummary("Exchange a public token from Link for the linked account's account token")
            .WithDescription("Public tokens are single use and expire 10 minutes after the end user finishes Link. " +
                "Account tokens are stored only as hashes, so each exchange mints the account's token anew: relinking an account replaces its token.");
        return category;
    }

    internal static async Task<Ok<AccountTokenDto>> ExchangeAsync(
        string public_token, HttpContext http, TributaryDbContext db, IntegrationCatalog catalog, TimeProvider time, Linking.LinkFlow flow,
        CancellationToken ct)
    {
        var hash = Secrets.Hash(public_token);
        var now = time.GetUtcNow().UtcDateTime;
        // The tenant filter makes another organization's public token simply not found.
        var session = await db.LinkSessions.AsNoTracking()
            .SingleOrDefaultAsync(s => s.PublicTokenHash == hash, ct);
        if (session is null || session.Status != LinkSessionStatus.Completed || session.PublicTokenExpiresAt < now || session.LinkedAccountId is null)
        {
            throw ApiException.NotFound("Public token not found: it is unknown, expired (10 minutes) or was already exchanged.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // Single use: of concurrent exchanges, only the one that flips the status wins.
        var claimed = await db.LinkSessions
            .Where(s => s.Id == session.Id && s.Status == LinkSessionStatus.Completed)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, LinkSessionStatus.Exchanged), ct);
        if (claimed != 1)
        {
            throw ApiException.NotFound("Public token not found: it is unknown, expired (10 minutes) or was already exchanged.");
        }
        var token = await flow.MintAccountTokenAsync(session.LinkedAccountId.Value, ct);
        await transaction.CommitAsync(ct);
        var account = await db.LinkedAccounts.AsNoTracking().SingleAsync(a => a.Id == session.LinkedAccountId, ct);

        var integration = catalog.Find(account.IntegrationSlug)
            ?? throw new InvalidOperationException($"Linked account {account.Id} names integration '{account.IntegrationSlug}', which is not in the catalog.");
        return TypedResults.Ok(new AccountTokenDto(token, AccountIntegrationDto.From(integration, Linking.PublicUrls.Base(http)), account.Id));
    }

    internal static async Task<Ok<RegenerateAccountTokenDto>> RegenerateAsync(
        TenantContext tenant, Linking.LinkFlow flow, CancellationToken ct)
    {
        var token = await flow.MintAccountTokenAsync(tenant.RequiredLinkedAccountId, ct);
        return TypedResults.Ok(new RegenerateAccountTokenDto(tenant.RequiredLinkedAccountId, token));
    }
}
