using System.CommandLine;
using System.Data.Common;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Server.Hosting;
using Tributary.Server.Organization;
using OrganizationEntity = Tributary.Data.Entities.Organization;

namespace Tributary.Server.Cli;

/// <summary>
/// Operator verbs of the one executable. Each verb builds the same services as the server (same
/// configuration, same database) without starting it. <c>--json</c> prints one JSON document for scripts.
/// </summary>
internal static class CliApp
{
    private static readonly string[] Verbs = ["serve", "migrate", "orgs", "keys", "config", "oauth-apps", "sandbox", "vault", "webhooks", "sync-frequencies", "demo", "--help", "-h", "-?", "--version"];

    private static readonly JsonSerializerOptions Json = new(ApiJson.Options) { WriteIndented = true };

    public static bool IsVerb(string[] args) => args.Length > 0 && Verbs.Contains(args[0]);

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Tributary: a self-hostable, Merge-compatible unified API. Without a verb it serves.");
        var json = new Option<bool>("--json") { Description = "Print one JSON document instead of text.", Recursive = true };
        root.Options.Add(json);

        var serve = new Command("serve", "Run the server (the default without a verb). Other arguments go to ASP.NET Core, e.g. --urls.");
        serve.TreatUnmatchedTokensAsErrors = false;
        serve.SetAction((result, ct) => TributaryServer.RunAsync(result.UnmatchedTokens.ToArray(), ct));
        root.Subcommands.Add(serve);

        var migrate = new Command("migrate", "Create the database if needed and apply pending migrations.");
        migrate.SetAction((result, ct) => WithServices(result, json, async (services, output) =>
        {
            await TributaryServices.MigrateAsync(services, ct);
            var db = services.GetRequiredService<TributaryDbContext>();
            var applied = (await db.Database.GetAppliedMigrationsAsync(ct)).ToList();
            output.Write(new { migrated = true, provider = services.GetRequiredService<EffectiveSettings>().Provider.ToString(), applied_migrations = applied },
                $"Database is up to date ({applied.Count} migrations applied).");
        }, ct, migrateFirst: false));
        root.Subcommands.Add(migrate);

        root.Subcommands.Add(OrganizationCommands(json));
        root.Subcommands.Add(KeyCommands(json));
        root.Subcommands.Add(LinkingCommands.OAuthApps(json));
        root.Subcommands.Add(LinkingCommands.Sandbox(json));
        root.Subcommands.Add(LinkingCommands.Vault(json));
        root.Subcommands.Add(WebhookCommands.Webhooks(json));
        root.Subcommands.Add(SyncCommands.Frequencies(json));
        root.Subcommands.Add(LinkingCommands.Demo(json));

        var config = new Command("config", "Configuration.");
        var show = new Command("show", "Print the effective configuration (secrets masked) and check it; exit code 1 if it is invalid.");
        show.SetAction((result, ct) => WithServices(result, json, (services, output) =>
        {
            var s = services.GetRequiredService<EffectiveSettings>();
            // Shown even when invalid (the point is to see what is wrong), so read without validating.
            var o = services.GetRequiredService<IConfiguration>().GetSection(TributaryOptions.SectionName).Get<TributaryOptions>() ?? new TributaryOptions();
            var problems = ConfigurationCheck.Problems(services);
            var masked = new
            {
                database = new { provider = s.Provider.ToString(), connection_string = MaskSecrets(s.ConnectionString) },
                data_directory = s.DataDirectory,
                master_key = string.IsNullOrWhiteSpace(s.MasterKey) ? "(not set)" : "(set, hidden)",
                master_key_source = s.MasterKeySource,
                rate_limit_per_minute = o.RateLimitPerMinute,
                max_request_body_bytes = o.MaxRequestBodyBytes,
                migrate_on_start = o.MigrateOnStart,
                valid = problems.Count == 0,
                problems,
            };
            output.Write(masked, JsonSerializer.Serialize(masked, Json));
            foreach (var problem in problems)
            {
                Console.Error.WriteLine("error: " + problem);
            }
            return Task.FromResult(problems.Count == 0 ? 0 : 1);
        }, ct, migrateFirst: false, validate: false));
        config.Subcommands.Add(show);
        root.Subcommands.Add(config);

        return await root.Parse(args).InvokeAsync();
    }

    private static Command OrganizationCommands(Option<bool> json)
    {
        var orgs = new Command("orgs", "Organizations (tenants).");

        var name = new Option<string>("--name") { Description = "Display name of the organization.", Required = true };
        var rateLimit = new Option<int?>("--rate-limit") { Description = "Requests per minute per linked account (default: the server's)." };
        var create = new Command("create", "Create an organization with a production and a test API key, printed once.") { name, rateLimit };
        create.SetAction((result, ct) => WithServices(result, json, async (services, output) =>
        {
            var db = services.GetRequiredService<TributaryDbContext>();
            var keys = services.GetRequiredService<ApiKeys>();
            var time = services.GetRequiredService<TimeProvider>();
            var limit = result.GetValue(rateLimit);
            if (limit is < 1)
            {
                throw new CliException("--rate-limit must be at least 1.");
            }
            var org = new OrganizationEntity
            {
                Id = Guid.CreateVersion7(time.GetUtcNow()),
                Name = RequireName(result.GetValue(name), "--name"),
                CreatedAt = time.GetUtcNow().UtcDateTime,
                RateLimitPerMinute = limit,
            };
            db.Organizations.Add(org);
            var production = keys.Create(db, org.Id, ApiEnvironment.Production, "default", AuditActor.Operator);
            var test = keys.Create(db, org.Id, ApiEnvironment.Test, "default-test", AuditActor.Operator);
            await db.SaveChangesAsync(ct);
            output.Write(
                new { organization_id = org.Id, name = org.Name, production_key = production.Secret, test_key = test.Secret },
                $"""
                Created organization "{org.Name}" ({org.Id}).
                  production key: {production.Secret}
                  test key:       {test.Secret}
                These keys are shown once; store them now. Try:
                  curl -H "Authorization: Bearer {production.Secret}" http://localhost:5080/api/filestorage/v1/audit-trail
                """);
        }, ct));
        orgs.Subcommands.Add(create);

        var list = new Command("list", "List organizations.");
        list.SetAction((result, ct) => WithServices(result, json, async (services, output) =>
        {
            var db = services.GetRequiredService<TributaryDbContext>();
            var all = await db.Organizations.IgnoreQueryFilters().OrderBy(o => o.CreatedAt)
                .Select(o => new { id = o.Id, name = o.Name, created_at = o.CreatedAt, rate_limit_per_minute = o.RateLimitPerMinute })
                .ToListAsync(ct);
            output.Write(all, all.Count == 0
                ? "No organizations yet: create one with `orgs create --name <name>`."
                : string.Join(Environment.NewLine, all.Select(o => $"{o.id}  {o.name}  (created {o.created_at:u})")));
        }, ct));
        orgs.Subcommands.Add(list);

        var org = new Option<Guid>("--org") { Description = "Organization id.", Required = true };
        var newName = new Option<string?>("--name") { Description = "New display name." };
        var setLimit = new Option<int?>("--rate-limit") { Description = "Requests per minute per linked account." };
        var clearLimit = new Option<bool>("--clear-rate-limit") { Description = "Use the server's default rate limit again." };
        var set = new Command("set", "Change an organization's settings (recorded in its audit trail).") { org, newName, setLimit, clearLimit };
        set.SetAction((result, ct) => WithServices(result, json, async (services, output) =>
        {
            var db = services.GetRequiredService<TributaryDbContext>();
            var audit = services.GetRequiredService<AuditTrail>();
            var target = await FindOrganizationAsync(db, result.GetValue(org), ct);
            var changes = new List<string>();
            if (result.GetValue(newName) is { } rawName)
            {
                var renamed = RequireName(rawName, "--name");
                changes.Add($"name \"{target.Name}\" → \"{renamed}\"");
                target.Name = renamed;
            }
            if (result.GetValue(setLimit) is not null && result.GetValue(clearLimit))
            {
                throw new CliException("Pass either --rate-limit or --clear-rate-limit, not both.");
            }
            if (result.GetValue(setLimit) is { } limit)
            {
                if (limit < 1)
                {
                    throw new CliException("--rate-limit must be at least 1.");
                }
                changes.Add($"rate limit {target.RateLimitPerMinute?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"} → {limit}/min");
                target.RateLimitPerMinute = limit;
            }
            else if (result.GetValue(clearLimit))
            {
                changes.Add("rate limit → server default");
                target.RateLimitPerMinute = null;
            }
            if (changes.Count == 0)
            {
                throw new CliException("Nothing to change: pass --name, --rate-limit or --clear-rate-limit.");
            }
            audit.Record(db, target.Id, AuditActor.Operator, AuditEventTypes.ChangedOrganizationSettings, "Changed " + string.Join("; ", changes) + ".");
            await db.SaveChangesAsync(ct);
            output.Write(new { id = target.Id, name = target.Name, rate_limit_per_minute = target.RateLimitPerMinute, changes },
                "Changed " + string.Join("; ", changes) + ".");
        }, ct));
        orgs.Subcommands.Add(set);
        return orgs;
    }

    private static Command KeyCommands(Option<bool> json)
    {
        var keysCommand = new Command("keys", "API keys: create, list, rotate, revoke.");

        var org = new Option<Guid>("--org") { Description = "Organization id.", Required = true };
        var environment = new Option<string>("--environment") { Description = "production or test.", DefaultValueFactory = _ => "production" };
        environment.AcceptOnlyFromAmong("production", "test");
        var name = new Option<string>("--name") { Description = "Name of the key, e.g. the system that uses it.", Required = true };
        var create = new Command("create", "Create an API key; the secret is printed once.") { org, environment, name };
        create.SetAction((result, ct) => WithServices(result, json, async (services, output) =>
        {
            var db = services.GetRequiredService<TributaryDbContext>();
            var target = await FindOrganizationAsync(db, result.GetValue(org), ct);
            var env = result.GetValue(environment) == "test" ? ApiEnvironment.Test : ApiEnvironment.Production;
            var issued = services.GetRequiredService<ApiKeys>().Create(db, target.Id, env, RequireName(result.GetValue(name), "--name"), AuditActor.Operator);
            await db.SaveChangesAsync(ct);
            output.Write(KeyJson(issued.Key, issued.Secret), $"Created {env.ToString().ToLowerInvariant()} key {issued.Key.Id}: {issued.Secret}\nIt is shown once; store it now.");
        }, ct));
        keysCommand.Subcommands.Add(create);

        var listOrg = new Option<Guid>("--org") { Description = "Organization id.", Required = true };
        var list = new Command("list", "List an organization's keys (never their secrets).") { listOrg };
        list.SetAction((result, ct) => WithServices(result, json, async (services, output) =>
        {
            var db = services.GetRequiredService<TributaryDbContext>();
            var target = await FindOrganizationAsync(db, result.GetValue(listOrg), ct);
            var all = await db.ApiKeys.IgnoreQueryFilters().Where(k => k.OrganizationId == target.Id).OrderBy(k => k.CreatedAt).ToListAsync(ct);
            output.Write(all.Select(k => KeyJson(k, null)).ToList(), string.Join(Environment.NewLine, all.Select(k =>
                $"{k.Id}  {k.Environment.ToString().ToLowerInvariant(),-10}  {k.Prefix,-16}  {k.Name}{(k.RevokedAt is null ? "" : $"  (revoked {k.RevokedAt:u})")}")));
        }, ct));
        keysCommand.Subcommands.Add(list);

        var key = new Option<Guid>("--key") { Description = "Key id (from `keys list`).", Required = true };
        var rotateName = new Option<string?>("--name") { Description = "Name of the new key (default: the old key's name)." };
        var rotate = new Command("rotate", "Replace a key: the old one stops working at once; the new secret is printed once.") { key, rotateName };
        rotate.SetAction((result, ct) => WithServices(result, json, async (services, output) =>
        {
            var db = services.GetRequiredService<TributaryDbContext>();
            var old = await FindActiveKeyAsync(db, result.GetValue(key), ct);
            var newKeyName = result.GetValue(rotateName) is { } given ? RequireName(given, "--name") : old.Name;
            var issued = services.GetRequiredService<ApiKeys>().Regenerate(db, old, newKeyName, AuditActor.Operator);
            await db.SaveChangesAsync(ct);
            output.Write(KeyJson(issued.Key, issued.Secret), $"Revoked {old.Id}; new key {issued.Key.Id}: {issued.Secret}\nIt is shown once; store it now.");
        }, ct));
        keysCommand.Subcommands.Add(rotate);

        var revokeKey = new Option<Guid>("--key") { Description = "Key id (from `keys list`).", Required = true };
        var revoke = new Command("revoke", "Revoke a key: it stops working at once.") { revokeKey };
        revoke.SetAction((result, ct) => WithServices(result, json, async (services, output) =>
        {
            var db = services.GetRequiredService<TributaryDbContext>();
            var target = await FindActiveKeyAsync(db, result.GetValue(revokeKey), ct);
            services.GetRequiredService<ApiKeys>().Revoke(db, target, AuditActor.Operator);
            await db.SaveChangesAsync(ct);
            output.Write(KeyJson(target, null), $"Revoked key {target.Id} ({target.Prefix}).");
        }, ct));
        keysCommand.Subcommands.Add(revoke);
        return keysCommand;
    }

    private static object KeyJson(ApiKey k, string? secret) => new
    {
        id = k.Id,
        organization_id = k.OrganizationId,
        name = k.Name,
        environment = k.Environment.ToString().ToLowerInvariant(),
        prefix = k.Prefix,
        key = secret,
        created_at = k.CreatedAt,
        revoked_at = k.RevokedAt,
    };

    internal static async Task<OrganizationEntity> FindOrganizationAsync(TributaryDbContext db, Guid id, CancellationToken ct) =>
        await db.Organizations.IgnoreQueryFilters().SingleOrDefaultAsync(o => o.Id == id, ct)
            ?? throw new CliException($"No organization {id}: list them with `orgs list`.");

    private static async Task<ApiKey> FindActiveKeyAsync(TributaryDbContext db, Guid id, CancellationToken ct)
    {
        var key = await db.ApiKeys.IgnoreQueryFilters().SingleOrDefaultAsync(k => k.Id == id, ct)
            ?? throw new CliException($"No API key {id}: list keys with `keys list --org <id>`.");
        return key.RevokedAt is null ? key : throw new CliException($"API key {id} was already revoked at {key.RevokedAt:u}.");
    }

    /// <summary>Trimmed, non-blank and at most 200 characters (the column size), or a message saying so.</summary>
    private static string RequireName(string? value, string option)
    {
        var trimmed = value?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            throw new CliException($"{option} must not be blank.");
        }
        if (trimmed.Length > 200)
        {
            throw new CliException($"{option} must be at most 200 characters (it has {trimmed.Length}).");
        }
        return trimmed;
    }

    /// <summary>
    /// Replaces every secret-looking value of a connection string (Password, its aliases Pwd/Psw,
    /// SSL Password, …) with ***. Parsed, not split on ';', so quoted values that contain ';' or '='
    /// are masked whole; a string that does not parse is hidden entirely.
    /// </summary>
    internal static string MaskSecrets(string connectionString)
    {
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            return "(not a valid connection string; hidden)";
        }
        var masked = new System.Text.StringBuilder();
        foreach (var key in builder.Keys.Cast<string>())
        {
            var normalized = key.Replace(" ", "", StringComparison.Ordinal);
            var secret = normalized.Contains("password", StringComparison.OrdinalIgnoreCase) ||
                normalized.Equals("pwd", StringComparison.OrdinalIgnoreCase) ||
                normalized.Equals("psw", StringComparison.OrdinalIgnoreCase);
            // The builder lower-cases keys; show them as the operator wrote them.
            var at = connectionString.IndexOf(key, StringComparison.OrdinalIgnoreCase);
            var original = at >= 0 ? connectionString.Substring(at, key.Length) : key;
            DbConnectionStringBuilder.AppendKeyValuePair(masked, original, secret ? "***" : builder[key]?.ToString() ?? "");
        }
        return masked.ToString();
    }

    /// <summary>Builds the services, validates configuration, migrates (unless told not to) and runs <paramref name="body"/>.</summary>
    internal static Task<int> WithServices(
        ParseResult result, Option<bool> json, Func<IServiceProvider, CliOutput, Task> body, CancellationToken ct, bool migrateFirst = true) =>
        WithServices(result, json, async (services, output) =>
        {
            await body(services, output);
            return 0;
        }, ct, migrateFirst);

    private static async Task<int> WithServices(
        ParseResult result, Option<bool> json, Func<IServiceProvider, CliOutput, Task<int>> body, CancellationToken ct,
        bool migrateFirst = true, bool validate = true)
    {
        var output = new CliOutput(result.GetValue(json));
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            builder.AddTributaryCore();
            using var host = builder.Build();
            if (validate)
            {
                ConfigurationCheck.ThrowIfInvalid(host.Services);
            }
            if (migrateFirst)
            {
                await TributaryServices.MigrateAsync(host.Services, ct);
            }
            await using var scope = host.Services.CreateAsyncScope();
            return await body(scope.ServiceProvider, output);
        }
        catch (ConfigurationException e)
        {
            output.Error("The configuration is invalid.", e.Problems);
            return 1;
        }
        catch (DbUpdateException e)
        {
            output.Error("The database refused the change: " + (e.InnerException?.Message ?? e.Message));
            return 1;
        }
        catch (DbException e)
        {
            output.Error($"The database failed: {e.Message} (check Database:ConnectionString and that the database server is reachable).");
            return 1;
        }
        catch (Exception e) when (e is CliException or OptionsValidationException or InvalidOperationException or FormatException)
        {
            output.Error(e.Message);
            return 1;
        }
    }
}

/// <summary>A CLI failure whose message says what to do.</summary>
internal sealed class CliException(string message) : Exception(message);

internal sealed class CliOutput(bool json)
{
    private static readonly JsonSerializerOptions Options = new(ApiJson.Options) { WriteIndented = true };

    public void Write(object document, string text) =>
        Console.Out.WriteLine(json ? JsonSerializer.Serialize(document, Options) : text);

    public void Error(string message, IReadOnlyList<string>? problems = null)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new { error = message, problems = problems ?? [] }, Options));
        }
        Console.Error.WriteLine("error: " + message);
        foreach (var problem in problems ?? [])
        {
            Console.Error.WriteLine("error: " + problem);
        }
    }
}
