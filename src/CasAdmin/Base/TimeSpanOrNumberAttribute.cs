using System.Globalization;
using System.Management.Automation;

namespace CasAdmin.Base;

/// <summary>
/// Lets a TimeSpan parameter take a bare number in the parameter's own unit as well; a TimeSpan, <c>(New-TimeSpan …)</c>
/// or <c>'1.00:00:00'</c> passes through to PowerShell's own conversion (which would otherwise read a bare number as ticks).
/// </summary>
public abstract class TimeSpanOrNumberAttribute(Func<double, TimeSpan> unit) : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            int or long or short or byte or sbyte or uint or ushort or ulong or double or float or decimal => unit(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => unit(number),
            _ => inputData,
        };
    }
}

/// <summary><c>-SecretLifetime 180</c> or <c>'90'</c> means days.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class TimeSpanOrDaysAttribute() : TimeSpanOrNumberAttribute(TimeSpan.FromDays);

/// <summary><c>-ReplicationTimeout 15</c> or <c>'15'</c> means minutes.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class TimeSpanOrMinutesAttribute() : TimeSpanOrNumberAttribute(TimeSpan.FromMinutes);
