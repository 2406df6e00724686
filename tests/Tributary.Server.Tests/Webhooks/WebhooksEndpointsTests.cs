using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Server.Events;
using Tributary.Server.Tests.Infrastructure;
using Tributary.Server.Webhooks;

namespace Tributary.Server.Tests.Webhooks;

public sealed class WebhooksEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task RotatingTheKey_SignsWithTheNewKey_AndTheOldOneInThePreviousHeader(DatabaseKind kind)
    {
        await using var receiver = await WebhookReceiverServer.StartAsync();
        await using var app = await TributaryApplication.StartAsync(kind, WebhookDeliveryTests.FastRetries());
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "LinkedAccount.deleted" } }, Ct)).StatusCode);
        var oldKey = (await api.GetFromJsonAsync<JsonElement>("/api/v1/webhooks/signing-key", Ct)).GetProperty("key").GetString()!;
        Assert.Equal(oldKey, (await api.GetFromJsonAsync<JsonElement>("/api/v1/webhooks/signing-key", Ct)).GetProperty("key").GetString());

        var rotated = await (await api.PostAsync("/api/v1/webhooks/signing-key/rotate", null, Ct)).JsonAsync();
        var newKey = rotated.GetProperty("key").GetString()!;
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(JsonValueKind.String, rotated.GetProperty("previous_key_signs_until").ValueKind);
        Assert.Equal(newKey, (await api.GetFromJsonAsync<JsonElement>("/api/v1/webhooks/signing-key", Ct)).GetProperty("key").GetString());

        // Keys are sealed by the vault: neither appears in the database in the clear.
        var stored = await app.WithDbAsync((db, _) => db.WebhookSigningKeys.IgnoreQueryFilters().Select(k => k.Secret).ToListAsync(Ct));
        Assert.Equal(2, stored.Count);
        Assert.All(stored, s => Assert.DoesNotContain(newKey, Encoding.UTF8.GetString(s), StringComparison.Ordinal));
        Assert.All(stored, s => Assert.DoesNotContain(oldKey, Encoding.UTF8.GetString(s), StringComparison.Ordinal));
        var audit = await api.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/audit-trail?event_type=REGENERATED_WEBHOOK_SIGNATURE", Ct);
        Assert.Equal(1, audit.GetProperty("results").GetArrayLength());

        var account = await app.CreateLinkedAccountAsync(org.Id);
        await EmitDeletedAsync(app, account.Id);
        await receiver.WaitForAsync(r => r.Accepted.Any(), TimeSpan.FromSeconds(90), () => "no delivery");
        var hook = receiver.Accepted.First();
        Assert.True(WebhookReceiverServer.VerifiesWithMergeAlgorithm(newKey, hook.Body, hook.Signature));
        Assert.False(WebhookReceiverServer.VerifiesWithMergeAlgorithm(oldKey, hook.Body, hook.Signature));
        Assert.True(WebhookReceiverServer.VerifiesWithMergeAlgorithm(oldKey, hook.Body, hook.PreviousSignature));

        // Rotating the vault's data keys re-seals webhook keys too; the signature key itself is unchanged.
        var rotation = await app.WithDbAsync((db, sp) => sp.GetRequiredService<global::Tributary.Server.Vault.CredentialVault>().RotateAsync(db, Ct));
        Assert.True(rotation.WebhookSecretsResealed >= 2);
        Assert.Equal(newKey, (await api.GetFromJsonAsync<JsonElement>("/api/v1/webhooks/signing-key", Ct)).GetProperty("key").GetString());
    }

    [Fact]
    public async Task Endpoints_RejectPrivateTargetsUnknownEventsAndTestKeys_WithFieldErrors()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        using var test = app.CreateApiClient(org.TestKey);

        Assert.Contains("private", await (await api.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://127.0.0.1/hook", events = new[] { "*" } }, Ct))
            .AssertFieldErrorAsync("url"), StringComparison.Ordinal);
        Assert.Contains("private", await (await api.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://10.1.2.3/hook", events = new[] { "*" } }, Ct))
            .AssertFieldErrorAsync("url"), StringComparison.Ordinal);
        Assert.Contains("https", await (await api.PostAsJsonAsync("/api/v1/webhooks", new { url = "http://hooks.example.com/x", events = new[] { "*" } }, Ct))
            .AssertFieldErrorAsync("url"), StringComparison.Ordinal);
        Assert.Contains("FileStorageFile.added", await (await api.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/x", events = new[] { "File.added" } }, Ct))
            .AssertFieldErrorAsync("events"), StringComparison.Ordinal);
        await (await api.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/x" }, Ct)).AssertFieldErrorAsync("events");
        await (await test.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/x", events = new[] { "*" } }, Ct)).AssertDetailAsync(HttpStatusCode.Forbidden);
        await (await test.GetAsync("/api/v1/webhooks/signing-key", Ct)).AssertDetailAsync(HttpStatusCode.Forbidden);

        var created = await (await api.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/x", events = new[] { "LinkedAccount.linked", "FileStorageFile.added" } }, Ct)).JsonAsync();
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal(["LinkedAccount.linked", "FileStorageFile.added"], created.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        var patched = await (await api.PatchAsJsonAsync($"/api/v1/webhooks/{id}", new { is_active = false }, Ct)).JsonAsync();
        Assert.False(patched.GetProperty("is_active").GetBoolean());
        Assert.Equal(1, (await test.GetFromJsonAsync<JsonElement>("/api/v1/webhooks", Ct)).GetArrayLength());
        using var other = app.CreateApiClient((await app.CreateOrganizationAsync("Other")).ProductionKey);
        await (await other.GetAsync($"/api/v1/webhooks/{id}", Ct)).AssertDetailAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await api.DeleteAsync($"/api/v1/webhooks/{id}", Ct)).StatusCode);
        await (await api.GetAsync($"/api/v1/webhooks/{id}", Ct)).AssertDetailAsync(HttpStatusCode.NotFound);
        await (await api.GetAsync("/api/v1/webhooks/deliveries?cursor=forged", Ct)).AssertFieldErrorAsync("cursor");
        await (await api.GetAsync("/api/v1/webhooks/deliveries?status=LOST", Ct)).AssertFieldErrorAsync("status");
    }

    [Fact]
    public void Signature_MatchesPythonUrlsafeB64encodeOfHmacSha256()
    {
        // base64.urlsafe_b64encode(hmac.new(b"key", b"The quick brown fox jumps over the lazy dog", sha256).digest())
        var body = Encoding.UTF8.GetBytes("The quick brown fox jumps over the lazy dog");
        Assert.Equal("97yD9DBThCSxMpjmqm-xQ-9NWaFJRhdZl0edvC0aPNg=", WebhookSignature.Compute("key", body, padded: true));
        Assert.Equal("97yD9DBThCSxMpjmqm-xQ-9NWaFJRhdZl0edvC0aPNg", WebhookSignature.Compute("key", body, padded: false));
        Assert.True(WebhookSignature.Verify("key", body, "97yD9DBThCSxMpjmqm-xQ-9NWaFJRhdZl0edvC0aPNg"));
        Assert.False(WebhookSignature.Verify("other", body, "97yD9DBThCSxMpjmqm-xQ-9NWaFJRhdZl0edvC0aPNg="));
    }

    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("2606:4700:4700::1111", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.0.0.5", false)]
    [InlineData("172.20.1.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    public void OnlyPublicAddressesAreTargets(string address, bool isPublic) =>
        Assert.Equal(isPublic, WebhookTargets.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task WebhookReceivers_PerAccount_MergeShapes(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        var otherAccount = await app.CreateLinkedAccountAsync(org.Id, originId: "someone-else");
        using var api = app.CreateApiClient(org.ProductionKey, account.Token);

        var created = await api.PostAsJsonAsync("/api/filestorage/v1/webhook-receivers", new { @event = "files.changed", is_active = true, key = "third-party-secret" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.JsonAsync();
        Assert.Equal("files.changed", body.GetProperty("event").GetString());
        Assert.True(body.GetProperty("is_active").GetBoolean());
        Assert.Equal("third-party-secret", body.GetProperty("key").GetString());
        // Upsert by event; the key is kept when not sent again.
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/hris/v1/webhook-receivers", new { @event = "files.changed", is_active = false }, Ct)).StatusCode);

        var list = await (await api.GetAsync("/api/filestorage/v1/webhook-receivers", Ct)).JsonAsync();
        Assert.Equal(JsonValueKind.Array, list.ValueKind);
        var only = Assert.Single(list.EnumerateArray());
        Assert.False(only.GetProperty("is_active").GetBoolean());
        Assert.Equal("third-party-secret", only.GetProperty("key").GetString());
        var stored = await app.WithDbAsync((db, _) => db.WebhookReceivers.IgnoreQueryFilters().Select(r => r.Key!).SingleAsync(Ct));
        Assert.DoesNotContain("third-party-secret", Encoding.UTF8.GetString(stored), StringComparison.Ordinal);

        using var other = app.CreateApiClient(org.ProductionKey, otherAccount.Token);
        Assert.Equal(0, (await (await other.GetAsync("/api/filestorage/v1/webhook-receivers", Ct)).JsonAsync()).GetArrayLength());
        await (await api.PostAsJsonAsync("/api/filestorage/v1/webhook-receivers", new { @event = "x" }, Ct)).AssertFieldErrorAsync("is_active");
        using var noToken = app.CreateApiClient(org.ProductionKey);
        await (await noToken.GetAsync("/api/filestorage/v1/webhook-receivers", Ct)).AssertDetailAsync(HttpStatusCode.Unauthorized);
    }

    private static Task<int> EmitDeletedAsync(TributaryApplication app, Guid accountId) => app.WithDbAsync(async (db, sp) =>
    {
        var account = await db.LinkedAccounts.IgnoreQueryFilters().SingleAsync(a => a.Id == accountId, Ct);
        await sp.GetRequiredService<IAccountEvents>().DeletedAsync(db, account, Ct);
        return await db.SaveChangesAsync(Ct);
    });
}
