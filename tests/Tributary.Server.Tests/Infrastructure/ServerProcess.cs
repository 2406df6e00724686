using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Tributary.Server.Tests.Infrastructure;

/// <summary>What a finished child process left behind, with a description for failure messages.</summary>
public sealed record ProcessResult(string CommandLine, int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"""
        $ {CommandLine}
        exit code {ExitCode} after {Elapsed.TotalSeconds:0.0}s
        --- stdout ---
        {Stdout.TrimEnd()}
        --- stderr ---
        {Stderr.TrimEnd()}
        """;
}

/// <summary>Runs a child process to completion with captured output and a hard time limit.</summary>
public static class ChildProcess
{
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var start = CreateStartInfo(fileName, arguments, environment, workingDirectory);
        var commandLine = Describe(start);
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var watch = Stopwatch.StartNew();
        using var process = StartCapturing(start, stdout, stderr);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            throw new TimeoutException(
                $"{commandLine} did not finish within {(timeout ?? TimeSpan.FromMinutes(2)).TotalSeconds:0}s (killed)." +
                $"{Environment.NewLine}--- stdout ---{Environment.NewLine}{Snapshot(stdout)}{Environment.NewLine}--- stderr ---{Environment.NewLine}{Snapshot(stderr)}");
        }
        // WaitForExitAsync returns after the redirected streams reach end of file.
        return new ProcessResult(commandLine, process.ExitCode, Snapshot(stdout), Snapshot(stderr), watch.Elapsed);
    }

    internal static ProcessStartInfo CreateStartInfo(
        string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment, string? workingDirectory)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }
        return start;
    }

    internal static Process StartCapturing(ProcessStartInfo start, StringBuilder stdout, StringBuilder stderr)
    {
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start `{start.FileName}`: {e.Message}. Is it installed and on PATH?", e);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    internal static string Snapshot(StringBuilder buffer)
    {
        lock (buffer)
        {
            return buffer.ToString();
        }
    }

    internal static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
    }

    internal static string Describe(ProcessStartInfo start) =>
        string.Join(' ', new[] { start.FileName }.Concat(start.ArgumentList.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a)));

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }
}

/// <summary>The built Tributary executable (the server and its CLI verbs) as an operator runs it: <c>dotnet Tributary.Server.dll …</c>.</summary>
public static class TributaryExecutable
{
    /// <summary>The server assembly the test project was built against, beside its appsettings.json.</summary>
    public static string DllPath { get; } = typeof(Program).Assembly.Location;

    /// <summary>
    /// The environment variables that point the executable at a database. Variables the test process
    /// itself may carry (ASPNETCORE_URLS, an inherited Database__*) are cleared so only these count.
    /// </summary>
    public static Dictionary<string, string?> Environment(
        DatabaseKind kind, string? connectionString, string dataDirectory, string? masterKey = TributaryApplication.MasterKey)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Database__Provider"] = kind == DatabaseKind.Sqlite ? "Sqlite" : "Postgres",
            ["Database__ConnectionString"] = connectionString,
            ["Tributary__DataDirectory"] = dataDirectory,
            ["Tributary__MasterKey"] = masterKey,
            ["ASPNETCORE_URLS"] = null,
            ["ASPNETCORE_ENVIRONMENT"] = null,
            ["DOTNET_ENVIRONMENT"] = null,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null,
        };
        foreach (var inherited in System.Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if ((inherited.StartsWith("Database__", StringComparison.OrdinalIgnoreCase) ||
                 inherited.StartsWith("Tributary__", StringComparison.OrdinalIgnoreCase)) && !env.ContainsKey(inherited))
            {
                env[inherited] = null;
            }
        }
        return env;
    }

    /// <summary>Runs a CLI verb, e.g. <c>orgs create --name x --json</c>.</summary>
    public static Task<ProcessResult> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] arguments) =>
        ChildProcess.RunAsync("dotnet", [DllPath, .. arguments], environment,
            workingDirectory: Path.GetDirectoryName(DllPath), timeout: TimeSpan.FromMinutes(3),
            cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>Runs a CLI verb with <c>--json</c>, asserts it succeeded and parses what it printed.</summary>
    public static async Task<JsonElement> RunJsonAsync(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var result = await RunAsync(environment, [.. arguments, "--json"]);
        Assert.True(result.ExitCode == 0, $"The CLI failed:{System.Environment.NewLine}{result}");
        try
        {
            return JsonDocument.Parse(result.Stdout).RootElement.Clone();
        }
        catch (JsonException e)
        {
            Assert.Fail($"The CLI's --json output is not one JSON document ({e.Message}):{System.Environment.NewLine}{result}");
            throw;
        }
    }
}

/// <summary>
/// A real server process (<c>dotnet Tributary.Server.dll --urls http://127.0.0.1:port</c>) with its
/// output captured; killed on dispose, whatever happened.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly HttpClient _http;

    private ServerProcess(string name, ProcessStartInfo start, Uri baseAddress)
    {
        Name = name;
        BaseAddress = baseAddress;
        CommandLine = ChildProcess.Describe(start);
        _process = ChildProcess.StartCapturing(start, _stdout, _stderr);
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(100) };
    }

    public string Name { get; }
    public Uri BaseAddress { get; }
    public string CommandLine { get; }
    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process printed so far, for failure messages.</summary>
    public string Output =>
        $"""
        --- {Name}: $ {CommandLine}{(_process.HasExited ? $" (exited {_process.ExitCode})" : " (running)")}
        --- {Name} stdout ---
        {ChildProcess.Snapshot(_stdout).TrimEnd()}
        --- {Name} stderr ---
        {ChildProcess.Snapshot(_stderr).TrimEnd()}
        """;

    /// <summary>Starts the server on a free loopback port and waits until <paramref name="readyPath"/> (<c>/health/ready</c>) answers 200.</summary>
    public static async Task<ServerProcess> StartAsync(
        string name, IReadOnlyDictionary<string, string?> environment, TimeSpan? readyTimeout = null, IReadOnlyList<string>? verb = null,
        string readyPath = "/health/ready")
    {
        // A port picked free can be taken before the server binds it; try another one then.
        for (var attempt = 1; ; attempt++)
        {
            var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
            var start = ChildProcess.CreateStartInfo("dotnet", [TributaryExecutable.DllPath, .. verb ?? [], "--urls", baseAddress.ToString().TrimEnd('/')],
                environment, Path.GetDirectoryName(TributaryExecutable.DllPath));
            var server = new ServerProcess(name, start, baseAddress);
            try
            {
                await server.WaitUntilReadyAsync(readyTimeout ?? TimeSpan.FromMinutes(2), readyPath);
                return server;
            }
            catch (Exception) when (attempt < 3 && server.HasExited && server.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await server.DisposeAsync();
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    public HttpClient CreateApiClient(string? apiKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(100) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
        return client;
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout, string readyPath)
    {
        var watch = Stopwatch.StartNew();
        string last = "no answer yet";
        while (watch.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Server {Name} exited before it was ready.{Environment.NewLine}{Output}");
            }
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            attempt.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                using var response = await _http.GetAsync(readyPath, attempt.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
                last = $"{readyPath} answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                last = $"{readyPath} did not answer within 10s";
            }
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"Server {Name} was not ready within {timeout.TotalSeconds:0}s ({last}).{Environment.NewLine}{Output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        ChildProcess.Kill(_process);
        _process.Dispose();
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("tributary-cli-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
