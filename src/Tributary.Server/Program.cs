using Tributary.Server.Cli;
using Tributary.Server.Hosting;

// One executable: operator verbs (`orgs create`, `keys rotate`, `migrate`, …) or, by default, the server.
if (CliApp.IsVerb(args))
{
    return await CliApp.RunAsync(args);
}

var app = TributaryServer.Build(args);
await app.RunAsync();
return 0;
