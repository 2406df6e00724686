using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Tributary.Server.Hosting;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Hosting;

public sealed class DatabaseStartupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A server stopped while its scheduler is still starting: Quartz reports the cancellation wrapped in
    /// its own exceptions, which must end the retry loop quietly rather than fail the host's stop.
    /// </summary>
    [Fact]
    public async Task StoppingDuringTheWork_EndsQuietly_EvenWhenTheCancellationArrivesWrapped()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var startup = app.Services.GetRequiredService<DatabaseStartup>();
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var attempts = 0;

        await startup.RetryUntilDoneAsync("start the job scheduler", async ct =>
        {
            attempts++;
            await stopping.CancelAsync();
            throw new SchedulerException("Couldn't commit ADO.NET transaction.", new OperationCanceledException(ct));
        }, stopping.Token);

        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task AFailureThatIsNotAboutReachingTheDatabase_StillFails_WhileRunning()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var startup = app.Services.GetRequiredService<DatabaseStartup>();

        await Assert.ThrowsAsync<SchedulerException>(() => startup.RetryUntilDoneAsync("start the job scheduler",
            _ => throw new SchedulerException("Database schema validation failed."), Ct));
    }
}
