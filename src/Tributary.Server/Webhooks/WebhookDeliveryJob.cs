using Microsoft.Extensions.Options;
using Quartz;

namespace Tributary.Server.Webhooks;

/// <summary>
/// The Quartz job that drains the outbox. It fires every <see cref="WebhookOptions.PollInterval"/>
/// and keeps claiming batches while they come back full (up to a time budget), so a backlog after an
/// outage drains without waiting a poll per batch. Quartz runs one at a time per scheduler; across
/// replicas the dispatcher's row leases keep attempts apart.
/// </summary>
[DisallowConcurrentExecution]
internal sealed partial class WebhookDeliveryJob(
    WebhookDispatcher dispatcher, TimeProvider time, IOptions<WebhookOptions> options, ILogger<WebhookDeliveryJob> logger) : IJob
{
    public static readonly JobKey Key = new("webhook-delivery", "webhooks");
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var started = time.GetTimestamp();
        try
        {
            while (await dispatcher.RunOnceAsync(cancellationToken) >= options.Value.BatchSize && time.GetElapsedTime(started) < Budget)
            {
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Logged here without bodies or keys; the next fire tries again.
            LogPassFailed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A webhook delivery pass failed")]
    private partial void LogPassFailed(Exception exception);
}
