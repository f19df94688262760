using System.Collections;
using System.Management.Automation;
using CasAdmin.Engine.Sandbox;

namespace CasAdmin.Commands.Sandbox;

/// <summary>
/// Lets a sandbox object stand for its process id as an argument (<c>Stop-CasSandbox $sandbox</c>), as it already does
/// when piped (by property name): anything else binds as it would without this attribute.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SandboxProcessIdAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) => inputData switch
    {
        PSObject { BaseObject: CasSandbox sandbox } => sandbox.ProcessId,
        CasSandbox sandbox => sandbox.ProcessId,
        IEnumerable items when inputData is not string => items.Cast<object?>().Select(i => i is null ? null : Transform(engineIntrinsics, i)).ToArray(),
        _ => inputData,
    };
}
