using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Tributary.Data;

namespace Tributary.Server.Hosting;

/// <summary>The configuration in effect after defaults, as <c>config show</c> prints it (secrets masked).</summary>
internal sealed record EffectiveSettings(
    DatabaseProvider Provider, string ConnectionString, string DataDirectory, string? MasterKey, string MasterKeySource);

internal static class ConfigurationCheck
{
    public static EffectiveSettings Resolve(IConfiguration configuration)
    {
        var tributary = configuration.GetSection(TributaryOptions.SectionName).Get<TributaryOptions>() ?? new TributaryOptions();
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

internal sealed class TributaryOptionsValidator(IOptions<DatabaseOptions> database) : IValidateOptions<TributaryOptions>
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
        else if (database.Value.Provider == DatabaseProvider.Postgres)
        {
            return ValidateOptionsResult.Fail(
                "Tributary:MasterKey is required on PostgreSQL so every replica shares it; create one with: openssl rand -base64 32, " +
                "then set Tributary__MasterKey on every replica.");
        }
        return ValidateOptionsResult.Success;
    }
}
