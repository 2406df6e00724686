using Tributary.Server.Cli;
using Tributary.Server.Hosting;

// One executable: operator verbs (`orgs create`, `keys rotate`, `migrate`, …) or, by default, the server.
if (CliApp.IsVerb(args))
{
    return await CliApp.RunAsync(args);
}

return await TributaryServer.RunAsync(args);
