using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Linking;
using Tributary.Server.Organization;

namespace Tributary.Server.OAuthApps;

/// <summary>Body of <c>PUT /api/v1/oauth-apps/{integration}</c>.</summary>
internal sealed record OAuthAppRequest(string? ClientId, string? ClientSecret, string? Scopes);

/// <summary>An organization's OAuth client as shown back: never the secret.</summary>
internal sealed record OAuthAppDto(string Integration, string ClientId, string? Scopes, string RedirectUri, DateTime CreatedAt, DateTime UpdatedAt);

internal static class OAuthAppsEndpoints
{
    public static IEndpointRouteBuilder MapOAuthApps(this IEndpointRouteBuilder app)
    {
        var apps = app.MapGroup("/api/v1/oauth-apps").WithTags("OAuth apps").RequireApiKey();
        apps.MapGet("", ListAsync).WithName("ListOAuthApps")
            .WithSummary("The organization's own OAuth clients, with the redirect URI to register at each provider");
        apps.MapPut("/{integration}", SetAsync).WithName("SetOAuthApp")
            .WithSummary("Register or replace the organization's OAuth client for an integration (production key only)");
        apps.MapDelete("/{integration}", DeleteAsync).WithName("DeleteOAuthApp")
            .WithSummary("Forget the organization's OAuth client for an integration (production key only)");
        return app;
    }

    internal static async Task<Ok<List<OAuthAppDto>>> ListAsync(HttpContext http, TributaryDbContext db, CancellationToken ct)
    {
        var all = await db.OAuthApps.AsNoTracking().OrderBy(a => a.IntegrationSlug).ToListAsync(ct);
        return TypedResults.Ok(all.Select(a => ToDto(a, http)).ToList());
    }

    internal static async Task<Ok<OAuthAppDto>> SetAsync(
        string integration, HttpContext http, TenantContext tenant, TributaryDbContext db, IntegrationCatalog catalog,
        OAuthAppStore store, AuditTrail audit, CancellationToken ct)
    {
        RequireProductionKey(tenant);
        if (catalog.Find(integration) is null)
        {
            throw ApiException.NotFound($"Unknown integration \"{integration}\". Use one of: {string.Join(", ", catalog.All.Select(i => i.Slug).Order(StringComparer.Ordinal))}.");
        }
        var body = await JsonBody.ReadAsync<OAuthAppRequest>(http.Request, ct);
        var errors = new FieldErrors();
        var clientId = errors.Required("client_id", body.ClientId, 500);
        var clientSecret = errors.Required("client_secret", body.ClientSecret, 2000);
        if (body.Scopes is { Length: > 2000 })
        {
            errors.Add("scopes", "Ensure this field has no more than 2000 characters.");
        }
        errors.ThrowIfAny();
        var app = await store.SetAsync(db, tenant.RequiredOrganizationId, integration, clientId!, clientSecret!, body.Scopes, ct);
        audit.Record(db, tenant.RequiredOrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AuditEventTypes.ChangedOrganizationSettings,
            $"Set the OAuth client for {integration} (client id {clientId}).");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(ToDto(app, http));
    }

    internal static async Task<Ok<Dictionary<string, object>>> DeleteAsync(
        string integration, HttpContext http, TenantContext tenant, TributaryDbContext db, AuditTrail audit, CancellationToken ct)
    {
        RequireProductionKey(tenant);
        var app = await db.OAuthApps.SingleOrDefaultAsync(a => a.IntegrationSlug == integration, ct)
            ?? throw ApiException.NotFound($"No OAuth client is registered for \"{integration}\".");
        db.OAuthApps.Remove(app);
        audit.Record(db, tenant.RequiredOrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AuditEventTypes.ChangedOrganizationSettings,
            $"Removed the OAuth client for {integration}.");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new Dictionary<string, object> { ["integration"] = integration, ["deleted"] = true });
    }

    private static void RequireProductionKey(TenantContext tenant)
    {
        if (tenant.Environment != ApiEnvironment.Production)
        {
            throw ApiException.Forbidden("OAuth clients are organization settings: change them with a production API key.");
        }
    }

    private static OAuthAppDto ToDto(OAuthApp a, HttpContext http) =>
        new(a.IntegrationSlug, a.ClientId, a.Scopes, OAuthAppStore.RedirectUri(PublicUrls.Base(http), a.IntegrationSlug), a.CreatedAt, a.UpdatedAt);
}
