namespace CasAdmin.Engine.Tests;

/// <summary>
/// Tests that count premature retries judge how promptly the client reads each 429; starved of CPU by every other
/// test class on a 2-core machine, a client reads late through no fault of its own. They run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Runs alone";
}
