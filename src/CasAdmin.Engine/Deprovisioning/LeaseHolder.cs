using System.Globalization;
using System.Text.RegularExpressions;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>
/// Who holds a removal job's lease: <c>"{host}/pid {process id}/{runner id}/{engine}"</c>. The runner id (32 hex
/// digits) is made once per process and is what identifies a runner: host names repeat on cloned workers and are
/// cut to 15 characters on Windows, so they are kept only for people to read. The engine part tells two engines of
/// one process (two runspaces) apart.
/// </summary>
internal static partial class LeaseHolder
{
    /// <summary>This process's runner id.</summary>
    public static string RunnerId { get; } = Guid.NewGuid().ToString("N");

    // Held open (locked) for the life of the process: the operating system lets go of it only when the process ends,
    // however it ends, which is how another process on this machine can tell that this runner is gone.
    private static FileStream? aliveMarker;
    private static readonly object Gate = new();

    public static string NewOwner()
    {
        MarkAlive();
        return $"{Environment.MachineName}/pid {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}/{RunnerId}/{Guid.NewGuid().ToString("N")[..8]}";
    }

    /// <summary>The folder of the runners' markers on this machine.</summary>
    internal static string MarkerFolder => Path.Combine(Path.GetTempPath(), "casadmin-runners");

    private static void MarkAlive()
    {
        lock (Gate)
        {
            if (aliveMarker is not null)
            {
                return;
            }

            try
            {
                Directory.CreateDirectory(MarkerFolder);
                aliveMarker = new FileStream(Path.Combine(MarkerFolder, RunnerId + ".lock"), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // No marker: a rerun on this machine waits for the lease to expire instead of taking over at once.
            }
        }
    }

    /// <summary>
    /// True only when <paramref name="owner"/> is a runner on this machine whose process is certainly gone (killed,
    /// crashed): it will never renew or release its lease, so a rerun need not wait for the lease to expire. The test
    /// is the runner's marker file: present here and no longer locked. A runner of another machine (even one with the
    /// same host name) has no marker here, and anything uncertain counts as alive: the lease then holds until it expires.
    /// </summary>
    public static bool IsDeadOnThisMachine(string owner)
    {
        var m = OwnerFormat().Match(owner);
        if (!m.Success || m.Groups["runner"].Value == RunnerId)
        {
            return false;
        }

        var marker = Path.Combine(MarkerFolder, m.Groups["runner"].Value + ".lock");
        if (!File.Exists(marker))
        {
            return false;
        }

        try
        {
            // Opening it exclusively succeeds only when no process holds it any more.
            using var probe = new FileStream(marker, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [GeneratedRegex("^[^/]+/pid [0-9]{1,10}/(?<runner>[0-9a-f]{32})/[0-9a-f]{8}$", RegexOptions.CultureInvariant)]
    private static partial Regex OwnerFormat();
}
