using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Data.Entities.AgentHandler;

namespace Tributary.Server.AgentHandler;

/// <summary>Agent Handler's credential scopes: whose credential a tool pack's connector uses.</summary>
internal static class AuthScopes
{
    public const string Individual = "INDIVIDUAL";
    public const string Shared = "SHARED";
    public const string Organization = "ORGANIZATION";
    public static readonly IReadOnlyList<string> All = [Individual, Shared, Organization];
}

/// <summary>
/// Finds the linked account that holds a registered user's credential for a connector: the user's
/// own (INDIVIDUAL), their company's (SHARED, by <c>origin_company_id</c>) or the organization's
/// (ORGANIZATION). Everything is keyed by the registered user's id and organization, so one user's
/// MCP URL can never reach another user's INDIVIDUAL credential.
/// </summary>
internal static class AgentCredentials
{
    /// <summary>Accounts that count as authenticated: linked (a broken one still counts, and answers reauth_required).</summary>
    private static readonly LinkedAccountStatus[] Usable = [LinkedAccountStatus.Complete, LinkedAccountStatus.RelinkNeeded, LinkedAccountStatus.Idle];

    public static IQueryable<LinkedAccount> Owned(TributaryDbContext db, RegisteredUser user, string scope) => scope switch
    {
        AuthScopes.Shared => db.LinkedAccounts.IgnoreQueryFilters().Where(a =>
            a.OrganizationId == user.OrganizationId && a.AgentAuthScope == AuthScopes.Shared
            && user.OriginCompanyId != null && a.SharedCredentialGroup == user.OriginCompanyId),
        AuthScopes.Organization => db.LinkedAccounts.IgnoreQueryFilters().Where(a =>
            a.OrganizationId == user.OrganizationId && a.AgentAuthScope == AuthScopes.Organization),
        _ => db.LinkedAccounts.IgnoreQueryFilters().Where(a =>
            a.OrganizationId == user.OrganizationId && a.RegisteredUserId == user.Id && a.AgentAuthScope == AuthScopes.Individual),
    };

    /// <summary>The account holding <paramref name="user"/>'s credential for <paramref name="connector"/> under <paramref name="scope"/>, or null.</summary>
    public static Task<LinkedAccount?> FindAsync(TributaryDbContext db, RegisteredUser user, string connector, string scope, CancellationToken ct) =>
        Owned(db, user, scope).AsNoTracking()
            .Where(a => a.IntegrationSlug == connector && Usable.Contains(a.Status))
            .OrderByDescending(a => a.CompletedAt)
            .FirstOrDefaultAsync(ct);

    /// <summary>The existing account (any status) a new link session relinks, so a user has one account per connector and scope.</summary>
    public static Task<Guid?> ExistingAsync(TributaryDbContext db, RegisteredUser user, string connector, string scope, CancellationToken ct) =>
        Owned(db, user, scope).Where(a => a.IntegrationSlug == connector)
            .OrderByDescending(a => a.CompletedAt).Select(a => (Guid?)a.Id).FirstOrDefaultAsync(ct);

    /// <summary>The connectors <paramref name="user"/> holds an INDIVIDUAL credential for, plus their company's and organization's.</summary>
    public static async Task<IReadOnlyList<string>> AuthenticatedConnectorsAsync(TributaryDbContext db, RegisteredUser user, CancellationToken ct)
    {
        var slugs = await db.LinkedAccounts.IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.OrganizationId == user.OrganizationId && Usable.Contains(a.Status) && (
                (a.AgentAuthScope == AuthScopes.Individual && a.RegisteredUserId == user.Id)
                || (a.AgentAuthScope == AuthScopes.Shared && user.OriginCompanyId != null && a.SharedCredentialGroup == user.OriginCompanyId)
                || a.AgentAuthScope == AuthScopes.Organization))
            .Select(a => a.IntegrationSlug).Distinct().ToListAsync(ct);
        return slugs.Order(StringComparer.Ordinal).ToList();
    }
}
