using System.Text.Json;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Interop;

/// <summary>Runs one of the scripts in tests/interop/merge-node-client and reads the JSON document it prints.</summary>
internal static class NodeScript
{
    /// <summary>
    /// Runs <c>node <paramref name="arguments"/></c> in the prepared interop folder and returns the printed document.
    /// Fails the test, with the whole captured output, if the script prints no JSON or reports a mismatch.
    /// </summary>
    public static async Task<(JsonElement Result, ProcessResult Run)> RunAsync(
        IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout)
    {
        var folder = await NodeClientFolder.PrepareAsync();
        var run = await ChildProcess.RunAsync("node", arguments, environment, workingDirectory: folder, timeout: timeout,
            cancellationToken: TestContext.Current.CancellationToken);
        JsonElement result;
        try
        {
            result = JsonDocument.Parse(run.Stdout).RootElement.Clone();
        }
        catch (JsonException)
        {
            Assert.Fail($"The interop script printed no JSON document:{Environment.NewLine}{run}");
            throw;
        }
        Assert.True(run.ExitCode == 0 && result.GetProperty("ok").GetBoolean(), $"The SDK run reported mismatches:{Environment.NewLine}{run}");
        Assert.Equal("4.0.4", result.GetProperty("sdk_version").GetString());
        return (result, run);
    }
}
