using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Tributary.Data;

namespace Tributary.Server.Hosting;

/// <summary>The configuration in effect after defaults, as <c>config show</c> prints it (secrets masked).</summary>
internal sealed record EffectiveSettings(
    DatabaseProvider Provider, string ConnectionString, string DataDirectory, string? MasterKey, string MasterKeySource);

/// <summary>Configuration the server cannot start with; each problem says what to fix.</summary>
internal sealed class ConfigurationException(IReadOnlyList<string> problems)
    : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

internal static class ConfigurationCheck
{
    public static EffectiveSettings Resolve(IConfiguration configuration)
    {
        var tributary = Bind<TributaryOptions>(configuration, TributaryOptions.SectionName);
        var database = ReadDatabase(configuration);
        var dataDirectory = Path.GetFullPath(tributary.DataDirectory);
        var connectionString = database.Provider == DatabaseProvider.Sqlite && string.IsNullOrWhiteSpace(database.ConnectionString)
            ? new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDirectory, "tributary.db"), Pooling = true }.ToString()
            : database.ConnectionString ?? "";
        var keySource = string.IsNullOrWhiteSpace(tributary.MasterKey)
            ? $"file {Path.Combine(dataDirectory, "master.key")}"
            : "configuration (Tributary:MasterKey)";
        return new EffectiveSettings(database.Provider, connectionString, dataDirectory, tributary.MasterKey, keySource);
    }

    // The binder's own error for an unknown enum name says what is wrong but not what would be right.
    private static DatabaseOptions ReadDatabase(IConfiguration configuration)
    {
        var section = configuration.GetSection(DatabaseOptions.SectionName);
        var raw = section[nameof(DatabaseOptions.Provider)];
        var provider = DatabaseProvider.Sqlite;
        if (!string.IsNullOrWhiteSpace(raw)
            && !(Enum.TryParse(raw.Trim(), ignoreCase: true, out provider) && Enum.IsDefined(provider) && !char.IsAsciiDigit(raw.Trim()[0])))
        {
            throw new OptionsValidationException(DatabaseOptions.SectionName, typeof(DatabaseOptions), [DatabaseOptionsValidator.UnknownProvider(raw)]);
        }
        return new DatabaseOptions { Provider = provider, ConnectionString = section[nameof(DatabaseOptions.ConnectionString)] };
    }

    /// <summary>
    /// Runs every options validator (what <c>ValidateOnStart</c> would do when the host starts) and
    /// returns their messages, once each; empty when the configuration is usable.
    /// </summary>
    public static IReadOnlyList<string> Problems(IServiceProvider services)
    {
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
            return [];
        }
        catch (OptionsValidationException e)
        {
            return e.Failures.Distinct(StringComparer.Ordinal).ToList();
        }
        catch (AggregateException e)
        {
            return e.Flatten().InnerExceptions
                .SelectMany(inner => inner is OptionsValidationException o ? o.Failures : [inner.Message])
                .Distinct(StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Throws <see cref="ConfigurationException"/> listing every problem, if there are any.</summary>
    public static void ThrowIfInvalid(IServiceProvider services)
    {
        var problems = Problems(services);
        if (problems.Count > 0)
        {
            throw new ConfigurationException(problems);
        }
    }

    // The binder's own failure ("Failed to convert configuration value 'x' at 'Database:Provider' …")
    // names the key; this adds what the valid values are.
    private static T Bind<T>(IConfiguration configuration, string section) where T : new()
    {
        try
        {
            return configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException e)
        {
            var hint = e.Message.Contains("'Database:Provider'", StringComparison.OrdinalIgnoreCase)
                ? " Database:Provider must be 'Sqlite' (the default) or 'Postgres'."
                : "";
            throw new ConfigurationException([e.Message + hint]);
        }
    }
}

internal sealed class DatabaseOptionsValidator : IValidateOptions<DatabaseOptions>
{
    public static string UnknownProvider(string value) =>
        $"Database:Provider '{value}' is not supported: use 'Sqlite' (the default: one embedded file, no setup) or 'Postgres' " +
        "(for many replicas; also set Database:ConnectionString), e.g. Database__Provider=Postgres.";

    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        if (!Enum.IsDefined(options.Provider))
        {
            return ValidateOptionsResult.Fail(UnknownProvider(options.Provider.ToString()));
        }
        if (options.Provider == DatabaseProvider.Postgres && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail(
                "Database:ConnectionString is required when Database:Provider is 'Postgres', e.g. " +
                "Database__ConnectionString='Host=127.0.0.1;Username=tributary;Password=…;Database=tributary'.");
        }
        return ValidateOptionsResult.Success;
    }
}

// Reads the provider from the resolved settings, not IOptions<DatabaseOptions>: that would run the
// database validator again inside this one and report its failure twice.
internal sealed class TributaryOptionsValidator(EffectiveSettings settings) : IValidateOptions<TributaryOptions>
{
    public ValidateOptionsResult Validate(string? name, TributaryOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.MasterKey))
        {
            byte[]? bytes = null;
            try
            {
                bytes = Convert.FromBase64String(options.MasterKey);
            }
            catch (FormatException)
            {
            }
            if (bytes?.Length != 32)
            {
                return ValidateOptionsResult.Fail(
                    "Tributary:MasterKey must be base64 of exactly 32 bytes; create one with: openssl rand -base64 32");
            }
        }
        else if (settings.Provider == DatabaseProvider.Postgres)
        {
            return ValidateOptionsResult.Fail(
                "Tributary:MasterKey is required on PostgreSQL so every replica shares it; create one with: openssl rand -base64 32, " +
                "then set Tributary__MasterKey on every replica.");
        }
        return ValidateOptionsResult.Success;
    }
}
