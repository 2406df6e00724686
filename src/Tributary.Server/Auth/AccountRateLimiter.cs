using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Server.Errors;
using Tributary.Server.Hosting;

namespace Tributary.Server.Auth;

/// <summary>
/// Merge's per-linked-account request budget: a fixed one-minute window per account, with the
/// organization's own limit or the server default. Counted per process: N replicas allow up to
/// N times the budget (see docs/decisions/0004-rate-limits.md).
/// </summary>
internal sealed class AccountRateLimiter(TimeProvider time, IOptionsMonitor<TributaryOptions> options, IServiceScopeFactory scopes)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan LimitCacheFor = TimeSpan.FromSeconds(30);
    private static readonly string[] RateLimitHeaders = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"];
    private readonly ConcurrentDictionary<Guid, Counter> _counters = new();
    private readonly ConcurrentDictionary<Guid, (int? Limit, DateTimeOffset ReadAt)> _orgLimits = new();

    public async Task AcquireAsync(HttpContext context, Guid organizationId, Guid linkedAccountId)
    {
        var limit = await LimitForAsync(organizationId, context.RequestAborted) ?? options.CurrentValue.RateLimitPerMinute;
        var now = time.GetUtcNow();
        var windowStart = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % Window.Ticks), TimeSpan.Zero);
        var counter = _counters.GetOrAdd(linkedAccountId, _ => new Counter());
        int used;
        lock (counter)
        {
            if (counter.WindowStart != windowStart)
            {
                counter.WindowStart = windowStart;
                counter.Count = 0;
            }
            used = ++counter.Count;
        }

        var reset = windowStart + Window;
        var headers = context.Response.Headers;
        headers["X-RateLimit-Limit"] = limit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = Math.Max(0, limit - used).ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        if (used > limit)
        {
            var wait = (int)Math.Ceiling((reset - now).TotalSeconds);
            var error = ApiException.Detail(System.Net.HttpStatusCode.TooManyRequests,
                $"Request was throttled. Expected available in {wait} seconds.");
            error.Headers["Retry-After"] = wait.ToString(CultureInfo.InvariantCulture);
            // The error handler starts the response afresh, so the 429 carries its own copy of these.
            foreach (var name in RateLimitHeaders)
            {
                error.Headers[name] = headers[name].ToString();
            }
            throw error;
        }
    }

    private async Task<int?> LimitForAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_orgLimits.TryGetValue(organizationId, out var cached) && now - cached.ReadAt < LimitCacheFor)
        {
            return cached.Limit;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        var limit = await db.Organizations.IgnoreQueryFilters().Where(o => o.Id == organizationId)
            .Select(o => o.RateLimitPerMinute).SingleOrDefaultAsync(cancellationToken);
        _orgLimits[organizationId] = (limit, now);
        return limit;
    }

    private sealed class Counter
    {
        public DateTimeOffset WindowStart;
        public int Count;
    }
}
