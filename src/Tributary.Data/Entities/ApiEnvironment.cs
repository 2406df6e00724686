namespace Tributary.Data.Entities;

/// <summary>
/// Merge's split between production and test: a test key only ever reaches test linked accounts.
/// </summary>
public enum ApiEnvironment
{
    Production = 0,
    Test = 1,
}
