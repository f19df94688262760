using System.Diagnostics;
using System.Globalization;
using System.Text;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Engine.Tests.Deprovisioning;

/// <summary>
/// Crash at every step boundary for real: the removal runs in a child process (tests/CasAdmin.CrashHost) that is killed
/// right after step k is journaled, so nothing of it winds down (no finally, no lease release). A rerun in this process
/// must take over the dead process's lease at once and end exactly like an uninterrupted run, creating nothing twice.
/// </summary>
public sealed class ProcessKillTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    // Generous: only a child that never gets there fails the test; a slow machine merely waits longer.
    private static readonly TimeSpan MarkerTimeout = TimeSpan.FromMinutes(3);

    private static readonly RemovalOptions Options = new() { RemoveDelegateAccount = true };

    [Theory]
    [InlineData(CasService.SharePointOnline)] // a delegate account: the user goes too
    [InlineData(CasService.ExchangeOnlineInline)] // inline groups and a directory role
    public async Task KillAtEveryStepBoundary_RerunTakesOverAtOnce_AndEndsExactlyLikeAnUninterruptedRun(CasService service)
    {
        await sandbox.Host.Control.ResetAsync();
        var reference = await RemoveAsync(service, killAfter: null);

        for (var k = 0; k < reference.Steps.Count; k++)
        {
            await sandbox.Host.Control.ResetAsync();
            var resumed = await RemoveAsync(service, killAfter: k);

            Assert.Equal(reference.Status, resumed.Status);
            Assert.Equal(reference.Steps.Select(s => (s.Name, s.Status)), resumed.Steps.Select(s => (s.Name, s.Status)));
            Assert.Equal(reference.RemainingChanges.Select(i => (i.Kind, i.Name)).Order(), resumed.RemainingChanges.Select(i => (i.Kind, i.Name)).Order());
        }
    }

    /// <summary>Registers the seeded account in a fresh registry and removes it, first in a child killed after step <paramref name="killAfter"/> when given.</summary>
    private async Task<CasRemovalJob> RemoveAsync(CasService service, int? killAfter)
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var seeded = Footprint.Seeded(sandbox.Contoso, service);
        var account = await h.Engine.Accounts.RegisterAsync(admin, new RegisterAccountRequest
        {
            Service = service, Kind = seeded.DelegateUser is null ? ServiceAccountKind.AuthorizedAccount : ServiceAccountKind.DelegateAccount,
            AppId = seeded.AppId, DelegateAccount = seeded.DelegateUser,
        }, h.Observer, CancellationToken.None);

        string? deadOwner = null;
        if (killAfter is int k)
        {
            var pid = await RunInChildAndKillAfterStepAsync(h, account.AccountId, k);
            var interrupted = Assert.Single(await h.Engine.Deprovisioning.GetJobsAsync(h.StorePath, null, account.AccountId, null, null, CancellationToken.None));
            Assert.Equal(k + 1, interrupted.Steps.Count(s => s.Status is RemovalStepStatus.Succeeded or RemovalStepStatus.Skipped));
            if (k + 1 < interrupted.Steps.Count)
            {
                Assert.Equal(RemovalJobStatus.Running, interrupted.Status);
                Assert.StartsWith($"{Environment.MachineName}/pid {pid.ToString(CultureInfo.InvariantCulture)}/", interrupted.LeaseOwner, StringComparison.Ordinal);
                deadOwner = interrupted.LeaseOwner;
            }
            else
            {
                // The last step's journal entry also recorded the job's success: the kill left nothing to resume.
                Assert.Equal(RemovalJobStatus.Succeeded, interrupted.Status);
                Assert.Null(interrupted.LeaseOwner);
            }
        }

        var result = Assert.Single(await Footprint.RemoveAsync(h, [account], admin, Options));
        if (killAfter is not null && deadOwner is null)
        {
            Assert.Equal(ErrorIds.AlreadyRemoved, result.Error?.ErrorId);
            result = result with { Job = Assert.Single(await h.Engine.Deprovisioning.GetJobsAsync(h.StorePath, null, account.AccountId, null, null, CancellationToken.None)) };
        }
        else
        {
            // Without the takeover the dead child's two-minute lease would refuse this rerun with RemovalInProgress.
            Assert.Null(result.Error);
        }

        if (deadOwner is not null)
        {
            Assert.Contains($"from {deadOwner}, which is no longer running", h.Observer.AllText(), StringComparison.Ordinal);
        }

        Assert.False(await Footprint.PrincipalExistsAsync(admin, seeded.AppId));
        if (seeded.DelegateUser is { } user)
        {
            Assert.False(await Footprint.UserExistsAsync(admin, user));
        }

        if (service == CasService.ExchangeOnlineInline)
        {
            Assert.Equal(0, await Footprint.GroupsAsync(admin));
        }

        Assert.Equal(ServiceAccountStatus.Removed, (await h.Engine.Accounts.GetAsync(h.StorePath, account.AccountId, CancellationToken.None)).Status);
        // Exactly once: the rerun resumed after the killed step; no step ran twice (a delete of an object already gone, or the same write again).
        var stats = await sandbox.Host.Control.GetStatsAsync();
        Assert.True(stats.Totals.RepeatedDeletes == 0 && stats.Totals.RepeatedWrites == 0 && stats.Totals.DuplicateCreates == 0,
            string.Join("; ", stats.Repeated.Select(r => $"{r.Method} {r.Path} x{r.Repeats}")));
        return result.Job!;
    }

    /// <summary>Runs the removal in the crash host, waits for its "STEP k DONE" line, kills it, and returns its process id.</summary>
    private async Task<int> RunInChildAndKillAfterStepAsync(EngineHarness h, Guid accountId, int k)
    {
        var tenant = sandbox.Contoso;

        // A lease far longer than any run (the default is two minutes): only the takeover lets the rerun in, however slow the machine.
        var start = CrashHost.StartInfo(
            "--sandbox-url", sandbox.Host.Url.AbsoluteUri, "--thumbprint", sandbox.Host.Thumbprint, "--tenant", tenant.TenantId, "--app-id", tenant.AdminAppId,
            "--store", h.StorePath, "--account", accountId.ToString(), "--stop-after", k.ToString(CultureInfo.InvariantCulture), "--lease-minutes", "60",
            "--remove-delegate-account");
        start.Environment[CrashHost.SecretVariable] = tenant.AdminAppSecret;

        using var child = Process.Start(start)!;
        var errors = new StringBuilder();
        child.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        child.BeginErrorReadLine();
        var output = new List<string>();
        string Said()
        {
            lock (errors)
            {
                return string.Join('\n', output) + "\n" + errors;
            }
        }

        try
        {
            // Our end of the child's stdin stays open until it is killed: at the marker it waits on it.
            while (await child.StandardOutput.ReadLineAsync().WaitAsync(MarkerTimeout) is { } line)
            {
                output.Add(line);
                if (line.StartsWith($"STEP {k.ToString(CultureInfo.InvariantCulture)} DONE", StringComparison.Ordinal))
                {
                    return child.Id;
                }
            }

            await child.WaitForExitAsync();
            Assert.Fail($"The crash host exited ({child.ExitCode}) before step {k}:\n{Said()}");
            return -1;
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The crash host did not get to step {k} within {MarkerTimeout}:\n{Said()}");
            return -1;
        }
        finally
        {
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
        }
    }
}
