using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Auth;

/// <summary>
/// The credential cache (docs/decisions/0009-credential-cache.md): a change saved in this process
/// takes effect on the next request; a change this process cannot see (another replica, the CLI,
/// here a bulk SQL update that bypasses EF's change tracking) takes effect within
/// Tributary:AuthCacheSeconds, and never later.
/// </summary>
public sealed class CredentialCacheTests
{
    private const string AccountPath = "/api/filestorage/v1/account-details";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task KeyRevokedByAnotherProcess_WorksUntilTheBound_ThenNever(DatabaseKind kind)
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(kind, Seconds(5), time);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        using var client = app.CreateApiClient(org.ProductionKey, account.Token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(AccountPath, Ct)).StatusCode);

        await RevokeBehindEfsBackAsync(app, org.Id, time);

        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(AccountPath, Ct)).StatusCode);
        time.Advance(TimeSpan.FromSeconds(0.2));
        await (await client.GetAsync(AccountPath, Ct)).AssertDetailAsync(HttpStatusCode.Unauthorized);
        // A rejected key is never cached as good: it stays rejected.
        await (await client.GetAsync(AccountPath, Ct)).AssertDetailAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AccountDeletedByAnotherProcess_TokenStopsWithinTheBound(DatabaseKind kind)
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(kind, Seconds(5), time);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        using var client = app.CreateApiClient(org.ProductionKey, account.Token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(AccountPath, Ct)).StatusCode);

        await app.WithDbAsync((db, _) => db.LinkedAccounts.IgnoreQueryFilters().Where(a => a.Id == account.Id).ExecuteDeleteAsync(Ct));

        // Within the bound the token still authenticates, and reads only what its account still has: nothing.
        const string files = "/api/filestorage/v1/files";
        var listed = await client.GetFromJsonAsync<JsonElement>(files, Ct);
        Assert.Equal(0, listed.GetProperty("results").GetArrayLength());
        time.Advance(TimeSpan.FromSeconds(5.1));
        var detail = await (await client.GetAsync(files, Ct)).AssertDetailAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("X-Account-Token", detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ChangesSavedInThisProcess_TakeEffectOnTheNextRequest(DatabaseKind kind)
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(kind, Seconds(60), time);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        using var client = app.CreateApiClient(org.ProductionKey, account.Token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(AccountPath, Ct)).StatusCode);

        // Rotating the account token through the API: the old token is refused at once.
        var rotated = await client.PostAsync("/api/filestorage/v1/account-token/regenerate", null, Ct);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        await (await client.GetAsync(AccountPath, Ct)).AssertDetailAsync(HttpStatusCode.Unauthorized);

        // Revoking the key through EF (what the API and CLI verbs do): refused at once, no clock moved.
        using var orgClient = app.CreateApiClient(org.ProductionKey);
        Assert.Equal(HttpStatusCode.OK, (await orgClient.GetAsync("/api/filestorage/v1/audit-trail", Ct)).StatusCode);
        await app.WithDbAsync(async (db, _) =>
        {
            var key = await db.ApiKeys.IgnoreQueryFilters().SingleAsync(k => k.OrganizationId == org.Id && k.Environment == Data.Entities.ApiEnvironment.Production, Ct);
            key.RevokedAt = time.GetUtcNow().UtcDateTime;
            return await db.SaveChangesAsync(Ct);
        });
        await (await orgClient.GetAsync("/api/filestorage/v1/audit-trail", Ct)).AssertDetailAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ZeroSeconds_TurnsTheCacheOff(DatabaseKind kind)
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(kind, Seconds(0), time);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        using var client = app.CreateApiClient(org.ProductionKey, account.Token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(AccountPath, Ct)).StatusCode);

        await RevokeBehindEfsBackAsync(app, org.Id, time);

        await (await client.GetAsync(AccountPath, Ct)).AssertDetailAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task CachedToken_IsNotReusableUnderAnotherTenant(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind, Seconds(60));
        var org = await app.CreateOrganizationAsync();
        var other = await app.CreateOrganizationAsync("Other");
        var account = await app.CreateLinkedAccountAsync(org.Id);
        using var owner = app.CreateApiClient(org.ProductionKey, account.Token);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync(AccountPath, Ct)).StatusCode);

        // The token is cached for (org, production); another organization's key, or the same
        // organization's test key, still gets the tenant-filtered answer: not found.
        using var stranger = app.CreateApiClient(other.ProductionKey, account.Token);
        await (await stranger.GetAsync(AccountPath, Ct)).AssertDetailAsync(HttpStatusCode.Unauthorized);
        using var testKey = app.CreateApiClient(org.TestKey, account.Token);
        await (await testKey.GetAsync(AccountPath, Ct)).AssertDetailAsync(HttpStatusCode.Unauthorized);
    }

    private static Dictionary<string, string?> Seconds(double seconds) =>
        new() { ["Tributary:AuthCacheSeconds"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    // What another replica or the CLI looks like to this process: the row changes, no EF save here sees it.
    private static Task<int> RevokeBehindEfsBackAsync(TributaryApplication app, Guid organizationId, ManualTimeProvider time) =>
        app.WithDbAsync((db, _) => db.ApiKeys.IgnoreQueryFilters()
            .Where(k => k.OrganizationId == organizationId && k.Environment == Data.Entities.ApiEnvironment.Production)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, time.GetUtcNow().UtcDateTime), Ct));
}
