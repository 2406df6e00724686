using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Server.Errors;

namespace Tributary.Server.Auth;

/// <summary>Endpoint metadata: the API key must be present and valid.</summary>
internal sealed class RequiresApiKey;

/// <summary>Endpoint metadata: <c>X-Account-Token</c> must name a linked account of the key's organization.</summary>
internal sealed class RequiresAccountToken;

internal static class AuthEndpointExtensions
{
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiresApiKey());

    public static TBuilder RequireAccountToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiresApiKey(), new RequiresAccountToken());
}

/// <summary>
/// Authentication and tenancy for every API endpoint, in one place: the bearer key resolves the
/// organization and environment, <c>X-Account-Token</c> the linked account (only where the endpoint
/// needs one: Merge's SDKs send it everywhere), then the per-account rate limit applies.
/// </summary>
internal sealed class ApiAuthenticationMiddleware(RequestDelegate next)
{
    public const string AccountTokenHeader = "X-Account-Token";

    public async Task InvokeAsync(HttpContext context, TenantContext tenant, TributaryDbContext db, AccountRateLimiter rateLimiter, CredentialCache cache)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<RequiresApiKey>() is null)
        {
            await next(context);
            return;
        }

        var key = ReadBearer(context.Request) ?? throw ApiException.Unauthorized(
            "Authentication credentials were not provided. Send your API key as 'Authorization: Bearer <key>'.");
        var hash = Secrets.Hash(key);
        if (!cache.TryGetKey(hash, out var apiKey))
        {
            var generation = cache.Generation;
            var stored = await db.ApiKeys.IgnoreQueryFilters().AsNoTracking()
                .SingleOrDefaultAsync(k => k.SecretHash == hash, context.RequestAborted);
            if (stored is null || stored.RevokedAt is not null || !CryptographicOperations.FixedTimeEquals(stored.SecretHash, hash))
            {
                throw ApiException.Unauthorized("Invalid API key: it is unknown, revoked or was regenerated.");
            }
            apiKey = new CachedApiKey(stored.Id, stored.OrganizationId, stored.Environment, stored.Name);
            cache.AddKey(hash, apiKey, generation);
        }
        tenant.SetApiKey(apiKey);

        if (endpoint.Metadata.GetMetadata<RequiresAccountToken>() is not null)
        {
            var token = context.Request.Headers[AccountTokenHeader].ToString();
            if (string.IsNullOrWhiteSpace(token))
            {
                throw ApiException.Unauthorized("Account Token must be passed in as an X-Account-Token header.");
            }
            var tokenHash = Secrets.Hash(token.Trim());
            if (!cache.TryGetAccount(apiKey.OrganizationId, apiKey.Environment, tokenHash, out var account))
            {
                var generation = cache.Generation;
                // The tenant filter is active here: a token of another organization, or a production
                // account under a test key, is simply not found. The cache keeps the answer per
                // (organization, environment), the filter's inputs.
                account = await db.LinkedAccounts.AsNoTracking()
                    .Where(a => a.AccountTokenHash == tokenHash)
                    .Select(a => new CachedAccount(a.Id, a.OrganizationId))
                    .SingleOrDefaultAsync(context.RequestAborted)
                    ?? throw ApiException.Unauthorized("Invalid X-Account-Token: no linked account of this organization and environment has this token.");
                cache.AddAccount(apiKey.OrganizationId, apiKey.Environment, tokenHash, account, generation);
            }
            tenant.SetLinkedAccount(account.Id);
            await rateLimiter.AcquireAsync(context, account.OrganizationId, account.Id);
        }

        await next(context);
    }

    private static string? ReadBearer(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var value = header[scheme.Length..].Trim();
        return value.Length == 0 ? null : value;
    }
}
