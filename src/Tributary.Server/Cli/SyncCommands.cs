using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Integrations.Catalog;
using Tributary.Server.Organization;
using Tributary.Server.Sync;

namespace Tributary.Server.Cli;

/// <summary>
/// <c>sync-frequencies list|show|set|clear</c>: the operator's side of <c>/api/v1/sync-frequencies</c>.
/// Without <c>--integration</c> or <c>--account</c> a verb works on the organization's default.
/// </summary>
internal static class SyncCommands
{
    public static Command Frequencies(Option<bool> json)
    {
        var command = new Command("sync-frequencies", "How often linked accounts sync: per organization, integration (--integration) or account (--account).");

        var listOrg = OrgOption();
        var list = new Command("list", "Every frequency the organization has set.") { listOrg };
        list.SetAction((result, ct) => CliApp.WithServices(result, json, async (services, output) =>
        {
            var db = services.GetRequiredService<TributaryDbContext>();
            var target = await CliApp.FindOrganizationAsync(db, result.GetValue(listOrg), ct);
            var rows = (await SyncFrequencies.ListAsync(db, target.Id, ct)).Select(SyncFrequencyDto.From).ToList();
            output.Write(rows, rows.Count == 0
                ? "No sync frequencies set: every account syncs at the server default (Sync:DefaultFrequencyMinutes)."
                : string.Join(Environment.NewLine, rows.Select(r => $"{Label(r),-52} every {r.IntervalMinutes} min")));
        }, ct));
        command.Subcommands.Add(list);

        var (showOrg, showIntegration, showAccount) = ScopeOptions();
        var show = new Command("show", "The frequency set at one level and the one that applies there.") { showOrg, showIntegration, showAccount };
        show.SetAction((result, ct) => CliApp.WithServices(result, json, async (services, output) =>
        {
            var (db, organizationId, scope) = await ScopeAsync(services, result, showOrg, showIntegration, showAccount, ct);
            var setting = SyncFrequencyDto.From(await services.GetRequiredService<SyncFrequencies>().DescribeAsync(db, organizationId, scope, ct));
            output.Write(setting, Text(setting));
        }, ct));
        command.Subcommands.Add(show);

        var (setOrg, setIntegration, setAccount) = ScopeOptions();
        var minutes = new Option<int>("--minutes") { Description = "Whole minutes between syncs, from Sync:MinFrequencyMinutes to 10080.", Required = true };
        var set = new Command("set", "Set the frequency at one level and reschedule the accounts it affects.") { setOrg, setIntegration, setAccount, minutes };
        set.SetAction((result, ct) => CliApp.WithServices(result, json, async (services, output) =>
        {
            var (db, organizationId, scope) = await ScopeAsync(services, result, setOrg, setIntegration, setAccount, ct);
            var frequencies = services.GetRequiredService<SyncFrequencies>();
            var interval = result.GetValue(minutes);
            if (frequencies.Problem(interval) is { } problem)
            {
                throw new CliException("--minutes: " + problem);
            }
            await frequencies.SetAsync(db, organizationId, scope, interval, ct);
            services.GetRequiredService<AuditTrail>().Record(db, organizationId, AuditActor.Operator, AuditEventTypes.ChangedOrganizationSettings,
                $"Set the sync frequency of {scope.Describe()} to every {interval} minutes.");
            await SaveAndRescheduleAsync(frequencies, db, organizationId, scope, output, ct);
        }, ct));
        command.Subcommands.Add(set);

        var (clearOrg, clearIntegration, clearAccount) = ScopeOptions();
        var clear = new Command("clear", "Remove the frequency set at one level; the next level's applies.") { clearOrg, clearIntegration, clearAccount };
        clear.SetAction((result, ct) => CliApp.WithServices(result, json, async (services, output) =>
        {
            var (db, organizationId, scope) = await ScopeAsync(services, result, clearOrg, clearIntegration, clearAccount, ct);
            var frequencies = services.GetRequiredService<SyncFrequencies>();
            if (!await SyncFrequencies.RemoveAsync(db, organizationId, scope, ct))
            {
                throw new CliException($"No sync frequency is set for {scope.Describe()}.");
            }
            services.GetRequiredService<AuditTrail>().Record(db, organizationId, AuditActor.Operator, AuditEventTypes.ChangedOrganizationSettings,
                $"Removed the sync frequency of {scope.Describe()}.");
            await SaveAndRescheduleAsync(frequencies, db, organizationId, scope, output, ct);
        }, ct));
        command.Subcommands.Add(clear);
        return command;
    }

    private static async Task SaveAndRescheduleAsync(
        SyncFrequencies frequencies, TributaryDbContext db, Guid organizationId, SyncFrequencyScope scope, CliOutput output, CancellationToken ct)
    {
        await db.SaveChangesAsync(ct);
        var rescheduled = await frequencies.RescheduleAsync(db, organizationId, scope, ct);
        var setting = SyncFrequencyDto.From(await frequencies.DescribeAsync(db, organizationId, scope, ct));
        output.Write(new { frequency = setting, rescheduled_accounts = rescheduled }, $"{Text(setting)}{Environment.NewLine}Rescheduled {rescheduled} account(s).");
    }

    private static Option<Guid> OrgOption() => new("--org") { Description = "Organization id.", Required = true };

    private static (Option<Guid> Org, Option<string?> Integration, Option<Guid?> Account) ScopeOptions() => (
        OrgOption(),
        new Option<string?>("--integration") { Description = "An integration slug, e.g. google-drive: that integration's frequency." },
        new Option<Guid?>("--account") { Description = "A linked account id: that account's own frequency." });

    private static async Task<(TributaryDbContext Db, Guid OrganizationId, SyncFrequencyScope Scope)> ScopeAsync(
        IServiceProvider services, ParseResult result, Option<Guid> org, Option<string?> integration, Option<Guid?> account, CancellationToken ct)
    {
        var db = services.GetRequiredService<TributaryDbContext>();
        var target = await CliApp.FindOrganizationAsync(db, result.GetValue(org), ct);
        var slug = result.GetValue(integration);
        var accountId = result.GetValue(account);
        if (slug is not null && accountId is not null)
        {
            throw new CliException("Pass either --integration or --account, not both.");
        }
        if (slug is not null)
        {
            var catalog = services.GetRequiredService<IntegrationCatalog>();
            return catalog.Find(slug) is null
                ? throw new CliException($"Unknown integration \"{slug}\". Use one of: {string.Join(", ", catalog.All.Select(i => i.Slug).Order(StringComparer.Ordinal))}.")
                : (db, target.Id, SyncFrequencyScope.ForIntegration(slug));
        }
        if (accountId is { } id)
        {
            var linked = await db.LinkedAccounts.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(a => a.Id == id && a.OrganizationId == target.Id, ct)
                ?? throw new CliException($"The organization has no linked account {id}.");
            return (db, target.Id, SyncFrequencyScope.ForAccount(linked));
        }
        return (db, target.Id, SyncFrequencyScope.Organization);
    }

    private static string Label(SyncFrequencyDto r) => r.Level switch
    {
        SyncFrequencyScope.LinkedAccountLevel => $"linked account {r.LinkedAccountId}",
        SyncFrequencyScope.IntegrationLevel => $"integration {r.Integration}",
        _ => "organization",
    };

    private static string Text(SyncFrequencyDto s) =>
        $"{Label(s)}: {(s.IntervalMinutes is { } own ? $"set to every {own} min" : "not set")}; applies: every {s.EffectiveIntervalMinutes} min (from {s.EffectiveFrom}).";
}
