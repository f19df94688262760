using System.Globalization;
using System.Management.Automation;

namespace CasAdmin.Base;

/// <summary>
/// Lets a TimeSpan parameter take a number of minutes as well: <c>-ReplicationTimeout 15</c> or <c>'15'</c> means
/// minutes; a TimeSpan, <c>(New-TimeSpan -Seconds 90)</c> or <c>'00:01:30'</c> passes through to PowerShell's own
/// conversion (which would otherwise read a bare number as ticks).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class TimeSpanOrMinutesAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            int or long or short or byte or sbyte or uint or ushort or ulong or double or float or decimal => TimeSpan.FromMinutes(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var minutes) => TimeSpan.FromMinutes(minutes),
            _ => inputData,
        };
    }
}
