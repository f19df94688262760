using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>Who holds a removal job's lease: <c>"{machine}/pid {process id}/{8 hex}"</c>, one per engine instance.</summary>
internal static partial class LeaseHolder
{
    public static string NewOwner() =>
        $"{Environment.MachineName}/pid {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}/{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// True only when <paramref name="owner"/> is an engine on this machine whose process is certainly gone (killed,
    /// crashed): it will never renew or release its lease, so a rerun need not wait for the lease to expire. Anything
    /// less certain (another machine, another format, a running process even if its pid was reused, no right to look)
    /// counts as alive, and the lease holds until it expires.
    /// </summary>
    public static bool IsDeadOnThisMachine(string owner)
    {
        var m = OwnerFormat().Match(owner);
        if (!m.Success || !string.Equals(m.Groups["machine"].Value, Environment.MachineName, StringComparison.Ordinal)
            || !int.TryParse(m.Groups["pid"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true; // No process has that id.
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            return false;
        }
    }

    [GeneratedRegex("^(?<machine>[^/]+)/pid (?<pid>[0-9]{1,10})/[0-9a-f]{8}$", RegexOptions.CultureInvariant)]
    private static partial Regex OwnerFormat();
}
