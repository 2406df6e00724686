using System.Diagnostics;
using System.Globalization;
using Tributary.Bench;

// dotnet run -c Release --project bench/Tributary.Bench -- <seed|paging|throughput|download|ingest|push|all> [--data DIR] [--files N]
// Everything listens on 127.0.0.1 only, and every loop stops by itself.
var scenario = args.Length > 0 ? args[0] : "help";
string Option(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
int Number(string name, int fallback) => int.Parse(Option(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

if (scenario is not ("seed" or "paging" or "throughput" or "load" or "download" or "ingest" or "push" or "all"))
{
    Console.WriteLine("""
        usage: dotnet run -c Release --project bench/Tributary.Bench -- <scenario> [options]
          seed        create the org, Sandbox account and the bulk-seeded files (once; later runs reuse them)
          paging      GET /files page 10,000 vs page 1 latency            [--rounds 1000]
          throughput  GET /files vs static JSON of the same page          [--concurrency 8] [--seconds 10] [--rounds 2]
          load        one endpoint under load, to attach a profiler   [--path api/filestorage/v1/files?page_size=100] [--concurrency 8] [--seconds 30]
          download    peak memory streaming a 1 GiB vs a 10 MiB download
          ingest      full sync of N files from a provider fake over loopback vs a raw bulk insert of the same rows  [--files 100000]
          push        change at the provider fake → push notification → visible through GET /files/{id}  [--changes 20] [--burst 10]
          all         seed (if needed), then paging, throughput and download
        options: --data DIR (default $TMPDIR/tributary-bench)  --files N (default 1000000)
        """);
    return scenario == "help" ? 0 : 2;
}

BenchHost.Configure(Option("--data", Path.Combine(Path.GetTempPath(), "tributary-bench")));
Console.WriteLine($"# Tributary bench: {scenario}, {DateTimeOffset.Now:yyyy-MM-dd HH:mm zzz}");
Console.WriteLine($"machine: {Stats.Machine()}");
Console.WriteLine($"data: {BenchHost.DataDirectory}");
if (scenario == "ingest")
{
    await Ingest.RunAsync(BenchHost.DataDirectory, Number("--files", 100_000));
    return 0;
}
if (scenario == "push")
{
    await Push.RunAsync(BenchHost.DataDirectory, Number("--changes", 20), Number("--burst", 10));
    return 0;
}
var state = await BenchHost.EnsureAccountAsync();
var files = Number("--files", 1_000_000);
if (state.SeededFiles < files)
{
    if (state.SeededFiles > 0)
    {
        throw new InvalidOperationException($"{BenchHost.DataDirectory} holds {state.SeededFiles:N0} seeded files: delete it to seed {files:N0}.");
    }
    Console.WriteLine($"Seeding {files:N0} files for linked account {state.LinkedAccountId} …");
    await Seeder.SeedAsync(state, files);
    state = state with { SeededFiles = files };
    BenchHost.SaveState(state);
}
Console.WriteLine($"linked account {state.LinkedAccountId}: {state.SeededFiles:N0} seeded files (+ the Sandbox's own)");

var watch = Stopwatch.StartNew();
if (scenario is "paging" or "all")
{
    await Scenarios.PagingAsync(state, Number("--rounds", 1000));
}
if (scenario is "throughput" or "all")
{
    await Scenarios.ThroughputAsync(state, Number("--concurrency", 8), Number("--seconds", 10), Number("--rounds", 2));
}
if (scenario is "load")
{
    await Scenarios.LoadOnlyAsync(state, Option("--path", Scenarios.FilesPath), Number("--concurrency", 8), Number("--seconds", 30));
}
if (scenario is "download" or "all")
{
    await Scenarios.DownloadAsync(state);
}
Console.WriteLine($"done in {watch.Elapsed.TotalSeconds:N0} s");
return 0;
