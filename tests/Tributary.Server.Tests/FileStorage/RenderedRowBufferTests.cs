using System.Text;
using Tributary.Server.FileStorage;

namespace Tributary.Server.Tests.FileStorage;

/// <summary>The page buffer lays rows out as the response body; the body must be exactly the envelope around them.</summary>
public sealed class RenderedRowBufferTests
{
    private static readonly byte[] Head = Encoding.UTF8.GetBytes("""{"next":"abc","previous":null,"results":[""");

    [Fact]
    public void ForwardRenderedRows_AreTheWholeBody_InPlace()
    {
        using var rows = new RenderedRowBuffer(3);
        rows.Add("""{"id":1}"""u8);
        rows.Add("""{"id":2}"""u8);
        rows.Add(new string('x', 200_000).Select(c => (byte)c).ToArray()); // past the first rented array

        Assert.True(rows.TryGetBody(Head, out var body));
        var expected = Encoding.UTF8.GetString(Head) + """{"id":1},{"id":2},""" + new string('x', 200_000) + "]}";
        Assert.Equal(expected, Encoding.UTF8.GetString(body.Span));
        Assert.Equal("""{"id":2}""", Encoding.UTF8.GetString(rows.Json(1)));
        Assert.Equal(8 + 8 + 200_000, rows.RenderedBytes);
    }

    [Fact]
    public void AnEmptyPage_IsTheEnvelopeAlone()
    {
        using var rows = new RenderedRowBuffer(10);
        Assert.True(rows.TryGetBody(Head, out var body));
        Assert.Equal(Encoding.UTF8.GetString(Head) + "]}", Encoding.UTF8.GetString(body.Span));
    }

    [Fact]
    public void FlippedPagesAndRowsWithoutRendering_AreWrittenRowByRow()
    {
        using var flipped = new RenderedRowBuffer(2);
        flipped.Add("""{"id":1}"""u8);
        flipped.Add("""{"id":2}"""u8);
        flipped.Reverse();
        Assert.False(flipped.TryGetBody(Head, out _));
        Assert.Equal("""{"id":2}""", Encoding.UTF8.GetString(flipped.Json(0)));

        using var unrendered = new RenderedRowBuffer(2);
        unrendered.Add("""{"id":1}"""u8);
        unrendered.AddUnrendered(Guid.NewGuid());
        Assert.False(unrendered.TryGetBody(Head, out _));

        using var longHead = new RenderedRowBuffer(1);
        Assert.False(longHead.TryGetBody(new byte[600], out _));
    }
}
