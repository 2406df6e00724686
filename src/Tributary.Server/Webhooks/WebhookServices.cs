using Microsoft.Extensions.DependencyInjection.Extensions;
using Quartz;
using Tributary.Server.Events;

namespace Tributary.Server.Webhooks;

internal static class WebhookServices
{
    /// <summary>
    /// What records events (server and CLI alike): the outbox behind <see cref="IAccountEvents"/>, the
    /// signature keys and the payload builder.
    /// </summary>
    public static IServiceCollection AddWebhookOutbox(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpContextAccessor();
        services.AddSingleton<WebhookSigningKeys>();
        services.AddSingleton<WebhookPayloads>();
        services.AddSingleton<SealedPayloads>();
        services.AddSingleton<WebhookDeliveryRetention>();
        services.RemoveAll<IAccountEvents>();
        services.AddSingleton<IAccountEvents, AccountEventsOutbox>();
        return services;
    }

    /// <summary>
    /// What sends them (the server only): the dispatcher and its Quartz job. This is its own
    /// <c>AddQuartz</c> call; Quartz merges it with the scheduler set up elsewhere (job store, clustering).
    /// </summary>
    public static IServiceCollection AddWebhookDelivery(this IServiceCollection services, IConfiguration configuration)
    {
        var poll = configuration.GetSection(WebhookOptions.SectionName).GetValue(nameof(WebhookOptions.PollInterval), new WebhookOptions().PollInterval);
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddQuartz(q =>
        {
            q.AddJob<WebhookDeliveryJob>(j => j.WithIdentity(WebhookDeliveryJob.Key).StoreDurably());
            q.AddTrigger(t => t.ForJob(WebhookDeliveryJob.Key).WithIdentity("webhook-delivery", "webhooks").StartNow()
                .WithSimpleSchedule(s => s.WithInterval(poll).RepeatForever()));
        });
        // The scheduler host (Sync/SchedulerSetup) decides whether this process runs jobs at all.
        return services;
    }
}
