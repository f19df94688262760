using System.Reflection;
using System.Xml.Linq;
using CasAdmin.Module.Tests.Infrastructure;

namespace CasAdmin.Module.Tests;

/// <summary>The compiled cmdlets, read as metadata: what PowerShell users rely on and what PowerShell itself checks at import.</summary>
public sealed class CmdletContractTests(ModuleMetadata module) : IClassFixture<ModuleMetadata>
{
    /// <summary>Get-Verb of PowerShell 7.4 (Common, Communications, Data, Diagnostic, Lifecycle, Security, Other).</summary>
    private static readonly HashSet<string> ApprovedVerbs = new(StringComparer.Ordinal)
    {
        "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move", "New", "Open",
        "Optimize", "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select", "Set", "Show", "Skip", "Split",
        "Step", "Switch", "Undo", "Unlock", "Watch",
        "Connect", "Disconnect", "Read", "Receive", "Send", "Write",
        "Backup", "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit", "Expand", "Export",
        "Group", "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore", "Save", "Sync", "Unpublish", "Update",
        "Debug", "Measure", "Ping", "Repair", "Resolve", "Test", "Trace",
        "Approve", "Assert", "Build", "Complete", "Confirm", "Deny", "Deploy", "Disable", "Enable", "Install", "Invoke", "Register",
        "Request", "Restart", "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall", "Unregister", "Wait",
        "Block", "Grant", "Protect", "Revoke", "Unblock", "Unprotect",
        "Use",
    };

    /// <summary>
    /// Verbs whose cmdlets change state outside the session and so must support -WhatIf/-Confirm with a deliberate
    /// ConfirmImpact. Not here: read-only verbs, and Connect (it changes only session state, which Disconnect undoes;
    /// -WhatIf on a sign-in would leave a runbook silently unconnected). Disconnect is here: it ends other scripts'
    /// shared default connection.
    /// </summary>
    private static readonly HashSet<string> StateChangingVerbs = new(StringComparer.Ordinal)
    {
        "Add", "Clear", "Disconnect", "Move", "New", "Remove", "Rename", "Reset", "Set", "Update", "Register", "Unregister", "Install",
        "Uninstall", "Publish", "Unpublish", "Restore", "Enable", "Disable", "Grant", "Revoke", "Block", "Unblock", "Protect", "Unprotect",
        "Stop", "Suspend", "Resume", "Restart", "Sync", "Import", "Merge", "Deploy", "Submit", "Approve", "Deny", "Complete", "Repair",
    };

    /// <summary>Cmdlets that write nothing to the output stream, and therefore declare no OutputType.</summary>
    private static readonly HashSet<string> NoOutput = new(StringComparer.Ordinal) { "Disconnect-CasTenant", "Stop-CasSandbox", "Remove-CasStoredSecret" };

    public static TheoryData<string> ExpectedCmdlets =>
    [
        "Connect-CasTenant", "Disconnect-CasTenant", "Get-CasConnection", "Register-CasAdminApp",
        "New-CasTeamsChatApp", "New-CasTeamsChatAccount", "Set-CasLicensingModel", "Update-CasServiceAccountSecret",
        "Set-CasServiceAccountApp", "New-CasAccessToken",
        "Get-CasServiceAccount", "Test-CasServiceAccount", "Get-CasNotification", "Get-CasAuditLog",
        "Get-CasStoredSecret", "Remove-CasStoredSecret",
        "Update-CasTeamsChatInventory", "Update-CasTeamsChatSubscription", "Find-CasServiceAccount", "Register-CasServiceAccount",
        "Remove-CasServiceAccount", "Get-CasRemovalJob", "Get-CasCleanupItem",
        "Start-CasSandbox", "Stop-CasSandbox",
    ];

    [Theory]
    [MemberData(nameof(ExpectedCmdlets))]
    public void Module_DefinesCmdlet(string name) =>
        Assert.Contains(name, module.Cmdlets.Select(c => c.Name));

    [Fact]
    public void EveryCmdletClass_HasCmdletAttribute_IsPublicSealed_AndNamedVerbNounCommand()
    {
        Assert.NotEmpty(module.Cmdlets);
        foreach (var cmdlet in module.Cmdlets)
        {
            Assert.True(cmdlet.HasCmdletAttribute, $"{cmdlet.Type.FullName} derives from Cmdlet but has no [Cmdlet] attribute.");
            Assert.True(cmdlet.Type.IsPublic && cmdlet.Type.IsSealed, $"{cmdlet.Type.FullName} must be public sealed.");
            Assert.Equal(cmdlet.Verb + cmdlet.Noun + "Command", cmdlet.Type.Name);
            Assert.StartsWith("CasAdmin.Commands.", cmdlet.Type.FullName, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EveryCmdlet_UsesAnApprovedVerb_AndACasNoun()
    {
        foreach (var cmdlet in module.Cmdlets)
        {
            Assert.True(ApprovedVerbs.Contains(cmdlet.Verb), $"{cmdlet.Name}: '{cmdlet.Verb}' is not an approved verb (Get-Verb).");
            Assert.Matches("^Cas[A-Z][A-Za-z]+$", cmdlet.Noun);
        }
    }

    [Fact]
    public void EveryCmdletWithOutput_DeclaresOutputType_AndSilentOnesDoNot()
    {
        foreach (var cmdlet in module.Cmdlets)
        {
            if (NoOutput.Contains(cmdlet.Name))
            {
                Assert.True(cmdlet.OutputTypes.Count == 0, $"{cmdlet.Name} is listed as writing no output but declares {string.Join(", ", cmdlet.OutputTypes)}.");
            }
            else
            {
                Assert.True(cmdlet.OutputTypes.Count > 0, $"{cmdlet.Name} declares no [OutputType].");
            }
        }
    }

    [Fact]
    public void OutputTypes_AreCasAdminTypes_NeverGraphOrMsalTypes()
    {
        foreach (var type in module.Cmdlets.SelectMany(c => c.OutputTypes))
        {
            Assert.True(type.StartsWith("CasAdmin.", StringComparison.Ordinal) || type.StartsWith("System.", StringComparison.Ordinal),
                $"Output type {type} is neither a CasAdmin nor a BCL type.");
        }
    }

    [Fact]
    public void StateChangingCmdlets_SupportShouldProcess_WithAnExplicitConfirmImpact()
    {
        foreach (var cmdlet in module.Cmdlets.Where(c => StateChangingVerbs.Contains(c.Verb)))
        {
            Assert.True(cmdlet.SupportsShouldProcess, $"{cmdlet.Name} changes state but does not support -WhatIf/-Confirm.");
            Assert.True(cmdlet.ConfirmImpact is not null, $"{cmdlet.Name} supports ShouldProcess but relies on the default ConfirmImpact.");
        }
    }

    [Fact]
    public void ReadOnlyCmdlets_DoNotDeclareShouldProcess()
    {
        foreach (var cmdlet in module.Cmdlets.Where(c => c.Verb is "Get" or "Find" or "Test" or "Connect"))
        {
            Assert.False(cmdlet.SupportsShouldProcess, $"{cmdlet.Name} changes nothing: -WhatIf would promise what it cannot mean.");
        }
    }

    [Fact]
    public void DisconnectCasTenant_SupportsShouldProcess_WithLowImpact()
    {
        var disconnect = Cmdlet("Disconnect-CasTenant");
        Assert.True(disconnect.SupportsShouldProcess);
        Assert.Equal(1, disconnect.ConfirmImpact);
    }

    [Fact]
    public void ParameterSets_AreNotAmbiguous()
    {
        foreach (var cmdlet in module.Cmdlets)
        {
            var sets = cmdlet.ParameterSets;
            if (sets.Count > 1)
            {
                Assert.True(cmdlet.DefaultParameterSetName is not null && sets.Contains(cmdlet.DefaultParameterSetName),
                    $"{cmdlet.Name} has {sets.Count} parameter sets but no DefaultParameterSetName among them.");
            }

            for (var i = 0; i < sets.Count; i++)
            {
                for (var j = i + 1; j < sets.Count; j++)
                {
                    var (a, b) = (sets[i], sets[j]);
                    if (a == cmdlet.DefaultParameterSetName || b == cmdlet.DefaultParameterSetName)
                    {
                        continue;
                    }

                    Assert.True(HasDistinguishingMandatory(cmdlet, a, b) || HasDistinguishingMandatory(cmdlet, b, a),
                        $"{cmdlet.Name}: parameter sets '{a}' and '{b}' cannot be told apart (neither has a mandatory parameter the other lacks).");
                }
            }
        }
    }

    [Fact]
    public void PositionalParameters_ShareNoPositionWithinASet()
    {
        foreach (var cmdlet in module.Cmdlets)
        {
            foreach (var set in cmdlet.ParameterSets)
            {
                var clashes = cmdlet.InSet(set).Where(p => p.Declaration.IsPositional)
                    .GroupBy(p => p.Declaration.Position)
                    .Where(g => g.Select(p => p.Parameter.Name).Distinct().Count() > 1)
                    .Select(g => $"position {g.Key}: {string.Join(", ", g.Select(p => p.Parameter.Name))}");
                Assert.Empty(clashes);
            }
        }
    }

    [Fact]
    public void EachSet_HasAtMostOneValueFromPipelineParameter()
    {
        foreach (var cmdlet in module.Cmdlets)
        {
            foreach (var set in cmdlet.ParameterSets)
            {
                var byValue = cmdlet.InSet(set).Where(p => p.Declaration.ValueFromPipeline).Select(p => p.Parameter.Name).Distinct().ToArray();
                Assert.True(byValue.Length <= 1, $"{cmdlet.Name} set '{set}' binds several parameters by value: {string.Join(", ", byValue)}.");
            }
        }
    }

    [Fact]
    public void EveryParameter_HasAnXmlDocSummary()
    {
        var docs = LoadCmdletXmlDocs();
        var missing = new List<string>();
        foreach (var cmdlet in module.Cmdlets)
        {
            foreach (var parameter in cmdlet.Parameters)
            {
                var id = $"P:{parameter.Property.DeclaringType!.FullName}.{parameter.Name}";
                if (!docs.TryGetValue(id, out var summary) || string.IsNullOrWhiteSpace(summary))
                {
                    missing.Add($"{cmdlet.Name} -{parameter.Name} ({id})");
                }
            }
        }

        Assert.Empty(missing);
    }

    [Fact]
    public void ConnectCasTenant_HasTheSignInParameterSets_InteractiveByDefault()
    {
        var connect = Cmdlet("Connect-CasTenant");
        Assert.Equal("Interactive", connect.DefaultParameterSetName);
        Assert.Equal(
            ["AccessToken", "Certificate", "CertificateFile", "CertificateThumbprint", "ClientSecret", "DeviceCode", "Interactive", "ManagedIdentity"],
            connect.ParameterSets.Order(StringComparer.Ordinal));
        Assert.Equal(["CasAdmin.Engine.Connections.CasConnection"], connect.OutputTypes);
    }

    [Theory]
    [InlineData("Interactive", "TenantId")]
    [InlineData("DeviceCode", "TenantId,UseDeviceCode")]
    [InlineData("ClientSecret", "TenantId,ClientSecret")]
    [InlineData("Certificate", "TenantId,Certificate")]
    [InlineData("CertificateFile", "TenantId,CertificatePath")]
    [InlineData("CertificateThumbprint", "TenantId,CertificateThumbprint")]
    [InlineData("ManagedIdentity", "ManagedIdentity")]
    [InlineData("AccessToken", "AccessToken")]
    public void ConnectCasTenant_MandatoryParameters_PerSet(string set, string mandatory)
    {
        var connect = Cmdlet("Connect-CasTenant");
        var actual = connect.InSet(set).Where(p => p.Declaration.Mandatory).Select(p => p.Parameter.Name).Order(StringComparer.Ordinal);
        Assert.Equal(mandatory.Split(',').Order(StringComparer.Ordinal), actual);
    }

    /// <summary>
    /// A missing -ClientId is the engine's ClientIdRequired (with the one-time setup command as the recommended
    /// action), never PowerShell's bare MissingMandatoryParameter: no parameter set makes it mandatory.
    /// </summary>
    [Fact]
    public void ConnectCasTenant_ClientId_IsMandatoryInNoSet()
    {
        var clientId = Cmdlet("Connect-CasTenant").Parameters.Single(p => p.Name == "ClientId");
        Assert.All(clientId.Declarations, d => Assert.False(d.Mandatory, $"-ClientId is mandatory in the {d.SetName} set."));
    }

    [Fact]
    public void RegisterCasAdminApp_SignsInInteractivelyOrByDeviceCode_AndAsksFirst()
    {
        var register = Cmdlet("Register-CasAdminApp");
        Assert.Equal("Interactive", register.DefaultParameterSetName);
        Assert.Equal(["DeviceCode", "Interactive"], register.ParameterSets.Order(StringComparer.Ordinal));
        Assert.Equal(["CasAdmin.Engine.Connections.CasAdminApp"], register.OutputTypes);
        Assert.Equal(["TenantId"], register.InSet("Interactive").Where(p => p.Declaration.Mandatory).Select(p => p.Parameter.Name));
        Assert.Equal(["TenantId", "UseDeviceCode"], register.InSet("DeviceCode").Where(p => p.Declaration.Mandatory).Select(p => p.Parameter.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("ManagedIdentity", "TenantId,ClientId,Environment,SandboxUrl,SandboxThumbprint,StorePath")]
    [InlineData("AccessToken", "TenantId,Environment,SandboxUrl,SandboxThumbprint,StorePath")]
    [InlineData("CertificateFile", "ClientId,CertificatePassword,Environment,SandboxUrl,SandboxThumbprint,StorePath")]
    public void ConnectCasTenant_OptionalParameters_PerSet(string set, string optional)
    {
        var connect = Cmdlet("Connect-CasTenant");
        var actual = connect.InSet(set).Where(p => !p.Declaration.Mandatory).Select(p => p.Parameter.Name).Order(StringComparer.Ordinal);
        Assert.Equal(optional.Split(',').Order(StringComparer.Ordinal), actual);
    }

    [Fact]
    public void ConnectCasTenant_EnvironmentDefaultsToGlobal_AndIsACasCloud()
    {
        var environment = Cmdlet("Connect-CasTenant").Parameters.Single(p => p.Name == "Environment");
        Assert.Equal("CasAdmin.Engine.Connections.CasCloud", environment.Property.PropertyType.FullName);
        Assert.All(environment.Declarations, d => Assert.Equal(ModuleMetadata.AllParameterSets, d.SetName));
    }

    [Fact]
    public void DisconnectCasTenant_BindsTenantIdByName_AndConnectionByValue()
    {
        var disconnect = Cmdlet("Disconnect-CasTenant");
        Assert.Equal("TenantId", disconnect.DefaultParameterSetName);
        var tenant = disconnect.Parameters.Single(p => p.Name == "TenantId").Declarations.Single();
        Assert.Equal(("TenantId", false, 0, true), (tenant.SetName, tenant.Mandatory, tenant.Position, tenant.ValueFromPipelineByPropertyName));
        var connection = disconnect.Parameters.Single(p => p.Name == "Connection").Declarations.Single();
        Assert.Equal(("Connection", true, true), (connection.SetName, connection.Mandatory, connection.ValueFromPipeline));
        var all = disconnect.Parameters.Single(p => p.Name == "All").Declarations.Single();
        Assert.Equal(("All", true), (all.SetName, all.Mandatory));
        Assert.Empty(disconnect.OutputTypes);
    }

    [Fact]
    public void GetCasConnection_TakesTenantIdPatterns_AtPositionZero_ByPropertyName()
    {
        var get = Cmdlet("Get-CasConnection");
        var tenant = get.Parameters.Single(p => p.Name == "TenantId");
        Assert.Equal(typeof(string[]).FullName, tenant.Property.PropertyType.FullName);
        var declaration = tenant.Declarations.Single();
        Assert.Equal((0, true, false), (declaration.Position, declaration.ValueFromPipelineByPropertyName, declaration.Mandatory));
        Assert.Contains(tenant.Property.GetCustomAttributesData(), a => a.AttributeType.Name == "SupportsWildcardsAttribute");
        Assert.Contains(get.Parameters, p => p.Name == "Default" && p.Property.PropertyType.FullName == "System.Management.Automation.SwitchParameter");
        Assert.Equal(["CasAdmin.Engine.Connections.CasConnection"], get.OutputTypes);
    }

    [Fact]
    public void TenantIdAccountIdAndAppIdParameters_HaveAnArgumentCompleter()
    {
        var checkedCount = 0;
        foreach (var parameter in module.Cmdlets.SelectMany(c => c.Parameters).Where(p => p.Name is "TenantId" or "AccountId" or "AppId"))
        {
            Assert.Contains(parameter.Property.GetCustomAttributesData(), a => a.AttributeType.Name == "ArgumentCompleterAttribute");
            checkedCount++;
        }

        Assert.True(checkedCount >= 3 + 9, "Expected -TenantId or -AccountId on the connection and the Teams Chat/account cmdlets.");
    }

    [Fact]
    public void CasConnectedCmdlet_OffersConnection_InEveryParameterSet()
    {
        var baseType = module.CmdletAssembly.GetType("CasAdmin.Base.CasConnectedCmdlet", throwOnError: true)!;
        Assert.True(baseType.IsAbstract && baseType.IsPublic);
        var connection = new ModuleMetadata.ParameterModel(baseType.GetProperty("Connection")!);
        var declaration = Assert.Single(connection.Declarations);
        Assert.Equal(ModuleMetadata.AllParameterSets, declaration.SetName);
        Assert.False(declaration.Mandatory);
        Assert.Equal("CasAdmin.Engine.Connections.CasConnection", connection.Property.PropertyType.FullName);
    }

    /// <summary>
    /// -TenantId is declared once, in CasTenantCmdlet (help text, validation, completer, pipeline binding), for every
    /// cmdlet that works in or reads a tenant. The connection cmdlets' -TenantId means something else (the tenant to
    /// sign in to, or which connections to list or close) and keeps its own declaration.
    /// </summary>
    [Fact]
    public void TenantId_IsDeclaredOnce_InCasTenantCmdlet()
    {
        string[] connectionCmdlets = ["Connect-CasTenant", "Register-CasAdminApp", "Disconnect-CasTenant", "Get-CasConnection"];
        var declaredIn = module.Cmdlets
            .Where(c => !connectionCmdlets.Contains(c.Name))
            .SelectMany(c => c.Parameters.Where(p => p.Name == "TenantId").Select(p => (c.Name, Declaring: p.Property.DeclaringType!.FullName)))
            .ToArray();
        Assert.True(declaredIn.Length >= 16, $"Expected -TenantId on the account, Teams Chat, removal and registry cmdlets; found {declaredIn.Length}.");
        Assert.All(declaredIn, d => Assert.Equal("CasAdmin.Base.CasTenantCmdlet", d.Declaring));

        var tenant = new ModuleMetadata.ParameterModel(module.CmdletAssembly.GetType("CasAdmin.Base.CasTenantCmdlet", throwOnError: true)!.GetProperty("TenantId")!);
        var declaration = Assert.Single(tenant.Declarations);
        Assert.Equal((ModuleMetadata.AllParameterSets, false, true, 2), (declaration.SetName, declaration.Mandatory, declaration.ValueFromPipelineByPropertyName, declaration.Position));
        Assert.Contains(tenant.Property.GetCustomAttributesData(), a => a.AttributeType.Name == "ValidateNotNullOrEmptyAttribute");
    }

    /// <summary>Connect-CasTenant and Register-CasAdminApp share one declaration of the cloud and the sandbox's address and certificate.</summary>
    [Theory]
    [InlineData("Connect-CasTenant")]
    [InlineData("Register-CasAdminApp")]
    public void SignInCmdlets_DeclareEnvironmentAndSandbox_Once(string name)
    {
        var cmdlet = module.Cmdlets.Single(c => c.Name == name);
        foreach (var parameter in new[] { "Environment", "SandboxUrl", "SandboxThumbprint" })
        {
            Assert.Equal("CasAdmin.Base.CasSignInCmdlet", cmdlet.Parameters.Single(p => p.Name == parameter).Property.DeclaringType!.FullName);
        }
    }

    [Fact]
    public void EveryCmdlet_DerivesFromCasCmdlet_WhichIsDisposable()
    {
        var casCmdlet = module.CmdletAssembly.GetType("CasAdmin.Base.CasCmdlet", throwOnError: true)!;
        Assert.Contains(casCmdlet.GetInterfaces(), i => i.FullName == typeof(IDisposable).FullName);
        Assert.All(module.Cmdlets, c => Assert.True(casCmdlet.IsAssignableFrom(c.Type), $"{c.Name} does not derive from CasCmdlet."));
    }

    [Fact]
    public void EveryCasErrorCategory_IsAnErrorCategoryName()
    {
        var engineCategories = module.PublicType("CasAdmin.Engine.Errors.CasErrorCategory").GetEnumNames();
        var powerShellCategories = module.AutomationType("System.Management.Automation.ErrorCategory").GetEnumNames();
        Assert.NotEmpty(engineCategories);
        Assert.Empty(engineCategories.Except(powerShellCategories, StringComparer.Ordinal));
    }

    [Fact]
    public void ModuleInitializer_HooksImport_AndRemoval()
    {
        var initializers = module.CmdletAssembly.GetTypes()
            .Where(t => t.GetInterfaces().Any(i => i.FullName == "System.Management.Automation.IModuleAssemblyInitializer"))
            .ToArray();
        var initializer = Assert.Single(initializers);
        Assert.Contains(initializer.GetInterfaces(), i => i.FullName == "System.Management.Automation.IModuleAssemblyCleanup");
    }

    [Fact]
    public void CmdletAssembly_ReferencesOnlyTheModel_TheEngine_PowerShell_AndTheBcl()
    {
        string[] isolated = ["Microsoft.Identity", "Microsoft.Graph", "Microsoft.Kiota", "Polly", "Microsoft.Data.Sqlite", "SQLitePCL", "Azure", "Microsoft.IdentityModel", "Npgsql"];
        var references = module.CmdletAssembly.GetReferencedAssemblies().Select(r => r.Name!).ToArray();
        Assert.Contains("CasAdmin.Engine", references);
        Assert.Contains("CasAdmin.Model", references);

        // The sandbox ships in the module folder (Start-CasSandbox runs it as a process): never a reference.
        Assert.DoesNotContain(references, r => r.StartsWith("CasAdmin.Sandbox", StringComparison.OrdinalIgnoreCase)
            || r.StartsWith("Microsoft.AspNetCore", StringComparison.OrdinalIgnoreCase)
            || r.StartsWith("Microsoft.Extensions", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(references, r => isolated.Any(p => r.StartsWith(p, StringComparison.OrdinalIgnoreCase)));
        var unexpected = references.Where(r => r is not ("CasAdmin.Engine" or "CasAdmin.Model" or "System.Management.Automation" or "netstandard")
            && !File.Exists(Path.Combine(ModuleLayout.RuntimeDirectory, r + ".dll")));
        Assert.Empty(unexpected);
    }

    [Fact]
    public void ModelAssembly_ReferencesOnlyTheBcl()
    {
        // It loads into PowerShell's default context, beside whatever Az or Microsoft.Graph brought there.
        var unexpected = module.ModelAssembly.GetReferencedAssemblies().Select(r => r.Name!)
            .Where(r => r != "netstandard" && !File.Exists(Path.Combine(ModuleLayout.RuntimeDirectory, r + ".dll")));
        Assert.Empty(unexpected);
    }

    [Fact]
    public void EveryOutputType_AndCasConnection_LiveInTheModel_WhereScriptsCanNameThem()
    {
        // PowerShell resolves [Type] literals and -is only in the default context; the engine's context is invisible.
        var outputs = module.Cmdlets.SelectMany(c => c.OutputTypes).Distinct().Append("CasAdmin.Engine.Connections.CasConnection").ToArray();
        Assert.NotEmpty(outputs);
        foreach (var name in outputs)
        {
            Assert.True(module.ModelAssembly.GetType(name) is { IsPublic: true }, $"{name} is not a public type of CasAdmin.Model.");
        }
    }

    [Fact]
    public void NoModelEnum_HasAMemberEqualToZero()
    {
        // Where-Object Service (and any truthiness test) drops a member whose value is 0.
        var zero = module.ModelAssembly.GetExportedTypes().Where(t => t.IsEnum)
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture) == 0).Select(f => $"{t.Name}.{f.Name}"))
            .ToArray();
        Assert.Empty(zero);
    }

    [Fact]
    public void EnginePublicApi_ExposesNoIsolatedTypes()
    {
        string[] isolated = ["Microsoft.Identity", "Microsoft.Graph", "Microsoft.Kiota", "Polly", "Microsoft.Data.Sqlite", "SQLitePCL", "Azure.", "Npgsql", "Microsoft.IdentityModel"];
        bool Isolated(Type t) => t.FullName is { } n && isolated.Any(p => n.StartsWith(p, StringComparison.Ordinal));
        var leaks = new List<string>();
        foreach (var type in module.EngineAssembly.GetExportedTypes().Concat(module.ModelAssembly.GetExportedTypes()))
        {
            const BindingFlags Public = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            if (type.BaseType is { } b && Isolated(b))
            {
                leaks.Add($"{type.FullName} : {b.FullName}");
            }

            foreach (var member in type.GetProperties(Public))
            {
                if (Isolated(member.PropertyType))
                {
                    leaks.Add($"{type.FullName}.{member.Name}: {member.PropertyType.FullName}");
                }
            }

            foreach (var method in type.GetMethods(Public))
            {
                foreach (var t in method.GetParameters().Select(p => p.ParameterType).Append(method.ReturnType).Where(Isolated))
                {
                    leaks.Add($"{type.FullName}.{method.Name}: {t.FullName}");
                }
            }
        }

        Assert.Empty(leaks);
    }

    private ModuleMetadata.CmdletModel Cmdlet(string name) => module.Cmdlets.Single(c => c.Name == name);

    /// <summary>True when <paramref name="a"/> has a mandatory parameter that <paramref name="b"/> does not have at all.</summary>
    private static bool HasDistinguishingMandatory(ModuleMetadata.CmdletModel cmdlet, string a, string b)
    {
        var inB = cmdlet.InSet(b).Select(p => p.Parameter.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return cmdlet.InSet(a).Any(p => p.Declaration.Mandatory && !inB.Contains(p.Parameter.Name));
    }

    /// <summary>member id → summary text, from CasAdmin.xml that the build of src/CasAdmin writes.</summary>
    private static Dictionary<string, string> LoadCmdletXmlDocs()
    {
        var bin = Path.Combine(ModuleLayout.RepoRoot, "src", "CasAdmin", "bin", ModuleLayout.Configuration);
        var file = Directory.Exists(bin) ? Directory.GetFiles(bin, "CasAdmin.xml", SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault() : null;
        Assert.True(file is not null, $"No CasAdmin.xml documentation file under {bin}: GenerateDocumentationFile must stay on for src/CasAdmin.");
        return XDocument.Load(file).Descendants("member")
            .Where(m => m.Attribute("name") is not null)
            .ToDictionary(m => m.Attribute("name")!.Value, m => m.Element("summary")?.Value.Trim() ?? string.Empty, StringComparer.Ordinal);
    }
}
