using Microsoft.Extensions.Configuration;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.Linking.OAuth;
using Tributary.Server.Linking.Ui;
using Tributary.Server.OAuthApps;

namespace Tributary.Server.Tests.Linking;

public sealed class LinkUiUnitTests
{
    [Fact]
    public void LinkText_EveryKeyExistsInEnglishAndGerman()
    {
        var english = LinkText.All["en"];
        var german = LinkText.All["de"];
        Assert.Empty(english.Keys.Except(german.Keys));
        Assert.Empty(german.Keys.Except(english.Keys));
        Assert.All(english.Keys.Where(k => !k.EndsWith(".hint", StringComparison.Ordinal)), k => Assert.False(string.IsNullOrWhiteSpace(german[k]), k));
    }

    [Fact]
    public void Catalog_EveryIntegrationHasALogoAndAnAuthMode_OAuthOnesHaveEndpointsAndScopes()
    {
        var assets = new LinkAssets();
        foreach (var integration in IntegrationCatalog.LoadEmbedded().All)
        {
            Assert.True(assets.Has($"logos/{integration.Slug}.svg"), integration.Slug);
            if (integration.Auth.Mode == AuthMode.OAuth2)
            {
                Assert.StartsWith("https://", integration.Auth.AuthorizationUrl, StringComparison.Ordinal);
                Assert.StartsWith("https://", integration.Auth.TokenUrl, StringComparison.Ordinal);
                Assert.NotEmpty(integration.Auth.Scopes);
            }
        }
        var catalog = IntegrationCatalog.LoadEmbedded();
        Assert.Equal(AuthMode.Credentials, catalog.Find("webdav")!.Auth.Mode);
        Assert.Equal(["url", "username", "password"], catalog.Find("webdav")!.Auth.Fields.Select(f => f.Name));
        Assert.Equal(AuthMode.None, catalog.Find("sandbox")!.Auth.Mode);
        Assert.Equal("offline", catalog.Find("google-drive")!.Auth.AuthorizationParams["access_type"]);
        Assert.True(catalog.Find("dropbox")!.Auth.Pkce);
        Assert.False(catalog.Find("box")!.Auth.Pkce);
    }

    [Fact]
    public void Catalog_ConfigurationOverridesAuthEndpointsScopesAndParameters()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Integrations:onedrive:AuthorizationUrl"] = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
            ["Integrations:onedrive:Scopes"] = "offline_access Files.Read",
            ["Integrations:onedrive:AuthorizationParams:prompt"] = "select_account",
            ["Integrations:box:Pkce"] = "true",
        }).Build();
        var catalog = IntegrationAuthConfiguration.Apply(IntegrationCatalog.LoadEmbedded(), configuration);
        var onedrive = catalog.Find("onedrive")!.Auth;
        Assert.Equal("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize", onedrive.AuthorizationUrl);
        Assert.Equal("https://login.microsoftonline.com/common/oauth2/v2.0/token", onedrive.TokenUrl);
        Assert.Equal(["offline_access", "Files.Read"], onedrive.Scopes);
        Assert.Equal("select_account", onedrive.AuthorizationParams["prompt"]);
        Assert.True(catalog.Find("box")!.Auth.Pkce);

        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Integrations:box:TokenUrl"] = "ftp://x" }).Build();
        Assert.Throws<InvalidOperationException>(() => IntegrationAuthConfiguration.Apply(IntegrationCatalog.LoadEmbedded(), bad));
    }

    [Fact]
    public void OAuthScopes_AddWriteScopesOnlyWhenTheTokenEnablesWrites_OrganizationAppScopesWin()
    {
        var auth = IntegrationCatalog.LoadEmbedded().Find("dropbox")!.Auth;
        var client = new OAuthClient("id", "secret", null, "test");
        var readOnly = Session(null);
        var writes = Session("""{"filestorage":[{"model_name":"File","model_permissions":{"WRITE":{"is_enabled":true}}}]}""");

        Assert.DoesNotContain("files.content.write", OAuthFlow.Scopes(readOnly, auth, client));
        Assert.Contains("files.content.write", OAuthFlow.Scopes(writes, auth, client));
        Assert.Equal(["files.metadata.read"], OAuthFlow.Scopes(writes, auth, client with { Scopes = "files.metadata.read" }));
    }

    [Theory]
    [InlineData("https://app.example.com", "https://app.example.com")]
    [InlineData("http://localhost:3000", "http://localhost:3000")]
    [InlineData("https://App.Example.com/", "https://app.example.com")]
    [InlineData("https://app.example.com/path", null)]
    [InlineData("https://app.example.com?x=1", null)]
    [InlineData("https://u:p@app.example.com", null)]
    [InlineData("javascript:alert(1)", null)]
    [InlineData("null", null)]
    [InlineData("", null)]
    public void EmbeddingOrigin_OnlyABareHttpOriginIsAccepted(string value, string? expected) =>
        Assert.Equal(expected, LinkPageContext.ParseOrigin(value));

    private static LinkSession Session(string? scopes) => new()
    {
        LinkTokenHash = [], EndUserEmailAddress = "", EndUserOrganizationName = "", EndUserOriginId = "", Categories = "filestorage",
        Language = "en", ScopesJson = scopes,
    };
}
