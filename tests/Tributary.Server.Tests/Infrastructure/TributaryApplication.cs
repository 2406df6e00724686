using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Server.Auth;
using Tributary.Server.Organization;

namespace Tributary.Server.Tests.Infrastructure;

public sealed record TestOrganization(Guid Id, string ProductionKey, string TestKey);

public sealed record TestAccount(Guid Id, string Token);

/// <summary>
/// Tributary in-process on its own fresh database (TodoApi's pattern: no test shares state with
/// another). <c>kestrel: true</c> serves on a real loopback port for out-of-process clients.
/// </summary>
public sealed class TributaryApplication : WebApplicationFactory<Program>
{
    /// <summary>Fixed so cursors minted by one instance verify on another (the two-replica tests).</summary>
    public const string MasterKey = "dHJpYnV0YXJ5LXRlc3QtbWFzdGVyLWtleS0zMi1ieXQ=";

    private readonly TestDatabase _database;
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("tributary-data-").FullName;
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    private TributaryApplication(TestDatabase database, Dictionary<string, string?> settings, Action<IServiceCollection>? services)
    {
        _database = database;
        _settings = settings;
        _services = services;
    }

    public DatabaseKind Kind => _database.Kind;
    internal TestDatabase Database => _database;

    /// <summary>The app's Tributary:DataDirectory, for CLI processes that share its deployment.</summary>
    internal string DataDirectory => _dataDirectory;

    /// <summary>The environment a CLI or server process needs to run against this app's database.</summary>
    internal Dictionary<string, string?> ProcessEnvironment() =>
        TributaryExecutable.Environment(_database.Kind, _database.ConnectionString, _dataDirectory);
    public ManualTimeProvider? Time { get; private init; }

    /// <summary>Starts an application on a new database of <paramref name="kind"/>.</summary>
    public static async Task<TributaryApplication> StartAsync(
        DatabaseKind kind,
        IDictionary<string, string?>? settings = null,
        ManualTimeProvider? time = null,
        bool kestrel = false,
        Action<IServiceCollection>? services = null)
    {
        var database = await TestDatabase.CreateAsync(kind);
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        var app = new TributaryApplication(database, all, services) { Time = time };
        if (kestrel)
        {
            app.UseKestrel(0);
            app.StartServer();
        }
        else
        {
            _ = app.Server;
        }
        return app;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Database:Provider", _database.Provider.ToString());
        builder.UseSetting("Database:ConnectionString", _database.ConnectionString);
        builder.UseSetting("Tributary:DataDirectory", _dataDirectory);
        builder.UseSetting("Tributary:MasterKey", MasterKey);
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services =>
        {
            services.AddSingleton(FileStorage.QueryCounter.Interceptor);
            if (Time is not null)
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton<TimeProvider>(Time);
            }
            _services?.Invoke(services);
        });
    }

    /// <summary>A client with <c>/api/</c> as base, the way Merge's SDKs are pointed at a server.</summary>
    public HttpClient CreateApiClient(string? apiKey, string? accountToken = null)
    {
        var client = CreateClient();
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
        if (accountToken is not null)
        {
            client.DefaultRequestHeaders.Add("X-Account-Token", accountToken);
        }
        return client;
    }

    /// <summary>Runs <paramref name="work"/> against the store with no tenant (query filters bypassed explicitly).</summary>
    internal async Task<T> WithDbAsync<T>(Func<TributaryDbContext, IServiceProvider, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        return await work(db, scope.ServiceProvider);
    }

    public Task<TestOrganization> CreateOrganizationAsync(string name = "Acme") => WithDbAsync(async (db, sp) =>
    {
        var time = sp.GetRequiredService<TimeProvider>();
        var org = new Data.Entities.Organization { Id = Guid.CreateVersion7(time.GetUtcNow()), Name = name, CreatedAt = time.GetUtcNow().UtcDateTime };
        db.Organizations.Add(org);
        var keys = sp.GetRequiredService<ApiKeys>();
        var production = keys.Create(db, org.Id, ApiEnvironment.Production, "default", AuditActor.Operator);
        var test = keys.Create(db, org.Id, ApiEnvironment.Test, "default-test", AuditActor.Operator);
        await db.SaveChangesAsync();
        return new TestOrganization(org.Id, production.Secret, test.Secret);
    });

    public Task<TestAccount> CreateLinkedAccountAsync(
        Guid organizationId,
        ApiEnvironment environment = ApiEnvironment.Production,
        string originId = "end-user-1",
        string integration = "google-drive",
        string category = "filestorage",
        string email = "pat@example.com",
        string organizationName = "Example Corp",
        LinkedAccountStatus status = LinkedAccountStatus.Complete) => WithDbAsync(async (db, sp) =>
    {
        var time = sp.GetRequiredService<TimeProvider>();
        var token = Secrets.Create(Secrets.AccountTokenPrefix);
        var now = time.GetUtcNow();
        var account = new LinkedAccount
        {
            Id = Guid.CreateVersion7(now),
            OrganizationId = organizationId,
            Environment = environment,
            Category = category,
            IntegrationSlug = integration,
            EndUserOriginId = originId,
            EndUserOrganizationName = organizationName,
            EndUserEmailAddress = email,
            Status = status,
            AccountTokenHash = Secrets.Hash(token),
            CreatedAt = now.UtcDateTime,
            ModifiedAt = now.UtcDateTime,
            CompletedAt = now.UtcDateTime,
        };
        db.LinkedAccounts.Add(account);
        await db.SaveChangesAsync();
        return new TestAccount(account.Id, token);
    });

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await _database.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Every data test runs on both databases.</summary>
public static class Databases
{
    public static TheoryData<DatabaseKind> Both => new() { DatabaseKind.Sqlite, DatabaseKind.Postgres };
}
