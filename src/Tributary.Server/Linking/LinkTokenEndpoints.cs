using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Hosting;
using Tributary.Server.Organization;

namespace Tributary.Server.Linking;

internal static class LinkTokenEndpoints
{
    public const int DefaultExpiryMinutes = 30;
    public const int MaxExpiryMinutes = 720;
    public const int MaxMagicLinkExpiryMinutes = 10080;

    public static RouteGroupBuilder MapLinkToken(this RouteGroupBuilder category)
    {
        category.MapPost("/link-token", CreateAsync).RequireApiKey()
            .WithName("CreateLinkToken").WithTags("Linking")
            .WithSummary("Create a link token for an end user")
            .WithDescription("An end_user_origin_id that already has a linked account in one of the categories relinks that account instead of creating another.");
        return category;
    }

    /// <summary>Merge's legacy, category-less path for the same operation.</summary>
    public static IEndpointRouteBuilder MapLegacyLinkToken(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/integrations/create-link-token", CreateAsync).RequireApiKey()
            .WithName("CreateLinkTokenLegacy").WithTags("Linking").ExcludeFromDescription();
        return app;
    }

    internal static async Task<Ok<LinkTokenResponse>> CreateAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, IntegrationCatalog catalog, TimeProvider time,
        AuditTrail audit, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<LinkTokenRequest>(http.Request, ct);
        var errors = new FieldErrors();
        var email = errors.Required("end_user_email_address", body.EndUserEmailAddress, 100);
        var organizationName = errors.Required("end_user_organization_name", body.EndUserOrganizationName, 100);
        var originId = errors.Required("end_user_origin_id", body.EndUserOriginId, 100);

        var categories = body.Categories ?? [];
        if (categories.Count == 0)
        {
            errors.Add("categories", "This field is required: a list of categories, e.g. [\"filestorage\"].");
        }
        foreach (var c in categories.Where(c => !TributaryServer.Categories.Contains(c)))
        {
            errors.Add("categories", $"\"{c}\" is not a valid choice. Use any of: {string.Join(", ", TributaryServer.Categories)}.");
        }

        IntegrationDefinition? integration = null;
        if (!string.IsNullOrEmpty(body.Integration))
        {
            integration = catalog.Find(body.Integration);
            if (integration is null)
            {
                errors.Add("integration", $"Unknown integration \"{body.Integration}\". Use one of: {string.Join(", ", catalog.All.Select(i => i.Slug).Order(StringComparer.Ordinal))}.");
            }
            else if (categories.Count > 0 && !integration.Categories.Any(categories.Contains))
            {
                errors.Add("integration", $"{integration.Name} offers {string.Join(", ", integration.Categories)}, none of the requested categories.");
            }
        }

        var magic = body.ShouldCreateMagicLinkUrl ?? false;
        var expiry = body.LinkExpiryMins ?? DefaultExpiryMinutes;
        var maxExpiry = magic ? MaxMagicLinkExpiryMinutes : MaxExpiryMinutes;
        if (expiry < DefaultExpiryMinutes || expiry > maxExpiry)
        {
            errors.Add("link_expiry_mins", magic
                ? $"Ensure this value is between {DefaultExpiryMinutes} and {MaxMagicLinkExpiryMinutes} for a magic link."
                : $"Ensure this value is between {DefaultExpiryMinutes} and {MaxExpiryMinutes} (up to {MaxMagicLinkExpiryMinutes} with should_create_magic_link_url).");
        }

        var language = body.Language ?? "en";
        if (!LinkLanguages.All.Contains(language))
        {
            errors.Add("language", $"\"{language}\" is not a valid choice. Use one of: {string.Join(", ", LinkLanguages.All)}.");
        }
        CommonModelScopes.Validate(body.CategoryCommonModelScopes, errors);
        errors.ThrowIfAny();

        var environment = tenant.Environment ?? ApiEnvironment.Production;
        // One linked account per end user and category: an existing one is relinked, not duplicated.
        // The tenant filter already keeps a test key to test accounts; among several candidates the
        // preselected integration's account wins, then the key's own environment.
        var candidates = await db.LinkedAccounts
            .Where(a => a.EndUserOriginId == originId && categories.Contains(a.Category))
            .Select(a => new { a.Id, a.IntegrationSlug, a.Environment, a.CreatedAt })
            .ToListAsync(ct);
        var existing = candidates
            .OrderByDescending(a => a.IntegrationSlug == integration?.Slug)
            .ThenByDescending(a => a.Environment == environment)
            .ThenBy(a => a.CreatedAt)
            .Select(a => (Guid?)a.Id).FirstOrDefault();

        var token = Secrets.Create(Secrets.LinkTokenPrefix);
        var now = time.GetUtcNow();
        var session = new LinkSession
        {
            Id = Guid.CreateVersion7(now),
            OrganizationId = tenant.RequiredOrganizationId,
            Environment = environment,
            LinkTokenHash = Secrets.Hash(token),
            EndUserEmailAddress = email!,
            EndUserOrganizationName = organizationName!,
            EndUserOriginId = originId!,
            Categories = string.Join(',', categories.Distinct()),
            Integration = integration?.Slug,
            IsMagicLink = magic,
            HideAdminMagicLink = body.HideAdminMagicLink ?? false,
            Language = language,
            ScopesJson = ScopesJson.Serialize(body.CategoryCommonModelScopes),
            Status = LinkSessionStatus.Open,
            CreatedAt = now.UtcDateTime,
            ExpiresAt = now.AddMinutes(expiry).UtcDateTime,
            LinkedAccountId = existing,
        };
        db.LinkSessions.Add(session);
        string? magicLinkUrl = null;
        if (magic)
        {
            magicLinkUrl = $"{PublicUrls.Base(http)}/magic-link/{token}";
            audit.Record(db, session.OrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AuditEventTypes.GeneratedMagicLink,
                $"Generated a magic link for end user \"{originId}\" ({organizationName}), valid {expiry} minutes.");
        }
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new LinkTokenResponse(token, integration?.Name, magicLinkUrl));
    }
}

/// <summary>DRF-style field errors collected across a whole body, answered as one 400.</summary>
internal sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }
        list.Add(message);
    }

    public string? Required(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, "This field is required.");
            return null;
        }
        if (value.Length > maxLength)
        {
            Add(field, $"Ensure this field has no more than {maxLength} characters.");
            return null;
        }
        return value.Trim();
    }

    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new ValidationException(_errors);
        }
    }
}

/// <summary>Merge's <c>category_common_model_scopes</c>: per category, per model, READ/WRITE and field switches.</summary>
internal static class CommonModelScopes
{
    public static void Validate(JsonObject? scopes, FieldErrors errors)
    {
        if (scopes is null)
        {
            return;
        }
        foreach (var (category, models) in scopes)
        {
            var path = $"category_common_model_scopes.{category}";
            if (!TributaryServer.Categories.Contains(category))
            {
                errors.Add(path, $"\"{category}\" is not a category. Use any of: {string.Join(", ", TributaryServer.Categories)}.");
                continue;
            }
            if (models is not JsonArray list)
            {
                errors.Add(path, "Expected a list of {model_name, model_permissions, field_permissions} objects.");
                continue;
            }
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is not JsonObject model || model["model_name"] is not JsonValue name || name.GetValueKind() != System.Text.Json.JsonValueKind.String)
                {
                    errors.Add($"{path}[{i}].model_name", "This field is required: the common model's name, e.g. \"File\".");
                }
            }
        }
    }
}

internal static class PublicUrls
{
    /// <summary>The origin end users reach Tributary at: Tributary:PublicUrl, else the request's own.</summary>
    public static string Base(HttpContext http)
    {
        var configured = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<TributaryOptions>>().Value.PublicUrl;
        return string.IsNullOrWhiteSpace(configured) ? $"{http.Request.Scheme}://{http.Request.Host}" : configured.TrimEnd('/');
    }
}
