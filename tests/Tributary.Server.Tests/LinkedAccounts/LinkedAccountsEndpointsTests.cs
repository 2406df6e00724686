using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Tributary.Data.Entities;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.LinkedAccounts;

public sealed class LinkedAccountsEndpointsTests
{
    private const string Path = "/api/filestorage/v1/linked-accounts";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task LinkedAccounts_ReturnsOnlyMatchingAccounts_ForEachFilter(DatabaseKind kind)
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(kind, time: time);
        var org = await app.CreateOrganizationAsync();
        var other = await app.CreateOrganizationAsync("Other");
        async Task<Guid> Create(ApiEnvironment environment, string category, string integration, string email, string orgName, string origin, LinkedAccountStatus status)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return (await app.CreateLinkedAccountAsync(org.Id, environment, origin, integration, category, email, orgName, status)).Id;
        }
        var a = await Create(ApiEnvironment.Production, "filestorage", "google-drive", "pat@example.com", "Example Corp", "u-a", LinkedAccountStatus.Complete);
        var b = await Create(ApiEnvironment.Production, "filestorage", "dropbox", "kim@example.com", "Other Inc", "u-b", LinkedAccountStatus.Incomplete);
        var c = await Create(ApiEnvironment.Production, "hris", "box", "pat@example.com", "Example Corp", "u-c", LinkedAccountStatus.RelinkNeeded);
        var d = await Create(ApiEnvironment.Production, "filestorage", "google-drive", "lee@example.com", "Lee LLC", "u-d", LinkedAccountStatus.Idle);
        var t = await Create(ApiEnvironment.Test, "filestorage", "google-drive", "pat@example.com", "Example Corp", "u-a", LinkedAccountStatus.Complete);
        // Another organization's twin of A must never match any filter.
        await app.CreateLinkedAccountAsync(other.Id, ApiEnvironment.Production, "u-a", "google-drive", "filestorage", "pat@example.com", "Example Corp");
        using var client = app.CreateApiClient(org.ProductionKey);

        var cases = new (string Query, Guid[] Expected)[]
        {
            ("", [a, b, c, d]),
            ("category=filestorage", [a, b, d]),
            ("category=hris", [c]),
            ("category=crm", []),
            ("end_user_email_address=pat@example.com", [a, c]),
            ("end_user_email_address=pat%40example.com", [a, c]),
            ("end_user_email_address=nobody@example.com", []),
            ("end_user_organization_name=Example%20Corp", [a, c]),
            ("end_user_organization_name=Example+Corp", [a, c]),
            ("end_user_origin_id=u-b", [b]),
            ("end_user_origin_ids=u-a,u-d", [a, d]),
            ("end_user_origin_ids=u-a%2Cu-d%2Cu-missing", [a, d]),
            ("end_user_origin_ids=u-d&end_user_origin_ids=u-b", [b, d]),
            ($"id={b}", [b]),
            ($"id={t}", []),
            ($"ids={a},{c}", [a, c]),
            ($"ids={a}%2C{d}&ids={c}", [a, c, d]),
            ($"ids={Guid.NewGuid()}", []),
            ("integration_name=Google%20Drive", [a, d]),
            ("integration_name=google-drive", [a, d]),
            ("integration_name=Dropbox", [b]),
            ("integration_name=Nope", []),
            ("status=COMPLETE", [a]),
            ("status=INCOMPLETE", [b]),
            ("status=RELINK_NEEDED", [c]),
            ("status=IDLE", [d]),
            ("is_test_account=true", [t]),
            ("is_test_account=true&end_user_origin_id=u-a", [t]),
            ("is_test_account=true&status=IDLE", []),
            // Merge's Node SDK sends the flag as a string, false included: false means production accounts.
            ("is_test_account=false", [a, b, c, d]),
            ("category=filestorage&status=COMPLETE&end_user_email_address=pat@example.com&integration_name=Google%20Drive", [a]),
            ("end_user_email_address=pat@example.com&category=hris&end_user_origin_ids=u-a,u-c", [c]),
            ("unknown_param=1&include_duplicates=true", [a, b, c, d]),
        };

        await client.AssertListedIdsAsync(Path, cases);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task LinkedAccounts_Returns400NamingParameter_WhenFilterInvalid(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);

        var cases = new (string Query, string Field)[]
        {
            ("category=files", "category"),
            ("category=FILESTORAGE", "category"),
            ("status=complete", "status"),
            ("status=DELETED", "status"),
            ("id=not-a-uuid", "id"),
            ($"ids={Guid.NewGuid()},nope", "ids"),
            ("end_user_email_address=" + new string('a', 101), "end_user_email_address"),
            ("end_user_origin_id=" + new string('a', 101), "end_user_origin_id"),
        };

        await client.AssertFieldErrorsAsync(Path, cases.Concat(ApiResponses.InvalidPageSizes));

        var several = await client.GetAsync($"{Path}?status=x&page_size=0&id=y", Ct);
        var body = await several.JsonAsync();
        Assert.Equal(["id", "page_size", "status"], body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task LinkedAccounts_Returns100PerPage_WhenPageSizeOmittedOr100(DatabaseKind kind)
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(kind, time: time);
        var org = await app.CreateOrganizationAsync();
        await app.WithDbAsync(async (db, _) =>
        {
            var start = time.GetUtcNow();
            for (var i = 0; i < 101; i++)
            {
                var at = start.AddSeconds(i);
                db.LinkedAccounts.Add(new LinkedAccount
                {
                    Id = Guid.CreateVersion7(at),
                    OrganizationId = org.Id,
                    Environment = ApiEnvironment.Production,
                    Category = "filestorage",
                    IntegrationSlug = "google-drive",
                    EndUserOriginId = $"user-{i}",
                    EndUserOrganizationName = "Bulk",
                    EndUserEmailAddress = $"user-{i}@example.com",
                    Status = LinkedAccountStatus.Complete,
                    AccountTokenHash = RandomNumberGenerator.GetBytes(32),
                    CreatedAt = at.UtcDateTime,
                    ModifiedAt = at.UtcDateTime,
                    CompletedAt = at.UtcDateTime,
                });
            }
            return await db.SaveChangesAsync(Ct);
        });
        using var client = app.CreateApiClient(org.ProductionKey);

        var byDefault = await client.GetFromJsonAsync<JsonElement>(Path, Ct);
        Assert.Equal(100, byDefault.Ids().Count);
        Assert.NotNull(byDefault.Cursor("next"));
        var rest = await client.GetFromJsonAsync<JsonElement>($"{Path}?cursor={byDefault.Cursor("next")}", Ct);
        Assert.Single(rest.Ids());
        Assert.Null(rest.Cursor("next"));

        var hundred = await client.GetFromJsonAsync<JsonElement>($"{Path}?page_size=100", Ct);
        Assert.Equal(byDefault.Ids(), hundred.Ids());
        await (await client.GetAsync($"{Path}?page_size=101", Ct)).AssertFieldErrorAsync("page_size");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task LinkedAccounts_ReturnsMergeShapedItems_ForProductionAccount(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id, originId: "u-1", email: "pat@example.com", organizationName: "Example Corp");
        using var client = app.CreateApiClient(org.ProductionKey);

        var item = (await client.GetFromJsonAsync<JsonElement>(Path, Ct)).GetProperty("results")[0];

        Assert.Equal(account.Id, item.GetProperty("id").GetGuid());
        Assert.Equal("filestorage", item.GetProperty("category").GetString());
        Assert.Equal("COMPLETE", item.GetProperty("status").GetString());
        Assert.Equal("u-1", item.GetProperty("end_user_origin_id").GetString());
        Assert.Equal("Example Corp", item.GetProperty("end_user_organization_name").GetString());
        Assert.Equal("pat@example.com", item.GetProperty("end_user_email_address").GetString());
        Assert.Equal("PRODUCTION", item.GetProperty("account_type").GetString());
        Assert.False(item.GetProperty("is_duplicate").GetBoolean());
        Assert.Equal("Google Drive", item.GetProperty("integration").GetProperty("name").GetString());
        Assert.Equal("google-drive", item.GetProperty("integration").GetProperty("slug").GetString());
        Assert.Equal(JsonValueKind.Object, item.GetProperty("integration_specific_fields").ValueKind);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AccountDetails_ReturnsTokensAccount_WhenOrganizationHasSeveral(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        await app.CreateLinkedAccountAsync(org.Id, originId: "first");
        var second = await app.CreateLinkedAccountAsync(org.Id, originId: "second", integration: "dropbox");
        using var client = app.CreateApiClient(org.ProductionKey, second.Token);

        var details = await client.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/account-details", Ct);

        Assert.Equal(second.Id, details.GetProperty("id").GetGuid());
        Assert.Equal("second", details.GetProperty("end_user_origin_id").GetString());
        Assert.Equal("Dropbox", details.GetProperty("integration").GetString());
        Assert.Equal("dropbox", details.GetProperty("integration_slug").GetString());
        Assert.Equal("PRODUCTION", details.GetProperty("account_type").GetString());
    }
}
