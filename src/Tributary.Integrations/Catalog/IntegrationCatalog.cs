using System.Text.Json;

namespace Tributary.Integrations.Catalog;

/// <summary>What Tributary knows about an integration without calling it: names, categories, colours.</summary>
/// <remarks><c>IsTestData</c>: accounts of this integration are always TEST accounts (the built-in Sandbox).</remarks>
public sealed record IntegrationDefinition(string Slug, string Name, string AbbreviatedName, IReadOnlyList<string> Categories, string Color, bool IsTestData = false);

/// <summary>The integrations Tributary offers, read from the embedded <c>integrations.json</c>.</summary>
public sealed class IntegrationCatalog
{
    private static readonly JsonSerializerOptions FileOptions = new(JsonSerializerDefaults.Web);
    private readonly Dictionary<string, IntegrationDefinition> _bySlug;

    public IntegrationCatalog(IEnumerable<IntegrationDefinition> integrations) =>
        _bySlug = integrations.ToDictionary(i => i.Slug, StringComparer.Ordinal);

    public IReadOnlyCollection<IntegrationDefinition> All => _bySlug.Values;

    public IntegrationDefinition? Find(string slug) => _bySlug.GetValueOrDefault(slug);

    public static IntegrationCatalog LoadEmbedded()
    {
        using var stream = typeof(IntegrationCatalog).Assembly.GetManifestResourceStream("integrations.json")
            ?? throw new InvalidOperationException("The embedded integrations.json is missing from Tributary.Integrations.");
        var file = JsonSerializer.Deserialize<CatalogFile>(stream, FileOptions)
            ?? throw new InvalidOperationException("integrations.json is empty.");
        return new IntegrationCatalog(file.Integrations);
    }

    private sealed record CatalogFile(IReadOnlyList<IntegrationDefinition> Integrations);
}
