using System.Net;
using System.Net.Sockets;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Hosting;

/// <summary>How the server process ends when it cannot start: exit code 1 and what to fix, no stack trace.</summary>
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
    public async Task UnreachableDatabase_ExitsWithAMessageThatNamesTheConnectionSetting()
    {
        using var data = new TemporaryDirectory();
        // Nothing listens on port 1 of the loopback interface.
        var env = TributaryExecutable.Environment(DatabaseKind.Postgres, "Host=127.0.0.1;Port=1;Username=tributary;Database=tributary;Timeout=5", data.Path);

        var result = await TributaryExecutable.RunAsync(env, "--urls", "http://127.0.0.1:0");

        AssertStderrSays(result, "Tributary did not start: the database failed at start.");
        Assert.Contains("check Database:ConnectionString", result.Stderr, StringComparison.Ordinal);
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
