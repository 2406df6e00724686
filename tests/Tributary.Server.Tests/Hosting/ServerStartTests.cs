using System.Net;
using System.Net.Sockets;
using Npgsql;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Hosting;

/// <summary>How the server process starts when something it needs is missing: exit code 1 and what to fix, or (the database down) serving and waiting for it.</summary>
public sealed class ServerStartTests
{
    [Fact]
    public async Task AddressInUse_ExitsWithAMessageThatSaysHowToChooseAnother()
    {
        using var data = new TemporaryDirectory();
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)occupant.LocalEndpoint).Port}";

        var result = await TributaryExecutable.RunAsync(TributaryExecutable.Environment(DatabaseKind.Sqlite, null, data.Path), "--urls", url);

        AssertStderrSays(result, $"Failed to bind to address {url}: address already in use.");
        Assert.Contains("Tributary did not start: it could not listen.", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--urls", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableDatabase_ServerKeepsServing_ReadyIs503_ThenMigratesAndStartsItsJobsOnceTheDatabaseAnswers()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TemporaryDirectory();
        // An empty database behind a port nothing listens on yet: the server must migrate it when it comes up.
        await using var database = await TestDatabase.CreateEmptyPostgresAsync();
        var real = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var port = TcpForwarder.ClosedPort();
        var unreachable = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Host = "127.0.0.1", Port = port, Timeout = 3 }.ToString();
        var env = TributaryExecutable.Environment(DatabaseKind.Postgres, unreachable, data.Path);
        env["Sync__RunJobs"] = "true";

        await using var server = await ServerProcess.StartAsync("database-down", env, readyPath: "/health/live");
        using var http = server.CreateApiClient(null);
        using (var ready = await http.GetAsync("/health/ready", ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }
        await WaitForOutputAsync(server, "Could not migrate the database: the database is unreachable");
        Assert.Contains("check Database:ConnectionString", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Job scheduler started", server.Output, StringComparison.Ordinal);
        Assert.False(server.HasExited, server.Output);

        await using var forwarder = TcpForwarder.Start(port, real.Host!, real.Port);
        await WaitForOutputAsync(server, "Job scheduler started");
        // The scheduler runs its jobs: housekeeping fires at once on start.
        await WaitForOutputAsync(server, "Housekeeping:");
        using var readyAgain = await http.GetAsync("/health/ready", ct);
        Assert.True(readyAgain.StatusCode == HttpStatusCode.OK, $"/health/ready answered {(int)readyAgain.StatusCode}{Environment.NewLine}{server.Output}");
        Assert.False(server.HasExited, server.Output);
    }

    private static async Task WaitForOutputAsync(ServerProcess server, string text)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!server.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.False(server.HasExited, $"The server exited while waiting for \"{text}\".{Environment.NewLine}{server.Output}");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(90), $"No \"{text}\" in the server's output within 90 s.{Environment.NewLine}{server.Output}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    // The structured log on stdout records the failure with its exception (for log collectors);
    // the person at the terminal gets the sentence on stderr.
    private static void AssertStderrSays(ProcessResult result, string expected)
    {
        Assert.True(result.ExitCode == 1, $"Expected exit code 1:{Environment.NewLine}{result}");
        Assert.True(result.Stderr.Contains(expected, StringComparison.Ordinal), $"Expected stderr to contain \"{expected}\":{Environment.NewLine}{result}");
        Assert.False(result.Stderr.Contains("   at ", StringComparison.Ordinal) || result.Stderr.Contains("Unhandled exception", StringComparison.Ordinal),
            $"Expected a message on stderr, not a stack trace:{Environment.NewLine}{result}");
    }
}
