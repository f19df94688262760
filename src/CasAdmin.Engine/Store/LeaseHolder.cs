using System.Globalization;
using System.Text.RegularExpressions;

namespace CasAdmin.Engine.Store;

/// <summary>
/// Who holds a removal job's lease: <c>"{host}/pid {process id}/{runner id}/{attempt}"</c>. The runner id (32 hex
/// digits) is made once per process and is what identifies a runner: host names repeat on cloned workers and are
/// cut to 15 characters on Windows, so they are kept only for people to read. The attempt part is new for every run
/// of a job: every runspace of a pwsh process shares one engine, so an owner per engine would let two runspaces (two
/// ForEach-Object -Parallel blocks) both take one job as their own.
/// </summary>
internal static partial class LeaseHolder
{
    /// <summary>This process's runner id.</summary>
    public static string RunnerId { get; } = Guid.NewGuid().ToString("N");

    // Held open (locked) for the life of the process: the operating system lets go of it only when the process ends,
    // however it ends, which is how another process on this machine can tell that this runner is gone.
    private static FileStream? aliveMarker;
    private static readonly object Gate = new();

    // The owners of this process that are running a job now. One that is not (its run ended, however: Ctrl+C, an
    // error, a lease it could not release) is gone, and a rerun in this same process takes its job over at once.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> Running = new(StringComparer.Ordinal);

    // Runners of other processes found gone: a runner id is never reused, so once gone, for ever.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> Gone = new(StringComparer.Ordinal);

    /// <summary>A new owner for one run of one job; it counts as alive in this process until <see cref="Retire"/>.</summary>
    public static string NewOwner()
    {
        MarkAlive();
        var owner = $"{Environment.MachineName}/pid {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}/{RunnerId}/{Guid.NewGuid().ToString("N")[..8]}";
        Running[owner] = 0;
        return owner;
    }

    /// <summary>The run of <paramref name="owner"/> ended: whatever lease it still holds may be taken over at once here.</summary>
    public static void Retire(string owner) => Running.TryRemove(owner, out _);

    /// <summary>
    /// The folder of the runners' markers on this machine: one per user, private (0700) on Unix, so no other user can
    /// create it first, fill it, or read which runners are alive. On Windows the temporary folder is per user already.
    /// </summary>
    internal static string MarkerFolder { get; } = DefaultMarkerFolder();

    internal static string DefaultMarkerFolder() => OperatingSystem.IsWindows()
        ? Path.Combine(Path.GetTempPath(), "casadmin-runners")
        : Path.Combine(Path.GetTempPath(), "casadmin-runners-" + Environment.UserName);

    /// <summary>
    /// Creates the marker folder private, or accepts an existing one only when it is a real folder (not a link) whose
    /// mode is exactly 0700: then it is this user's, since another user's 0700 folder would refuse the marker anyway.
    /// </summary>
    internal static bool EnsurePrivateFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            return true;
        }

        var info = Directory.Exists(folder) ? new DirectoryInfo(folder) : Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        info.Refresh();
        return info.LinkTarget is null && !info.Attributes.HasFlag(FileAttributes.ReparsePoint)
            && info.UnixFileMode == (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

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
                if (!EnsurePrivateFolder(MarkerFolder))
                {
                    // Someone else's or a shared folder: no marker. A rerun here waits for the lease to expire instead.
                    return;
                }

                aliveMarker = new FileStream(Path.Combine(MarkerFolder, RunnerId + ".lock"), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // No marker: a rerun on this machine waits for the lease to expire instead of taking over at once.
            }
        }
    }

    /// <summary>
    /// True only when <paramref name="owner"/> is a runner on this machine that is certainly not running its job: a run
    /// of this process that has ended, or a process that is gone (killed, crashed). It will never renew or release its
    /// lease, so a rerun need not wait for the lease to expire. For another process the test is the runner's marker
    /// file: present here and no longer locked. A runner of another machine (even one with the same host name) has no
    /// marker here, and anything uncertain counts as alive: the lease then holds until it expires.
    /// </summary>
    public static bool IsDeadOnThisMachine(string owner)
    {
        var m = OwnerFormat().Match(owner);
        if (!m.Success)
        {
            return false;
        }

        if (m.Groups["runner"].Value == RunnerId)
        {
            return !Running.ContainsKey(owner);
        }

        var runner = m.Groups["runner"].Value;
        if (Gone.ContainsKey(runner))
        {
            return true;
        }

        var marker = Path.Combine(MarkerFolder, runner + ".lock");
        if (!File.Exists(marker))
        {
            return false;
        }

        try
        {
            // Opening it exclusively succeeds only when no process holds it any more. The probe deletes it, so the
            // answer is remembered: this process may ask again (for the runner's tenant claim, then for its job's lease).
            using var probe = new FileStream(marker, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            Gone[runner] = 0;
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
