using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Tributary.Server.Tests.Infrastructure;

/// <summary>
/// A throw-away PostgreSQL cluster for the whole test run, started on first use and stopped when
/// the test process exits. <c>TRIBUTARY_TEST_PG</c> (a connection string to a superuser on an
/// existing server) skips the start-up. Each test gets its own database cloned from a migrated
/// template, so tests never see each other's rows.
/// </summary>
internal static class PostgresCluster
{
    public const string TemplateDatabase = "tributary_template";
    private static readonly Lazy<Task<string>> AdminConnection = new(StartAsync);
    private static readonly SemaphoreSlim CloneLock = new(1, 1);

    /// <summary>A connection string for the server's maintenance database.</summary>
    public static Task<string> GetAdminConnectionStringAsync() => AdminConnection.Value;

    /// <summary>Creates an empty database (no template) and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string? template = null)
    {
        var admin = await GetAdminConnectionStringAsync();
        var name = "t_" + Guid.NewGuid().ToString("N");
        // CREATE DATABASE … TEMPLATE fails if another session is connected to the template.
        await CloneLock.WaitAsync();
        try
        {
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = template is null ? $"CREATE DATABASE {name}" : $"CREATE DATABASE {name} TEMPLATE {template}";
            await command.ExecuteNonQueryAsync();
        }
        finally
        {
            CloneLock.Release();
        }
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString();
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(await GetAdminConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"DROP DATABASE IF EXISTS {name} WITH (FORCE)";
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable("TRIBUTARY_TEST_PG");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderBy(d => d, StringComparer.Ordinal).LastOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException(
                "PostgreSQL tests need the server binaries: apt-get install postgresql (or set TRIBUTARY_TEST_PG to a superuser connection string).");
        }

        var root = Directory.CreateTempSubdirectory("tributary-pg-").FullName;
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", root]);
        }
        var port = FreePort();
        var data = Path.Combine(root, "data");
        await RunPgAsync(asRoot, Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]);
        await RunPgAsync(asRoot, Path.Combine(bin, "pg_ctl"), [
            "-D", data, "-l", Path.Combine(root, "log"), "-w", "-o",
            $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
            "start"]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                RunPgAsync(asRoot, Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"]).GetAwaiter().GetResult();
                Directory.Delete(root, recursive: true);
            }
            catch (InvalidOperationException)
            {
                // Best effort: the temporary directory is reclaimed by the OS eventually.
            }
        };
        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=20";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task RunPgAsync(bool asRoot, string tool, string[] args) =>
        asRoot ? RunAsync("runuser", ["-u", "postgres", "--", tool, .. args]) : RunAsync(tool, args);

    private static async Task RunAsync(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }
}
