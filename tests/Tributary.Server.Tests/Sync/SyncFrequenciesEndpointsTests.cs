using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Sync;

/// <summary><c>/api/v1/sync-frequencies</c> and the <c>sync-frequencies</c> verb: levels, precedence, validation, tenants, and the Quartz schedule they change.</summary>
public sealed class SyncFrequenciesEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Jobs off: only the endpoints under test may touch the recurring triggers (not the housekeeping job).
    private static readonly Dictionary<string, string?> NoJobs = new() { ["Sync:RunJobs"] = "false" };

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task EachLevel_SetGetDelete_MostSpecificWins_AndTheRecurringTriggerFollows(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind, NoJobs);
        var org = await app.CreateOrganizationAsync();
        var drive = await app.CreateLinkedAccountAsync(org.Id, integration: "google-drive");
        var box = await app.CreateLinkedAccountAsync(org.Id, originId: "end-user-2", integration: "box");
        using var api = app.CreateApiClient(org.ProductionKey);
        var accountUrl = $"/api/v1/sync-frequencies/linked-accounts/{drive.Id}";

        var initial = await api.GetFromJsonAsync<JsonElement>(accountUrl, Ct);
        Assert.Equal(JsonValueKind.Null, initial.GetProperty("interval_minutes").ValueKind);
        Assert.Equal(15, initial.GetProperty("effective_interval_minutes").GetInt32());
        Assert.Equal("server_default", initial.GetProperty("effective_from").GetString());

        var org60 = await PutAsync(api, "/api/v1/sync-frequencies/organization", 60);
        Assert.Equal(60, org60.GetProperty("interval_minutes").GetInt32());
        Assert.Equal("organization", org60.GetProperty("level").GetString());
        Assert.Equal(TimeSpan.FromMinutes(60), await IntervalAsync(app, drive.Id));
        Assert.Equal(TimeSpan.FromMinutes(60), await IntervalAsync(app, box.Id));

        var drive30 = await PutAsync(api, "/api/v1/sync-frequencies/integrations/google-drive", 30);
        Assert.Equal("google-drive", drive30.GetProperty("integration").GetString());
        Assert.Equal(TimeSpan.FromMinutes(30), await IntervalAsync(app, drive.Id));
        Assert.Equal(TimeSpan.FromMinutes(60), await IntervalAsync(app, box.Id));

        var own = await PutAsync(api, accountUrl, 10);
        Assert.Equal(10, own.GetProperty("effective_interval_minutes").GetInt32());
        Assert.Equal("linked_account", own.GetProperty("effective_from").GetString());
        Assert.Equal(TimeSpan.FromMinutes(10), await IntervalAsync(app, drive.Id));
        // Setting the same value again replaces the row, it does not add one.
        await PutAsync(api, accountUrl, 12);
        var list = await api.GetFromJsonAsync<JsonElement>("/api/v1/sync-frequencies", Ct);
        Assert.Equal(15, list.GetProperty("server_default_interval_minutes").GetInt32());
        Assert.Equal(
            ["organization:60", "integration:30", "linked_account:12"],
            list.GetProperty("frequencies").EnumerateArray().Select(f => $"{f.GetProperty("level").GetString()}:{f.GetProperty("interval_minutes").GetInt32()}"));

        var afterAccountDelete = await DeleteAsync(api, accountUrl);
        Assert.Equal(30, afterAccountDelete.GetProperty("effective_interval_minutes").GetInt32());
        Assert.Equal("integration", afterAccountDelete.GetProperty("effective_from").GetString());
        Assert.Equal(TimeSpan.FromMinutes(30), await IntervalAsync(app, drive.Id));

        await DeleteAsync(api, "/api/v1/sync-frequencies/integrations/google-drive");
        Assert.Equal(TimeSpan.FromMinutes(60), await IntervalAsync(app, drive.Id));
        var integration = await api.GetFromJsonAsync<JsonElement>("/api/v1/sync-frequencies/integrations/google-drive", Ct);
        Assert.Equal(60, integration.GetProperty("effective_interval_minutes").GetInt32());
        Assert.Equal("organization", integration.GetProperty("effective_from").GetString());

        await DeleteAsync(api, "/api/v1/sync-frequencies/organization");
        Assert.Equal(TimeSpan.FromMinutes(15), await IntervalAsync(app, drive.Id));
        Assert.Equal(TimeSpan.FromMinutes(15), await IntervalAsync(app, box.Id));
        Assert.Equal(HttpStatusCode.NotFound, (await api.DeleteAsync("/api/v1/sync-frequencies/organization", Ct)).StatusCode);
        Assert.Equal(0, (await api.GetFromJsonAsync<JsonElement>("/api/v1/sync-frequencies", Ct)).GetProperty("frequencies").GetArrayLength());

        var audit = await api.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/audit-trail?event_type=CHANGED_ORGANIZATION_SETTINGS", Ct);
        Assert.Contains(audit.GetProperty("results").EnumerateArray(),
            e => e.GetProperty("event_description").GetString()!.Contains("sync frequency of integration google-drive", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AnotherOrganization_CannotSeeOrChangeTheAccountOrTheSettings(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind, NoJobs);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        using var api = app.CreateApiClient(org.ProductionKey);
        using var other = app.CreateApiClient((await app.CreateOrganizationAsync("Other")).ProductionKey);
        await PutAsync(api, "/api/v1/sync-frequencies/organization", 45);
        await PutAsync(api, $"/api/v1/sync-frequencies/linked-accounts/{account.Id}", 20);

        var url = $"/api/v1/sync-frequencies/linked-accounts/{account.Id}";
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(url, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PutAsJsonAsync(url, new { interval_minutes = 5 }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync(url, Ct)).StatusCode);
        Assert.Equal(0, (await other.GetFromJsonAsync<JsonElement>("/api/v1/sync-frequencies", Ct)).GetProperty("frequencies").GetArrayLength());
        var theirs = await other.GetFromJsonAsync<JsonElement>("/api/v1/sync-frequencies/organization", Ct);
        Assert.Equal("server_default", theirs.GetProperty("effective_from").GetString());

        // The other organization's own default does not reach this organization's account.
        await PutAsync(other, "/api/v1/sync-frequencies/organization", 90);
        await DeleteAsync(api, url);
        Assert.Equal(TimeSpan.FromMinutes(45), await IntervalAsync(app, account.Id));
    }

    [Fact]
    public async Task BadInput_IsAClear4xx()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, NoJobs);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        using var test = app.CreateApiClient(org.TestKey);
        const string url = "/api/v1/sync-frequencies/organization";

        foreach (var (body, words) in new[]
        {
            ("{\"interval_minutes\": 0}", "at least 5"),
            ("{\"interval_minutes\": 4}", "at least 5"),
            ("{\"interval_minutes\": 10081}", "at most 10080"),
            ("{}", "required"),
            ("{\"interval_minutes\": \"hourly\"}", "integer"),
        })
        {
            using var response = await api.PutAsync(url, new StringContent(body, Encoding.UTF8, "application/json"), Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Contains(words, error.GetProperty("interval_minutes")[0].GetString(), StringComparison.Ordinal);
        }
        var unknown = await api.PutAsJsonAsync("/api/v1/sync-frequencies/integrations/myspace", new { interval_minutes = 30 }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("google-drive", await unknown.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/v1/sync-frequencies/linked-accounts/{Guid.NewGuid()}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await test.PutAsJsonAsync(url, new { interval_minutes = 30 }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await test.GetAsync(url, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateApiClient(null).GetAsync(url, Ct)).StatusCode);
        Assert.Equal(0, (await api.GetFromJsonAsync<JsonElement>("/api/v1/sync-frequencies", Ct)).GetProperty("frequencies").GetArrayLength());
    }

    [Fact]
    public async Task TheCliVerb_SetsShowsAndClears_AndReschedules()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, NoJobs);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id, integration: "box");
        var env = app.ProcessEnvironment();
        var orgId = org.Id.ToString();

        var set = await TributaryExecutable.RunJsonAsync(env, "sync-frequencies", "set", "--org", orgId, "--integration", "box", "--minutes", "25");
        Assert.Equal(1, set.GetProperty("rescheduled_accounts").GetInt32());
        Assert.Equal(TimeSpan.FromMinutes(25), await IntervalAsync(app, account.Id));
        var shown = await TributaryExecutable.RunJsonAsync(env, "sync-frequencies", "show", "--org", orgId, "--account", account.Id.ToString());
        Assert.Equal(25, shown.GetProperty("effective_interval_minutes").GetInt32());
        Assert.Equal("integration", shown.GetProperty("effective_from").GetString());

        using var api = app.CreateApiClient(org.ProductionKey);
        Assert.Equal(25, (await api.GetFromJsonAsync<JsonElement>("/api/v1/sync-frequencies/integrations/box", Ct)).GetProperty("interval_minutes").GetInt32());

        var cleared = await TributaryExecutable.RunJsonAsync(env, "sync-frequencies", "clear", "--org", orgId, "--integration", "box");
        Assert.Equal("server_default", cleared.GetProperty("frequency").GetProperty("effective_from").GetString());
        Assert.Equal(TimeSpan.FromMinutes(15), await IntervalAsync(app, account.Id));
    }

    private static async Task<JsonElement> PutAsync(HttpClient api, string url, int minutes)
    {
        using var response = await api.PutAsJsonAsync(url, new { interval_minutes = minutes }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PUT {url}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    private static async Task<JsonElement> DeleteAsync(HttpClient api, string url)
    {
        using var response = await api.DeleteAsync(url, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"DELETE {url}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    private static async Task<TimeSpan?> IntervalAsync(TributaryApplication app, Guid accountId)
    {
        var scheduler = await app.Services.GetRequiredService<ISchedulerFactory>().GetScheduler(Ct);
        return (await scheduler.GetTrigger(SyncScheduler.Recurring(accountId), Ct) as ISimpleTrigger)?.RepeatInterval;
    }
}
