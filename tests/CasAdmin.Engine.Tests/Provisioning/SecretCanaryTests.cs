using System.Text;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Provisioning;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Tests.Provisioning;

/// <summary>A secret value never appears in output, errors, verbose/debug messages, or the registry.</summary>
public sealed class SecretCanaryTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    [Fact]
    public async Task ProvisionRotateAndToken_NoSecretOrTokenLeaksAnywhere()
    {
        using var h = new EngineHarness(sandbox);
        var admin = await h.AdminAsync(sandbox.Contoso);
        var errors = new List<CasException>();
        var outputs = new List<object>();
        const string wrongCanary = "CANARY-wrong-secret-7f3a9c";

        var app = await h.Engine.TeamsChat.NewAppAsync(admin, new NewTeamsChatAppRequest
        {
            DisplayName = "CasAdmin canary " + Guid.NewGuid().ToString("N")[..6], ConsoleUrl = new Uri("https://console.example.com"), GrantAdminConsent = true,
        }, h.Observer, CancellationToken.None);
        var first = SandboxFixture.Reveal(app.Secret);
        outputs.Add(app);
        var account = await h.Engine.TeamsChat.NewAccountAsync(admin, new NewTeamsChatAccountRequest
        {
            AppId = app.AppId, ClientSecret = app.Secret, LicensingModel = LicensingModel.A, NotificationUrl = new Uri(sandbox.Host.Url, "_sandbox/receiver/echo"),
        }, h.Observer, CancellationToken.None);
        outputs.Add(account);
        h.Observer.Confirm = _ => true;
        var rotated = await h.Engine.TeamsChat.UpdateSecretAsync(admin, account.AccountId, null, true, TimeSpan.FromDays(30), false, h.Observer, CancellationToken.None);
        outputs.Add(rotated);
        var second = h.Vault.Read(rotated.SecretReference!)!;
        var token = await h.Engine.TeamsChat.NewAccessTokenAsync(admin, account.AccountId, null, true, h.Observer, CancellationToken.None);
        outputs.Add(token);
        var tokenText = SandboxFixture.Reveal(token.Token!);
        errors.Add(await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.UpdateSecretAsync(admin, account.AccountId, SandboxFixture.Secure(wrongCanary), false, null, false, h.Observer, CancellationToken.None)));
        errors.Add(await Assert.ThrowsAsync<CasException>(() => h.Engine.TeamsChat.NewAccountAsync(admin, new NewTeamsChatAccountRequest
        {
            AppId = app.AppId, ClientSecret = SandboxFixture.Secure(wrongCanary), LicensingModel = LicensingModel.A,
        }, h.Observer, CancellationToken.None)));
        outputs.AddRange(await h.Engine.Accounts.TestAsync(admin, account.AccountId, null, h.Observer, CancellationToken.None));
        outputs.AddRange(await h.Engine.Accounts.GetNotificationsAsync(h.StorePath, null, null, CancellationToken.None));

        var secrets = new[] { first, second, tokenText, wrongCanary };
        Assert.All(secrets, s => Assert.True(s.Length >= 16));
        Assert.NotEqual(first, second);

        var said = new StringBuilder(h.Observer.AllText());
        foreach (var e in errors)
        {
            said.Append(e.ToString()).Append(e.RecommendedAction).Append(e.Target);
        }

        foreach (var o in outputs)
        {
            said.Append(o);
            foreach (var p in o.GetType().GetProperties().Where(p => p.PropertyType != typeof(System.Security.SecureString)))
            {
                said.Append(p.GetValue(o));
            }
        }

        RegistryStore.Forget(h.StorePath);
        var files = Directory.GetFiles(Path.GetDirectoryName(h.StorePath)!).Select(File.ReadAllBytes).ToArray();
        Assert.NotEmpty(files);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, said.ToString(), StringComparison.Ordinal);
            var bytes = Encoding.UTF8.GetBytes(secret);
            var utf16 = Encoding.Unicode.GetBytes(secret);
            Assert.All(files, f => Assert.False(f.AsSpan().IndexOf(bytes) >= 0 || f.AsSpan().IndexOf(utf16) >= 0, "a secret reached the registry"));
        }

        // The audit log recorded every change, without the values.
        var audit = await new AccountRepository(RegistryStore.Open(h.StorePath)).AuditLogAsync(account.AccountId, CancellationToken.None);
        Assert.Contains(audit, a => a.Action == "Rotate" && a.Result == "Succeeded");
        Assert.Contains(audit, a => a.Action == "NewAccessToken");
    }
}
