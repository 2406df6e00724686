using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.AgentHandler.CallbackOrigins;
using Tributary.Server.AgentHandler.Logs;
using Tributary.Server.AgentHandler.RegisteredUsers;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Linking;
using Tributary.Server.Organization;

namespace Tributary.Server.AgentHandler.LinkTokens;

internal sealed record AgentLinkTokenRequest(string? Connector, string? CallbackUrl, string? State, string? AuthScope, int? LinkExpiryMins);

internal sealed record AgentLinkTokenResponse(string LinkToken, string MagicLinkUrl, DateTime ExpiresAt);

internal sealed record ConfirmRequest(string? Code);

/// <summary>What the code exchange created.</summary>
internal sealed record ConfirmedCredentialDto(
    Guid Id, Guid RegisteredUserId, string Connector, string AuthScope, string Status, string? State, DateTime CreatedAt);

internal static class AgentLinkTokenEndpoints
{
    public static RouteGroupBuilder MapAgentLinkTokens(this RouteGroupBuilder v1)
    {
        v1.MapPost("/registered-users/{id:guid}/link-token", CreateAsync).WithName("CreateAgentLinkToken").WithTags("Agent Handler")
            .WithSummary("A link token and magic link for a registered user to authenticate a connector")
            .WithDescription("Body {connector, callback_url?, state?, auth_scope?, link_expiry_mins?}. state requires callback_url; the callback's " +
                "origin must be registered under /api/v1/allowed-callback-origins. With state, the credential is created only by POST /api/v1/link-token/confirm.");
        v1.MapPost("/link-token/confirm", ConfirmAsync).WithName("ConfirmAgentLinkToken").WithTags("Agent Handler")
            .WithSummary("Exchange the code a callback received for the credential (production key of the creating organization; 5 minutes; once)");
        return v1;
    }

    internal static async Task<Created<AgentLinkTokenResponse>> CreateAsync(
        Guid id, HttpContext http, TributaryDbContext db, IntegrationCatalog catalog, AgentLinkTokens tokens, CancellationToken ct)
    {
        var user = await RegisteredUsersEndpoints.FindAsync(db, id, ct);
        var body = await JsonBody.ReadAsync<AgentLinkTokenRequest>(http.Request, ct);
        var errors = new FieldErrors();
        IntegrationDefinition? connector = null;
        if (string.IsNullOrWhiteSpace(body.Connector))
        {
            errors.Add("connector", "This field is required: the connector's slug, e.g. \"sandbox\".");
        }
        else if ((connector = catalog.Find(body.Connector)) is null)
        {
            errors.Add("connector", $"Unknown connector \"{body.Connector}\". Use one of: {string.Join(", ", catalog.All.Select(c => c.Slug).Order(StringComparer.Ordinal))}.");
        }
        var scope = body.AuthScope ?? AuthScopes.Individual;
        if (!AuthScopes.All.Contains(scope))
        {
            errors.Add("auth_scope", $"\"{scope}\" is not a valid choice. Use INDIVIDUAL, SHARED or ORGANIZATION.");
        }
        else if (scope == AuthScopes.Shared && user.OriginCompanyId is null)
        {
            errors.Add("auth_scope", "A SHARED credential is stored per company: give the user a shared_credential_group.origin_company_id first.");
        }
        var expiry = body.LinkExpiryMins ?? AgentLinkTokens.DefaultExpiryMinutes;
        if (expiry < 5 || expiry > LinkTokenEndpoints.MaxMagicLinkExpiryMinutes)
        {
            errors.Add("link_expiry_mins", $"Ensure this value is between 5 and {LinkTokenEndpoints.MaxMagicLinkExpiryMinutes}.");
        }
        var callback = await ValidateCallbackAsync(db, body.CallbackUrl, body.State, errors, ct);
        errors.ThrowIfAny();

        var created = await tokens.CreateAsync(db, new AgentLinkRequest(user, connector!, scope, callback, body.State, expiry), PublicUrls.Base(http), ct);
        return TypedResults.Created((string?)null, new AgentLinkTokenResponse(created.LinkToken, created.MagicLinkUrl, created.ExpiresAt));
    }

    private static async Task<string?> ValidateCallbackAsync(TributaryDbContext db, string? callbackUrl, string? state, FieldErrors errors, CancellationToken ct)
    {
        if (state is not null)
        {
            if (state.Length == 0 || state.Length > 1000)
            {
                errors.Add("state", "Send a non-empty state of at most 1000 characters (a random value you check on the callback).");
            }
            if (string.IsNullOrWhiteSpace(callbackUrl))
            {
                errors.Add("state", "state requires callback_url: the code and state are delivered to your callback URL.");
            }
        }
        if (string.IsNullOrWhiteSpace(callbackUrl))
        {
            return null;
        }
        if (callbackUrl.Length > 2000)
        {
            errors.Add("callback_url", "Ensure this field has no more than 2000 characters.");
            return null;
        }
        if (!CallbackOrigin.TryParse(callbackUrl, out var origin, out var rest, out var problem))
        {
            errors.Add("callback_url", problem!);
            return null;
        }
        var query = rest.Contains('?', StringComparison.Ordinal) ? rest[(rest.IndexOf('?', StringComparison.Ordinal) + 1)..].Split('#')[0] : "";
        var reserved = query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')[0])
            .FirstOrDefault(p => p is "status" or "code" or "state");
        if (reserved is not null)
        {
            errors.Add("callback_url", $"Leave \"{reserved}\" out of callback_url: Tributary appends status, code and state itself.");
        }
        if (!await db.AllowedCallbackOrigins.AnyAsync(o => o.Origin == origin, ct))
        {
            errors.Add("callback_url", $"The origin {origin} is not an allowed callback origin of this organization: register it with POST /api/v1/allowed-callback-origins.");
        }
        return callbackUrl.Trim();
    }

    internal static async Task<Ok<ConfirmedCredentialDto>> ConfirmAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, LinkFlow flow, TimeProvider time, AuditTrail audit, CancellationToken ct)
    {
        if (tenant.Environment != ApiEnvironment.Production)
        {
            throw ApiException.Forbidden("The code exchange needs a production API key; this is a test key.");
        }
        var body = await JsonBody.ReadAsync<ConfirmRequest>(http.Request, ct);
        if (string.IsNullOrWhiteSpace(body.Code))
        {
            throw ValidationException.For("code", "This field is required: the code your callback URL received.");
        }
        var hash = Secrets.Hash(body.Code.Trim());
        // The tenant filter keeps other organizations' codes invisible: they read as unknown.
        var session = await db.LinkSessions.AsNoTracking().SingleOrDefaultAsync(s => s.AuthorizationCodeHash == hash, ct)
            ?? throw ValidationException.For("code", "Unknown or already used code: codes are single use and belong to the organization that created the link token.");
        if (session.AuthorizationCodeExpiresAt <= time.GetUtcNow().UtcDateTime)
        {
            throw ValidationException.For("code", $"The code expired at {session.AuthorizationCodeExpiresAt:O} (codes live {AgentLinkTokens.CodeLifetime.TotalMinutes:0} minutes); the user must authenticate again.");
        }

        var account = await flow.ConfirmAsync(session.Id, hash, ct)
            ?? throw ValidationException.For("code", "Unknown or already used code: codes are single use and belong to the organization that created the link token.");
        audit.Record(db, account.OrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AgentAuditEvents.CredentialCreated,
            $"Created the {account.IntegrationSlug} credential of registered user {session.RegisteredUserId} by code exchange.");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new ConfirmedCredentialDto(account.Id, session.RegisteredUserId!.Value, account.IntegrationSlug,
            account.AgentAuthScope ?? AuthScopes.Individual, "ACTIVE", session.CallbackState, account.CompletedAt ?? account.CreatedAt));
    }
}
