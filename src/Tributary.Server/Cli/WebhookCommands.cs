using System.CommandLine;
using Tributary.Data;
using Tributary.Server.Organization;
using Tributary.Server.Webhooks;

namespace Tributary.Server.Cli;

/// <summary><c>webhooks signing-key</c> and <c>webhooks rotate-key</c>: the operator's view of an organization's webhook signature key.</summary>
internal static class WebhookCommands
{
    public static Command Webhooks(Option<bool> json)
    {
        var command = new Command("webhooks", "Outbound webhooks: an organization's signature key.");

        var org = new Option<Guid>("--org") { Description = "Organization id.", Required = true };
        var show = new Command("signing-key", "Print the key that signs X-Merge-Webhook-Signature (made now if the organization has none).") { org };
        show.SetAction((result, ct) => CliApp.WithServices(result, json, async (services, output) =>
        {
            var db = services.GetRequiredService<TributaryDbContext>();
            var target = await CliApp.FindOrganizationAsync(db, result.GetValue(org), ct);
            var key = await services.GetRequiredService<WebhookSigningKeys>().CurrentAsync(db, target.Id, ct);
            await db.SaveChangesAsync(ct);
            output.Write(new { key = key.Key, created_at = key.CreatedAt }, key.Key);
        }, ct));
        command.Subcommands.Add(show);

        var rotateOrg = new Option<Guid>("--org") { Description = "Organization id.", Required = true };
        var rotate = new Command("rotate-key",
            "Replace the signature key; the old one keeps signing X-Tributary-Webhook-Signature-Previous during Webhooks:KeyRotationOverlap.") { rotateOrg };
        rotate.SetAction((result, ct) => CliApp.WithServices(result, json, async (services, output) =>
        {
            var db = services.GetRequiredService<TributaryDbContext>();
            var target = await CliApp.FindOrganizationAsync(db, result.GetValue(rotateOrg), ct);
            var key = await services.GetRequiredService<WebhookSigningKeys>().RotateAsync(db, target.Id, ct);
            services.GetRequiredService<AuditTrail>().Record(db, target.Id, AuditActor.Operator, "REGENERATED_WEBHOOK_SIGNATURE", "Rotated the webhook signature key.");
            await db.SaveChangesAsync(ct);
            output.Write(new { key = key.Key, created_at = key.CreatedAt }, $"New webhook signature key: {key.Key}");
        }, ct));
        command.Subcommands.Add(rotate);
        return command;
    }
}
