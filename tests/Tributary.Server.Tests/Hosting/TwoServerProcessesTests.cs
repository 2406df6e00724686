using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Hosting;

/// <summary>
/// Two replicas: two real server processes on one PostgreSQL database with one master key. Nothing
/// a client does may depend on which replica answers.
/// </summary>
public sealed class TwoServerProcessesTests
{
    private const string Api = "/api/filestorage/v1";

    [Fact]
    public async Task TwoReplicas_OnePostgresDatabase_AgreeOnKeysAuditTrailAndCursors()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TemporaryDirectory();
        // A database that does not exist yet: both replicas race to create and migrate it at start.
        var admin = await PostgresCluster.GetAdminConnectionStringAsync();
        var connectionString = new Npgsql.NpgsqlConnectionStringBuilder(admin) { Database = "t_" + Guid.NewGuid().ToString("N") }.ToString();
        var env = TributaryExecutable.Environment(DatabaseKind.Postgres, connectionString, data.Path);
        env["Tributary__MigrateOnStart"] = "true";

        try
        {
            Task<ServerProcess>[] starting = [ServerProcess.StartAsync("A", env), ServerProcess.StartAsync("B", env)];
            try
            {
                await Task.WhenAll(starting);
            }
            catch (Exception)
            {
                // Kill whichever did start; the exception names the one that did not, with its output.
                foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
                {
                    await (await started).DisposeAsync();
                }
                throw;
            }
            await using var serverA = await starting[0];
            await using var serverB = await starting[1];
            var output = () => serverA.Output + Environment.NewLine + serverB.Output;

            var created = await TributaryExecutable.RunJsonAsync(env, "orgs", "create", "--name", "Replicated Co");
            var original = created.GetProperty("production_key").GetString()!;

            // generate-key on A; the new key works on B.
            using var onA = serverA.CreateApiClient(original);
            var generated = await PostJsonAsync(onA, "generate-key", new { name = "made on A" }, output);
            var generatedKey = generated.GetProperty("key").GetString()!;
            using var generatedOnB = serverB.CreateApiClient(generatedKey);
            var trailOnB = await GetJsonAsync(generatedOnB, "audit-trail", output);

            // B's audit trail shows what A recorded.
            var newest = trailOnB.GetProperty("results")[0];
            Assert.Equal("CREATED_REMOTE_PRODUCTION_API_KEY", newest.GetProperty("event_type").GetString());
            Assert.Equal("API", newest.GetProperty("role").GetString());
            Assert.Contains("\"made on A\"", newest.GetProperty("event_description").GetString(), StringComparison.Ordinal);
            var all = trailOnB.GetProperty("results").EnumerateArray().Select(e => e.GetProperty("id").GetGuid()).ToList();
            Assert.Equal(3, all.Count); // the CLI's two key events and A's

            // A cursor minted by A reads page 2 on B.
            using var generatedOnA = serverA.CreateApiClient(generatedKey);
            var page1 = await GetJsonAsync(generatedOnA, "audit-trail?page_size=2", output);
            var next = page1.GetProperty("next").GetString();
            Assert.False(string.IsNullOrEmpty(next), $"Page 1 on A has no next cursor: {page1}");
            var page2 = await GetJsonAsync(generatedOnB, $"audit-trail?page_size=2&cursor={Uri.EscapeDataString(next)}", output);
            var pagedIds = page1.GetProperty("results").EnumerateArray().Concat(page2.GetProperty("results").EnumerateArray())
                .Select(e => e.GetProperty("id").GetGuid()).ToList();
            Assert.Equal(all, pagedIds);
            Assert.Equal(JsonValueKind.Null, page2.GetProperty("next").ValueKind);

            // regenerate-key on B: the old key is rejected on B at once, and on A (which just used it)
            // within the credential cache's bound.
            var regenerated = await PostJsonAsync(generatedOnB, "regenerate-key", new { name = "made on B" }, output);
            using var rejectedOnB = await generatedOnB.GetAsync($"{Api}/audit-trail", ct);
            Assert.True(rejectedOnB.StatusCode == HttpStatusCode.Unauthorized,
                $"The regenerated key still works on B ({(int)rejectedOnB.StatusCode}).{Environment.NewLine}{output()}");
            await CredentialCacheBound.AssertRejectedWithinBoundAsync(generatedOnA, $"{Api}/audit-trail", output);
            using var regeneratedOnA = serverA.CreateApiClient(regenerated.GetProperty("key").GetString());
            var trailOnA = await GetJsonAsync(regeneratedOnA, "audit-trail", output);
            Assert.Equal("REGENERATED_PRODUCTION_API_KEY", trailOnA.GetProperty("results")[0].GetProperty("event_type").GetString());

            // The original key still works on both: it was neither regenerated nor revoked.
            using var originalOnB = serverB.CreateApiClient(original);
            Assert.Equal(HttpStatusCode.OK, (await onA.GetAsync($"{Api}/audit-trail", ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await originalOnB.GetAsync($"{Api}/audit-trail", ct)).StatusCode);
            Assert.False(serverA.HasExited || serverB.HasExited, output());
        }
        finally
        {
            // The servers are killed by now (await using); then the database goes.
            await PostgresCluster.DropDatabaseAsync(connectionString);
        }
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string path, Func<string> output)
    {
        using var response = await client.GetAsync($"{Api}/{path}", TestContext.Current.CancellationToken);
        return await ReadAsync(response, $"GET {client.BaseAddress}{Api[1..]}/{path}", output);
    }

    private static async Task<JsonElement> PostJsonAsync(HttpClient client, string path, object body, Func<string> output)
    {
        using var response = await client.PostAsJsonAsync($"{Api}/{path}", body, TestContext.Current.CancellationToken);
        return await ReadAsync(response, $"POST {client.BaseAddress}{Api[1..]}/{path}", output);
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, string request, Func<string> output)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"{request} answered {(int)response.StatusCode}: {text}{Environment.NewLine}{output()}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
