namespace CasAdmin.Docs;

/// <summary>The help of one cmdlet, parsed from its platyPS markdown page (schema 2.0.0).</summary>
/// <param name="Name">The cmdlet name from the page's title, e.g. <c>Connect-CasTenant</c>.</param>
/// <param name="SourcePath">The markdown file it was read from.</param>
/// <param name="Metadata">The front matter (<c>external help file</c>, <c>Module Name</c>, <c>online version</c>, <c>schema</c>).</param>
/// <param name="Synopsis">The one-paragraph synopsis.</param>
/// <param name="Syntax">One block per parameter set, in page order.</param>
/// <param name="Description">The description, one string per paragraph.</param>
/// <param name="Examples">The examples, numbered from 1.</param>
/// <param name="Parameters">The documented parameters in page order (common parameters excluded).</param>
/// <param name="SupportsCommonParameters">Whether the page has the <c>### CommonParameters</c> entry.</param>
/// <param name="Inputs">The pipeline input types (<c>None</c> when the page says so).</param>
/// <param name="Outputs">The output types (<c>None</c> when the page says so).</param>
/// <param name="Notes">The notes, one string per paragraph.</param>
/// <param name="RelatedLinks">The related links, in page order.</param>
public sealed record CommandHelp(
    string Name,
    string SourcePath,
    IReadOnlyDictionary<string, string> Metadata,
    string Synopsis,
    IReadOnlyList<SyntaxBlock> Syntax,
    IReadOnlyList<string> Description,
    IReadOnlyList<ExampleHelp> Examples,
    IReadOnlyList<ParameterHelp> Parameters,
    bool SupportsCommonParameters,
    IReadOnlyList<TypeHelp> Inputs,
    IReadOnlyList<TypeHelp> Outputs,
    IReadOnlyList<string> Notes,
    IReadOnlyList<RelatedLink> RelatedLinks)
{
    /// <summary>The verb part of the name.</summary>
    public string Verb => Name.Split('-', 2)[0];

    /// <summary>The noun part of the name.</summary>
    public string Noun => Name.Contains('-', StringComparison.Ordinal) ? Name.Split('-', 2)[1] : string.Empty;

    /// <summary>The online version URI from the front matter, or an empty string.</summary>
    public string OnlineVersion => Metadata.TryGetValue("online version", out var uri) ? uri : string.Empty;

    /// <summary>The name of the default parameter set, or null when the page marks none.</summary>
    public string? DefaultParameterSet => Syntax.FirstOrDefault(s => s.IsDefault)?.ParameterSetName;

    /// <summary>Finds a documented parameter by name (case-insensitive), or null.</summary>
    public ParameterHelp? FindParameter(string name) =>
        Parameters.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>One <c>### SetName</c> block of the SYNTAX section.</summary>
/// <param name="ParameterSetName">The set name; <c>__AllParameterSets</c> for a cmdlet with a single set.</param>
/// <param name="IsDefault">Whether the heading says <c>(Default)</c>.</param>
/// <param name="Code">The syntax line(s) as written.</param>
/// <param name="Parameters">The parameters in the order the syntax lists them.</param>
public sealed record SyntaxBlock(string ParameterSetName, bool IsDefault, string Code, IReadOnlyList<SyntaxParameter> Parameters);

/// <summary>How a syntax line shows one parameter.</summary>
/// <param name="Name">The parameter name without the dash.</param>
/// <param name="Required">False when the parameter (and its value) is bracketed.</param>
/// <param name="Positional">True when only the name is bracketed (<c>[-Name] &lt;T&gt;</c>).</param>
public sealed record SyntaxParameter(string Name, bool Required, bool Positional);

/// <summary>A documented parameter.</summary>
/// <param name="Name">The name without the dash.</param>
/// <param name="Description">The description, one string per paragraph.</param>
/// <param name="Type">The type as written (<c>String</c>, <c>SwitchParameter</c>, <c>String[]</c>, …).</param>
/// <param name="Aliases">The aliases (empty when none).</param>
/// <param name="AcceptedValues">The accepted values (enums, ValidateSet), empty when not listed.</param>
/// <param name="Usages">One entry per yaml block: how the parameter behaves in the sets that block names.</param>
public sealed record ParameterHelp(
    string Name,
    IReadOnlyList<string> Description,
    string Type,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<string> AcceptedValues,
    IReadOnlyList<ParameterUsage> Usages)
{
    /// <summary>True for <c>SwitchParameter</c>.</summary>
    public bool IsSwitch => string.Equals(Type, "SwitchParameter", StringComparison.OrdinalIgnoreCase);

    /// <summary>The usage that applies to a parameter set, or null when the parameter is not in that set.</summary>
    public ParameterUsage? UsageFor(string parameterSetName) =>
        Usages.FirstOrDefault(u => u.AllSets || u.ParameterSets.Contains(parameterSetName, StringComparer.OrdinalIgnoreCase));
}

/// <summary>One yaml block of a parameter.</summary>
/// <param name="ParameterSets">The sets named by <c>Parameter Sets</c> (empty when <see cref="AllSets"/>).</param>
/// <param name="AllSets">True for <c>Parameter Sets: (All)</c>.</param>
/// <param name="Required">Mandatory in these sets.</param>
/// <param name="Position">The position, or null for <c>Named</c>.</param>
/// <param name="DefaultValue">The default value as written (<c>None</c>, <c>False</c>, <c>Global</c>, …).</param>
/// <param name="PipelineInput">The pipeline binding.</param>
/// <param name="AcceptWildcards">Whether wildcards are accepted.</param>
public sealed record ParameterUsage(
    IReadOnlyList<string> ParameterSets,
    bool AllSets,
    bool Required,
    int? Position,
    string DefaultValue,
    PipelineInput PipelineInput,
    bool AcceptWildcards)
{
    /// <summary>The pipeline input as platyPS writes it: <c>False</c>, <c>True (ByValue)</c>, <c>True (ByPropertyName)</c>, <c>True (ByValue, ByPropertyName)</c>.</summary>
    public string PipelineInputText => PipelineInput switch
    {
        PipelineInput.None => "False",
        PipelineInput.ByValue => "True (ByValue)",
        PipelineInput.ByPropertyName => "True (ByPropertyName)",
        _ => "True (ByValue, ByPropertyName)",
    };
}

/// <summary>How a parameter binds from the pipeline.</summary>
[Flags]
public enum PipelineInput
{
    /// <summary>Not from the pipeline.</summary>
    None = 0,

    /// <summary><c>ValueFromPipeline</c>.</summary>
    ByValue = 1,

    /// <summary><c>ValueFromPipelineByPropertyName</c>.</summary>
    ByPropertyName = 2,
}

/// <summary>An example.</summary>
/// <param name="Number">1, 2, …</param>
/// <param name="Title">The text after <c>Example n:</c> (may be empty).</param>
/// <param name="Introduction">Paragraphs before the code.</param>
/// <param name="Code">The code blocks, joined by a blank line.</param>
/// <param name="Remarks">Paragraphs after the code.</param>
public sealed record ExampleHelp(int Number, string Title, IReadOnlyList<string> Introduction, string Code, IReadOnlyList<string> Remarks);

/// <summary>An input or output type.</summary>
/// <param name="TypeName">The type name from the heading, or <c>None</c>.</param>
/// <param name="Description">The description paragraphs.</param>
public sealed record TypeHelp(string TypeName, IReadOnlyList<string> Description);

/// <summary>A related link.</summary>
/// <param name="Text">The link text.</param>
/// <param name="Uri">The target as written (may be empty or relative).</param>
public sealed record RelatedLink(string Text, string Uri);

/// <summary>An about topic (<c>about_*.md</c>).</summary>
/// <param name="Name">The topic name, e.g. <c>about_CasAdmin</c>.</param>
/// <param name="SourcePath">The markdown file it was read from.</param>
/// <param name="Sections">The <c>##</c> sections in page order.</param>
public sealed record AboutTopic(string Name, string SourcePath, IReadOnlyList<AboutSection> Sections);

/// <summary>A section of an about topic: a heading and its blocks.</summary>
/// <param name="Level">2 for <c>##</c>, 3 for <c>###</c>, 4 for <c>####</c>.</param>
/// <param name="Title">The heading text.</param>
/// <param name="Blocks">The content.</param>
public sealed record AboutSection(int Level, string Title, IReadOnlyList<MarkdownBlock> Blocks);

/// <summary>A block of markdown content.</summary>
/// <param name="Kind">Paragraph, list item, code or table.</param>
/// <param name="Text">Paragraph and list text joined into one line; code and table lines joined with <c>\n</c>.</param>
/// <param name="Line">The 1-based line it starts on.</param>
public sealed record MarkdownBlock(MarkdownBlockKind Kind, string Text, int Line)
{
    /// <summary>The info string of a code fence (<c>powershell</c>, <c>yaml</c>, …); empty for other blocks.</summary>
    public string Language { get; init; } = string.Empty;

    /// <summary>The links of a paragraph or list item made of links only (RELATED LINKS); null for any other block.</summary>
    public IReadOnlyList<RelatedLink>? Links { get; init; }
}

/// <summary>The kinds of <see cref="MarkdownBlock"/>.</summary>
public enum MarkdownBlockKind
{
    /// <summary>A paragraph.</summary>
    Paragraph,

    /// <summary>A bullet or numbered list item (the text keeps its marker).</summary>
    ListItem,

    /// <summary>A fenced code block.</summary>
    Code,

    /// <summary>A pipe table.</summary>
    Table,
}

/// <summary>Everything in a docs folder.</summary>
/// <param name="Commands">The cmdlet pages, sorted by name.</param>
/// <param name="AboutTopics">The about topics, sorted by name.</param>
public sealed record HelpSet(IReadOnlyList<CommandHelp> Commands, IReadOnlyList<AboutTopic> AboutTopics)
{
    /// <summary>Finds a cmdlet page by name (case-insensitive), or null.</summary>
    public CommandHelp? FindCommand(string name) =>
        Commands.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
}
