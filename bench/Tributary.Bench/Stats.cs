using System.Globalization;

namespace Tributary.Bench;

internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var rank = p / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }

    public static string F(double value, int digits = 2) => value.ToString("N" + digits, CultureInfo.InvariantCulture);

    /// <summary>VmRSS and VmHWM (peak) of this process from /proc, in bytes.</summary>
    public static (long Rss, long Peak) Memory()
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kb(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kb(line);
            }
        }
        return (rss, peak);

        static long Kb(string line) =>
            long.Parse(line.Split(':', StringSplitOptions.TrimEntries)[1].Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Resets VmHWM to the current RSS (Linux: writing 5 to clear_refs).</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static string Machine()
    {
        var memory = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim();
        return $"{Environment.ProcessorCount} cores ({cpu}), {memory.Split(':')[1].Trim()} RAM, .NET {Environment.Version}, " +
            $"Server GC {System.Runtime.GCSettings.IsServerGC}, load average {File.ReadAllText("/proc/loadavg").Trim()}";
    }
}
