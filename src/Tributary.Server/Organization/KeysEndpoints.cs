using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;

namespace Tributary.Server.Organization;

/// <summary>Merge's <c>RemoteKey</c>: the name and, this once, the secret.</summary>
internal sealed record RemoteKey(string Name, string Key);

/// <summary>Merge's <c>GenerateRemoteKeyRequest</c> and <c>RemoteKeyForRegenerationRequest</c>.</summary>
internal sealed record KeyNameRequest(string? Name);

internal static class KeysEndpoints
{
    public static RouteGroupBuilder MapKeys(this RouteGroupBuilder category)
    {
        category.MapPost("/generate-key", GenerateAsync).RequireApiKey()
            .WithName("GenerateKey").WithTags("Organization")
            .WithSummary("Create a remote production API key")
            .WithDescription("Needs a production key. The new key is shown once, in this response.")
            .Accepts<KeyNameRequest>("application/json")
            .ProducesError(StatusCodes.Status403Forbidden, "The calling key is a test key; only production keys create production keys.");
        category.MapPost("/regenerate-key", RegenerateAsync).RequireApiKey()
            .WithName("RegenerateKey").WithTags("Organization")
            .WithSummary("Exchange the calling API key for a new one")
            .WithDescription("The key that authenticated this request stops working at once; the new key is shown once.")
            .Accepts<KeyNameRequest>("application/json");
        return category;
    }

    internal static async Task<Ok<RemoteKey>> GenerateAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, ApiKeys keys, CancellationToken ct)
    {
        var name = await ReadNameAsync(http.Request, ct);
        if (tenant.Environment != ApiEnvironment.Production)
        {
            throw ApiException.Forbidden("A test API key cannot create production keys: call generate-key with a production key.");
        }
        var issued = keys.Create(db, tenant.RequiredOrganizationId, ApiEnvironment.Production, name, AuditActor.ApiKey(http, tenant.ApiKeyName!));
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new RemoteKey(issued.Key.Name, issued.Secret));
    }

    internal static async Task<Ok<RemoteKey>> RegenerateAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, ApiKeys keys, CancellationToken ct)
    {
        var name = await ReadNameAsync(http.Request, ct);
        var current = await db.ApiKeys.SingleAsync(k => k.Id == tenant.ApiKeyId, ct);
        var issued = keys.Regenerate(db, current, name, AuditActor.ApiKey(http, current.Name));
        // Revocation and replacement commit together: a failed save leaves the old key working.
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new RemoteKey(issued.Key.Name, issued.Secret));
    }

    private static async Task<string> ReadNameAsync(HttpRequest request, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<KeyNameRequest>(request, ct);
        if (string.IsNullOrWhiteSpace(body.Name))
        {
            throw ValidationException.For("name", "This field is required: name the key, e.g. {\"name\": \"backend\"}.");
        }
        if (body.Name.Length > 200)
        {
            throw ValidationException.For("name", "Ensure this field has no more than 200 characters.");
        }
        if (body.Name.Any(char.IsControl))
        {
            // PostgreSQL cannot store NUL in text, and no key name needs a control character.
            throw ValidationException.For("name", "The name must not contain control characters.");
        }
        return body.Name.Trim();
    }
}
