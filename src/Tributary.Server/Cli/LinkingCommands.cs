using System.CommandLine;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Integrations.Catalog;
using Tributary.Server.Linking;
using Tributary.Server.OAuthApps;
using Tributary.Server.Organization;
using Tributary.Server.Vault;

namespace Tributary.Server.Cli;

/// <summary>Operator verbs for linking: OAuth clients, the Sandbox, the credential vault.</summary>
internal static class LinkingCommands
{
    public static Command OAuthApps(Option<bool> json)
    {
        var command = new Command("oauth-apps", "An organization's own OAuth clients per integration.");
        var org = new Option<Guid>("--org") { Description = "Organization id.", Required = true };
        var integration = new Option<string>("--integration") { Description = "Integration slug, e.g. google-drive.", Required = true };
        var clientId = new Option<string>("--client-id") { Description = "The OAuth client id from the provider's console.", Required = true };
        var secretStdin = new Option<bool>("--client-secret-stdin") { Description = "Read the client secret from standard input (keeps it out of shell history)." };
        var secretEnv = new Option<string?>("--client-secret-env") { Description = "Read the client secret from this environment variable." };
        var scopes = new Option<string?>("--scopes") { Description = "Space-separated scopes replacing the catalog's." };
        var set = new Command("set", "Register or replace an OAuth client; prints the redirect URI to register with the provider.")
            { org, integration, clientId, secretStdin, secretEnv, scopes };
        set.SetAction((result, ct) => CliApp.WithServices(result, json, async (services, output) =>
        {
            var slug = result.GetValue(integration)!;
            if (services.GetRequiredService<IntegrationCatalog>().Find(slug) is null)
            {
                throw new CliException($"Unknown integration \"{slug}\".");
            }
            var secret = result.GetValue(secretStdin)
                ? (await Console.In.ReadToEndAsync(ct)).Trim()
                : result.GetValue(secretEnv) is { } variable ? Environment.GetEnvironmentVariable(variable) : null;
            if (string.IsNullOrEmpty(secret))
            {
                throw new CliException("Pass the client secret with --client-secret-stdin (piped) or --client-secret-env NAME.");
            }
            var db = services.GetRequiredService<TributaryDbContext>();
            var target = await CliApp.FindOrganizationAsync(db, result.GetValue(org), ct);
            var app = await services.GetRequiredService<OAuthAppStore>().SetAsync(db, target.Id, slug, result.GetValue(clientId)!, secret, result.GetValue(scopes), ct);
            services.GetRequiredService<AuditTrail>().Record(db, target.Id, AuditActor.Operator, AuditEventTypes.ChangedOrganizationSettings,
                $"Set the OAuth client for {slug} (client id {app.ClientId}).");
            await db.SaveChangesAsync(ct);
            var redirect = OAuthAppStore.RedirectUri(PublicBase(services), slug);
            output.Write(new { integration = slug, client_id = app.ClientId, scopes = app.Scopes, redirect_uri = redirect },
                $"Saved the {slug} OAuth client {app.ClientId} (secret encrypted).\nRegister this redirect URI with the provider: {redirect}");
        }, ct));
        command.Subcommands.Add(set);

        var listOrg = new Option<Guid>("--org") { Description = "Organization id.", Required = true };
        var list = new Command("list", "List an organization's OAuth clients (never their secrets).") { listOrg };
        list.SetAction((result, ct) => CliApp.WithServices(result, json, async (services, output) =>
        {
            var db = services.GetRequiredService<TributaryDbContext>();
            var target = await CliApp.FindOrganizationAsync(db, result.GetValue(listOrg), ct);
            var apps = await db.OAuthApps.IgnoreQueryFilters().Where(a => a.OrganizationId == target.Id).OrderBy(a => a.IntegrationSlug).ToListAsync(ct);
            var rows = apps.Select(a => new { integration = a.IntegrationSlug, client_id = a.ClientId, scopes = a.Scopes, redirect_uri = OAuthAppStore.RedirectUri(PublicBase(services), a.IntegrationSlug) }).ToList();
            output.Write(rows, rows.Count == 0 ? "No OAuth clients registered." : string.Join(Environment.NewLine, rows.Select(r => $"{r.integration,-14} {r.client_id}  → {r.redirect_uri}")));
        }, ct));
        command.Subcommands.Add(list);
        return command;
    }

    public static Command Sandbox(Option<bool> json)
    {
        var command = new Command("sandbox", "The built-in Sandbox integration (demo data, marked as test data).");
        var org = new Option<Guid>("--org") { Description = "Organization id.", Required = true };
        var originId = new Option<string>("--origin-id") { Description = "Your id for the end user.", DefaultValueFactory = _ => "sandbox-user" };
        var email = new Option<string>("--email") { Description = "End user's email address.", DefaultValueFactory = _ => "demo@example.com" };
        var organization = new Option<string>("--end-user-organization") { Description = "End user's organization.", DefaultValueFactory = _ => "Sandbox Inc." };
        var link = new Command("link", "Link a Sandbox account without a browser and print its account token (once).") { org, originId, email, organization };
        link.SetAction((result, ct) => CliApp.WithServices(result, json, async (services, output) =>
        {
            var db = services.GetRequiredService<TributaryDbContext>();
            var target = await CliApp.FindOrganizationAsync(db, result.GetValue(org), ct);
            var sandbox = services.GetRequiredService<IntegrationCatalog>().Find("sandbox")!;
            var (account, token) = await services.GetRequiredService<LinkFlow>().LinkDirectlyAsync(
                target.Id, sandbox, result.GetValue(originId)!, result.GetValue(email)!, result.GetValue(organization)!,
                JsonSerializer.SerializeToElement(new { sandbox = true }), ct);
            // The CLI process does not keep running, so the initial sync runs here, before printing.
            var outcome = await services.GetRequiredService<Sync.SyncRunner>().RunAsync(account.Id, fullResync: false, ct);
            output.Write(new { linked_account_id = account.Id, account_token = token, integration = sandbox.Slug, account_type = "TEST", synced_records = outcome.Records },
                $"""
                Linked Sandbox account {account.Id} for end user "{account.EndUserOriginId}" and synced {outcome.Records} records.
                  account token: {token}
                It is shown once; store it now. Try:
                  curl -H "Authorization: Bearer $TRIBUTARY_API_KEY" -H "X-Account-Token: {token}" http://localhost:5080/api/filestorage/v1/account-details
                """);
        }, ct));
        command.Subcommands.Add(link);
        return command;
    }

    public const string DemoOrganizationName = "Tributary Demo";

    /// <summary>
    /// The README's first command: a demo organization with a synced Sandbox account, then the server.
    /// Keys are stored only as hashes, so every start revokes the previous demo keys and prints fresh ones.
    /// </summary>
    public static Command Demo(Option<bool> json)
    {
        var demo = new Command("demo", "Serve with a demo organization and a synced Sandbox account; prints fresh demo keys and first calls. Other arguments go to ASP.NET Core, e.g. --urls.");
        demo.TreatUnmatchedTokensAsErrors = false;
        demo.SetAction(async (result, ct) =>
        {
            var prepared = await CliApp.WithServices(result, json, async (services, output) =>
            {
                var db = services.GetRequiredService<TributaryDbContext>();
                var keys = services.GetRequiredService<ApiKeys>();
                var time = services.GetRequiredService<TimeProvider>();
                var org = await db.Organizations.IgnoreQueryFilters().OrderBy(o => o.CreatedAt).FirstOrDefaultAsync(o => o.Name == DemoOrganizationName, ct);
                if (org is null)
                {
                    org = new Data.Entities.Organization { Id = Guid.CreateVersion7(time.GetUtcNow()), Name = DemoOrganizationName, CreatedAt = time.GetUtcNow().UtcDateTime };
                    db.Organizations.Add(org);
                }
                else
                {
                    foreach (var old in await db.ApiKeys.IgnoreQueryFilters().Where(k => k.OrganizationId == org.Id && k.RevokedAt == null).ToListAsync(ct))
                    {
                        keys.Revoke(db, old, AuditActor.Operator);
                    }
                }
                var production = keys.Create(db, org.Id, Data.Entities.ApiEnvironment.Production, "demo", AuditActor.Operator);
                var test = keys.Create(db, org.Id, Data.Entities.ApiEnvironment.Test, "demo-test", AuditActor.Operator);
                await db.SaveChangesAsync(ct);

                var sandbox = services.GetRequiredService<IntegrationCatalog>().Find("sandbox")!;
                var (account, token) = await services.GetRequiredService<LinkFlow>().LinkDirectlyAsync(
                    org.Id, sandbox, "demo-user", "demo@example.com", "Sandbox Inc.", JsonSerializer.SerializeToElement(new { sandbox = true }), ct);
                var outcome = await services.GetRequiredService<Sync.SyncRunner>().RunAsync(account.Id, fullResync: false, ct);
                var baseUrl = DemoBaseUrl(result.UnmatchedTokens, services);
                output.Write(
                    new { organization_id = org.Id, production_key = production.Secret, test_key = test.Secret, linked_account_id = account.Id, account_token = token, synced_records = outcome.Records, base_url = baseUrl },
                    $"""

                    Demo organization "{org.Name}" with a Sandbox account ({outcome.Records} records synced). Fresh keys for this run:
                      export TRIBUTARY_API_KEY={production.Secret}
                      export TRIBUTARY_ACCOUNT_TOKEN={token}
                    First calls:
                      curl -H "Authorization: Bearer $TRIBUTARY_API_KEY" -H "X-Account-Token: $TRIBUTARY_ACCOUNT_TOKEN" "{baseUrl}/api/filestorage/v1/files?page_size=5"
                      curl -H "Authorization: Bearer $TRIBUTARY_API_KEY" -H "X-Account-Token: $TRIBUTARY_ACCOUNT_TOKEN" "{baseUrl}/api/filestorage/v1/folders?expand=parent_folder"
                      curl -OJ -H "Authorization: Bearer $TRIBUTARY_API_KEY" -H "X-Account-Token: $TRIBUTARY_ACCOUNT_TOKEN" "{baseUrl}/api/filestorage/v1/files/<id>/download"
                    (test key: {test.Secret})
                    """);
            }, ct);
            return prepared != 0 ? prepared : await Hosting.TributaryServer.RunAsync(result.UnmatchedTokens.ToArray(), ct);
        });
        return demo;
    }

    private static string DemoBaseUrl(IReadOnlyList<string> args, IServiceProvider services)
    {
        var index = args.ToList().IndexOf("--urls");
        var urls = index >= 0 && index + 1 < args.Count ? args[index + 1] : services.GetRequiredService<IConfiguration>()["Urls"] ?? "http://localhost:5080";
        return urls.Split(';')[0].Replace("0.0.0.0", "localhost", StringComparison.Ordinal).Replace("[::]", "localhost", StringComparison.Ordinal).TrimEnd('/');
    }

    public static Command Vault(Option<bool> json)
    {
        var command = new Command("vault", "The credential vault's key ring.");
        var rotate = new Command("rotate", "Make a new data key primary and re-encrypt every stored credential and OAuth client secret under it.");
        rotate.SetAction((result, ct) => CliApp.WithServices(result, json, async (services, output) =>
        {
            var rotation = await services.GetRequiredService<CredentialVault>().RotateAsync(services.GetRequiredService<TributaryDbContext>(), ct);
            output.Write(new
            {
                new_key_id = rotation.NewKeyId, credentials_resealed = rotation.CredentialsResealed, oauth_apps_resealed = rotation.OAuthAppsResealed,
                webhook_secrets_resealed = rotation.WebhookSecretsResealed,
            }, $"New primary vault key {rotation.NewKeyId}; re-encrypted {rotation.CredentialsResealed} credentials, {rotation.OAuthAppsResealed} OAuth client secrets and {rotation.WebhookSecretsResealed} webhook and push secrets; older keys retired.");
        }, ct));
        command.Subcommands.Add(rotate);
        return command;
    }

    private static string PublicBase(IServiceProvider services) =>
        services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Hosting.TributaryOptions>>().Value.PublicUrl?.TrimEnd('/') ?? "http://localhost:5080";
}
