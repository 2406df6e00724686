using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Tributary.Server.Hosting;

/// <summary>Tells the person who just started the server where it listens and what to call first.</summary>
internal sealed class StartupBanner(IServer server, IHostApplicationLifetime lifetime, EffectiveSettings settings) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var first = addresses.FirstOrDefault()?.Replace("0.0.0.0", "localhost", StringComparison.Ordinal)
                .Replace("[::]", "localhost", StringComparison.Ordinal);
            if (first is null)
            {
                return;
            }
            Console.Out.WriteLine($"""

                Tributary is listening on {string.Join(", ", addresses)}
                  database:  {settings.Provider} ({(settings.Provider == Data.DatabaseProvider.Sqlite ? settings.ConnectionString : "configured connection")})
                  API docs:  {first}/docs   OpenAPI: {first}/openapi/v1.json   health: {first}/health/ready
                  first call: curl -H "Authorization: Bearer $TRIBUTARY_API_KEY" {first}/api/filestorage/v1/linked-accounts
                  no key yet? dotnet run --project src/Tributary.Server -- orgs create --name "My company"

                """);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
