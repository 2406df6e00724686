using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Errors;

public sealed class RequestBodyLimitTests
{
    private const string GenerateKey = "/api/filestorage/v1/generate-key";
    private const int Limit = 4096;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Settings => new() { ["Tributary:MaxRequestBodyBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task GenerateKey_Returns413JsonDetail_WhenContentLengthOverLimit(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind, Settings);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);

        var response = await client.PostAsync(GenerateKey, Json(Body(Limit + 1)), Ct);

        var detail = await response.AssertDetailAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains(Limit.ToString(System.Globalization.CultureInfo.InvariantCulture), detail, StringComparison.Ordinal);
        // At the limit the body is read (its unknown padding key is ignored).
        var atLimit = await client.PostAsync(GenerateKey, Json(Body(Limit)), Ct);
        Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task GenerateKey_Returns413JsonDetail_WhenChunkedBodyOverLimitOnKestrel(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind, Settings, kestrel: true);
        var org = await app.CreateOrganizationAsync();
        using var client = new HttpClient { BaseAddress = app.ClientOptions.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", org.ProductionKey);

        foreach (var size in new[] { Limit + 1, Limit * 4, 256 * 1024 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, GenerateKey) { Content = Chunked(Body(size)) };
            request.Headers.TransferEncodingChunked = true;
            var response = await client.SendAsync(request, Ct);

            var detail = await response.AssertDetailAsync(HttpStatusCode.RequestEntityTooLarge);
            Assert.Contains("too large", detail, StringComparison.Ordinal);
        }

        // A chunked body within the limit is read normally.
        using var small = new HttpRequestMessage(HttpMethod.Post, GenerateKey) { Content = Chunked("{\"name\": \"chunked\"}") };
        small.Headers.TransferEncodingChunked = true;
        var ok = await client.SendAsync(small, Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task GenerateKey_Returns413JsonDetail_WhenContentLengthOverLimitOnKestrel(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind, Settings, kestrel: true);
        var org = await app.CreateOrganizationAsync();
        using var client = new HttpClient { BaseAddress = app.ClientOptions.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", org.ProductionKey);

        var response = await client.PostAsync(GenerateKey, Json(Body(Limit * 2)), Ct);

        await response.AssertDetailAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    /// <summary>A syntactically valid JSON object of exactly <paramref name="size"/> bytes.</summary>
    private static string Body(int size)
    {
        const string head = "{\"name\": \"big\", \"padding\": \"";
        const string tail = "\"}";
        return head + new string('x', size - head.Length - tail.Length) + tail;
    }

    private static ByteArrayContent Json(string text)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>Sends <paramref name="text"/> without a Content-Length, so it goes chunked.</summary>
    private static StreamContent Chunked(string text)
    {
        var content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(text)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
