using Microsoft.Extensions.Options;
using Tributary.Server.Hosting;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Hosting;

/// <summary>
/// Bad settings stop the server at start with a message that names the setting and says what to
/// put there. The CLI prints these messages; here we only check what they say.
/// </summary>
public sealed class ConfigurationValidationTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("tributary-config-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static TheoryData<string[], string[]> BadSettings => new()
    {
        { ["--Tributary:RateLimitPerMinute=0"], ["Tributary:RateLimitPerMinute", "between 1 and 1000000", "Tributary__RateLimitPerMinute="] },
        { ["--Tributary:MaxRequestBodyBytes=10"], ["Tributary:MaxRequestBodyBytes", "between 1024 and", "Tributary__MaxRequestBodyBytes="] },
        { ["--Tributary:MasterKey=not-base64!"], ["Tributary:MasterKey", "32 bytes", "openssl rand -base64 32"] },
        { ["--Tributary:MasterKey=c2hvcnQ="], ["Tributary:MasterKey", "32 bytes", "openssl rand -base64 32"] },
        {
            ["--Database:Provider=Postgres", $"--Tributary:MasterKey={TributaryApplication.MasterKey}"],
            ["Database:ConnectionString is required", "Database:Provider is 'Postgres'", "Database__ConnectionString="]
        },
        {
            ["--Database:Provider=Postgres", "--Database:ConnectionString=Host=127.0.0.1;Database=tributary"],
            ["Tributary:MasterKey is required on PostgreSQL", "openssl rand -base64 32", "Tributary__MasterKey"]
        },
        { ["--Database:Provider=mysql"], ["Database:Provider 'mysql' is not supported", "'Sqlite'", "'Postgres'", "Database__Provider="] },
        { ["--Database:Provider=7"], ["Database:Provider '7' is not supported", "'Sqlite'", "'Postgres'"] },
        { ["--Telemetry:OtlpEndpoint=collector:4318"], ["Telemetry:OtlpEndpoint", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector:4318"] },
        { ["--Tributary:DataDirectory= "], ["Tributary:DataDirectory", "Tributary__DataDirectory="] },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task BadSetting_StopsTheServerAtStart_WithAMessageThatSaysWhatToFix(string[] settings, string[] expected)
    {
        var error = await StartAsync(settings);

        Assert.NotNull(error);
        Assert.True(error is OptionsValidationException, $"Expected an OptionsValidationException, got {error.GetType()}: {error.Message}");
        foreach (var text in expected)
        {
            Assert.Contains(text, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GoodSettings_Start()
    {
        Assert.Null(await StartAsync(["--Tributary:RateLimitPerMinute=60", "--Tributary:MaxRequestBodyBytes=2048", "--Database:Provider=sqlite"]));
    }

    // Builds and starts the real server (Kestrel on a free loopback port), returning what stopped it.
    private async Task<Exception?> StartAsync(string[] settings)
    {
        string[] args =
        [
            "--urls=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning",
            $"--Tributary:DataDirectory={_dataDirectory}",
            .. settings,
        ];
        try
        {
            await using var app = TributaryServer.Build(args);
            await app.StartAsync(TestContext.Current.CancellationToken);
            await app.StopAsync(TestContext.Current.CancellationToken);
            return null;
        }
        catch (Exception e) when (e is OptionsValidationException or InvalidOperationException)
        {
            return e;
        }
    }
}
