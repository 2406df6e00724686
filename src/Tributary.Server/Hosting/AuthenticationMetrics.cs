using System.Diagnostics.Metrics;
using Tributary.Server.Auth;
using Tributary.Server.Errors;

namespace Tributary.Server.Hosting;

/// <summary>
/// Counts what <see cref="ApiAuthenticationMiddleware"/> decided for each API request
/// (<c>tributary.api.authentications</c>, by outcome and environment): a rise in rejected keys or
/// throttled accounts shows on a dashboard before anyone files an issue.
/// </summary>
internal sealed class AuthenticationMetrics(RequestDelegate next)
{
    private static readonly Counter<long> Authentications = Telemetry.Meter.CreateCounter<long>(
        "tributary.api.authentications", unit: "{request}",
        description: "API requests by authentication outcome: authenticated, invalid_api_key, invalid_account_token, rate_limited or error.");

    public async Task InvokeAsync(HttpContext context, TenantContext tenant)
    {
        var metadata = context.GetEndpoint()?.Metadata;
        if (metadata?.GetMetadata<RequiresApiKey>() is null)
        {
            await next(context);
            return;
        }
        var needsAccount = metadata.GetMetadata<RequiresAccountToken>() is not null;
        var outcome = "authenticated";
        try
        {
            await next(context);
        }
        catch (ApiException e) when (e.StatusCode == StatusCodes.Status401Unauthorized && tenant.OrganizationId is null)
        {
            outcome = "invalid_api_key";
            throw;
        }
        catch (ApiException e) when (e.StatusCode == StatusCodes.Status401Unauthorized && needsAccount && tenant.LinkedAccountId is null)
        {
            outcome = "invalid_account_token";
            throw;
        }
        catch (ApiException e) when (e.StatusCode == StatusCodes.Status429TooManyRequests && needsAccount)
        {
            outcome = "rate_limited";
            throw;
        }
        catch (Exception) when (tenant.OrganizationId is null || (needsAccount && tenant.LinkedAccountId is null))
        {
            // Authentication could not finish (e.g. the database is unreachable).
            outcome = "error";
            throw;
        }
        finally
        {
            Count(tenant, outcome);
        }
    }

    private static void Count(TenantContext tenant, string outcome)
    {
        if (!Authentications.Enabled)
        {
            return;
        }
        var environment = tenant.Environment?.ToString().ToLowerInvariant() ?? "unknown";
        Authentications.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("environment", environment));
    }
}
