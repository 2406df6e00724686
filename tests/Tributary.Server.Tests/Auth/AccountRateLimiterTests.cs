using System.Globalization;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Auth;

public sealed class AccountRateLimiterTests
{
    private const string AccountDetails = "/api/filestorage/v1/account-details";
    private static readonly DateTimeOffset Start = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AccountDetails_Returns429WithHeaders_WhenServerLimitExceeded(DatabaseKind kind)
    {
        var time = new ManualTimeProvider(Start);
        await using var app = await TributaryApplication.StartAsync(kind, LimitSettings(3), time);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        using var client = app.CreateApiClient(org.ProductionKey, account.Token);

        for (var i = 1; i <= 3; i++)
        {
            var ok = await client.GetAsync(AccountDetails, Ct);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("3", Header(ok, "X-RateLimit-Limit"));
            Assert.Equal((3 - i).ToString(CultureInfo.InvariantCulture), Header(ok, "X-RateLimit-Remaining"));
        }

        time.Advance(TimeSpan.FromSeconds(15));
        var throttled = await client.GetAsync(AccountDetails, Ct);

        var detail = await throttled.AssertDetailAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("Request was throttled. Expected available in 45 seconds.", detail);
        Assert.Equal("45", Header(throttled, "Retry-After"));
        Assert.Equal("3", Header(throttled, "X-RateLimit-Limit"));
        Assert.Equal("0", Header(throttled, "X-RateLimit-Remaining"));
        Assert.Equal(Start.AddMinutes(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), Header(throttled, "X-RateLimit-Reset"));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync(AccountDetails, Ct)).StatusCode);

        time.Advance(TimeSpan.FromSeconds(46));
        var restored = await client.GetAsync(AccountDetails, Ct);
        Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        Assert.Equal("2", Header(restored, "X-RateLimit-Remaining"));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AccountDetails_Returns429_WhenOrganizationOverrideExceeded(DatabaseKind kind)
    {
        var time = new ManualTimeProvider(Start);
        await using var app = await TributaryApplication.StartAsync(kind, LimitSettings(100), time);
        var org = await app.CreateOrganizationAsync();
        await app.WithDbAsync(async (db, _) =>
        {
            var entity = await db.Organizations.IgnoreQueryFilters().SingleAsync(o => o.Id == org.Id, Ct);
            entity.RateLimitPerMinute = 2;
            return await db.SaveChangesAsync(Ct);
        });
        var account = await app.CreateLinkedAccountAsync(org.Id);
        using var client = app.CreateApiClient(org.ProductionKey, account.Token);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(AccountDetails, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(AccountDetails, Ct)).StatusCode);
        var throttled = await client.GetAsync(AccountDetails, Ct);

        Assert.Equal("Request was throttled. Expected available in 60 seconds.", await throttled.AssertDetailAsync(HttpStatusCode.TooManyRequests));
        Assert.Equal("2", Header(throttled, "X-RateLimit-Limit"));
        Assert.Equal("60", Header(throttled, "Retry-After"));

        // Another organization on the same server keeps the server default.
        var other = await app.CreateOrganizationAsync("Other");
        var otherAccount = await app.CreateLinkedAccountAsync(other.Id);
        using var otherClient = app.CreateApiClient(other.ProductionKey, otherAccount.Token);
        var ok = await otherClient.GetAsync(AccountDetails, Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("100", Header(ok, "X-RateLimit-Limit"));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AccountDetails_KeepsOtherAccountsAvailable_WhenOneAccountIsThrottled(DatabaseKind kind)
    {
        var time = new ManualTimeProvider(Start);
        await using var app = await TributaryApplication.StartAsync(kind, LimitSettings(2), time);
        var org = await app.CreateOrganizationAsync();
        var busy = await app.CreateLinkedAccountAsync(org.Id, originId: "busy");
        var quiet = await app.CreateLinkedAccountAsync(org.Id, originId: "quiet");
        using var busyClient = app.CreateApiClient(org.ProductionKey, busy.Token);
        using var quietClient = app.CreateApiClient(org.ProductionKey, quiet.Token);

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await busyClient.GetAsync(AccountDetails, Ct)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, (await busyClient.GetAsync(AccountDetails, Ct)).StatusCode);

        var quietResponse = await quietClient.GetAsync(AccountDetails, Ct);
        Assert.Equal(HttpStatusCode.OK, quietResponse.StatusCode);
        Assert.Equal("1", Header(quietResponse, "X-RateLimit-Remaining"));
        // Organization-level endpoints are not counted against any account.
        using var orgClient = app.CreateApiClient(org.ProductionKey, busy.Token);
        Assert.Equal(HttpStatusCode.OK, (await orgClient.GetAsync("/api/filestorage/v1/linked-accounts", Ct)).StatusCode);
    }

    private static Dictionary<string, string?> LimitSettings(int perMinute) =>
        new() { ["Tributary:RateLimitPerMinute"] = perMinute.ToString(CultureInfo.InvariantCulture) };

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}
