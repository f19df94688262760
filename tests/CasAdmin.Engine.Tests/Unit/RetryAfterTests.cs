using System.Net.Http.Headers;
using CasAdmin.Engine.Resilience;

namespace CasAdmin.Engine.Tests.Unit;

public sealed class RetryAfterTests
{
    private static HttpResponseHeaders Headers(Action<HttpResponseHeaders> set)
    {
        var response = new HttpResponseMessage();
        set(response.Headers);
        return response.Headers;
    }

    [Fact]
    public void Read_DeltaSeconds()
    {
        var wait = RetryAfter.Read(Headers(h => h.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7))), DateTimeOffset.UtcNow);

        Assert.Equal(TimeSpan.FromSeconds(7), wait);
    }

    [Fact]
    public void Read_Date_IsMeasuredAgainstTheResponseDateNotTheLocalClock()
    {
        var serverNow = new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
        var headers = Headers(h =>
        {
            h.Date = serverNow;
            h.RetryAfter = new RetryConditionHeaderValue(serverNow.AddSeconds(3));
        });

        var skewedLocalClock = serverNow.AddMinutes(-10);

        Assert.Equal(TimeSpan.FromSeconds(3), RetryAfter.Read(headers, skewedLocalClock));
    }

    [Fact]
    public void Read_Absent_IsNull() => Assert.Null(RetryAfter.Read(Headers(_ => { }), DateTimeOffset.UtcNow));
}
