using System.Globalization;
using System.Management.Automation;

namespace CasAdmin.Base;

/// <summary>
/// Lets a TimeSpan parameter take a number of days as well: <c>-SecretLifetime 180</c> or <c>'90'</c> means days;
/// a TimeSpan, <c>(New-TimeSpan -Days 30)</c> or <c>'30.00:00:00'</c> passes through to PowerShell's own conversion.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class TimeSpanOrDaysAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            int or long or short or byte or sbyte or uint or ushort or ulong => TimeSpan.FromDays(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            double or float or decimal => TimeSpan.FromDays(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var days) => TimeSpan.FromDays(days),
            _ => inputData,
        };
    }
}
