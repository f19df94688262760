using System.Collections;
using System.Management.Automation.Language;

namespace CasAdmin.Module.Tests.Infrastructure;

/// <summary>
/// Reads a module manifest with PowerShell's own parser, the way Import-PowerShellDataFile does: the first
/// hashtable of the file, evaluated as safe constant data.
/// </summary>
internal static class Psd1
{
    /// <summary>The manifest's top-level hashtable (case-insensitive keys, as in PowerShell).</summary>
    public static Hashtable Parse(string manifestText)
    {
        var ast = Parser.ParseInput(manifestText, out _, out var errors);
        if (errors.Length > 0)
        {
            throw new InvalidDataException($"The manifest does not parse: line {errors[0].Extent.StartLineNumber}: {errors[0].Message}");
        }

        var table = ast.Find(a => a is HashtableAst, searchNestedScriptBlocks: false) as HashtableAst
            ?? throw new InvalidDataException("The manifest holds no hashtable.");
        return (Hashtable)table.SafeGetValue();
    }

    /// <summary>The strings assigned to <paramref name="key"/> (one for a scalar, none for <c>@()</c>); null when the key is absent.</summary>
    public static IReadOnlyList<string>? Strings(string manifestText, string key)
    {
        var data = Parse(manifestText);
        if (!data.ContainsKey(key))
        {
            return null;
        }

        return data[key] switch
        {
            null => [],
            object[] values => values.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty).ToArray(),
            var value => [Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty],
        };
    }
}
