using System.Globalization;
using System.Text.RegularExpressions;

namespace CasAdmin.Docs;

/// <summary>
/// Parses a cmdlet page in platyPS markdown (schema 2.0.0) and checks it is complete and consistent:
/// the sections in platyPS order, one syntax block per parameter set, a yaml block per parameter whose sets
/// exist and whose Required/Position agree with the syntax lines, numbered examples with code.
/// </summary>
public static partial class CommandHelpParser
{
    private static readonly string[] SectionOrder =
        ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS"];

    private static readonly string[] RequiredFrontMatter = ["external help file", "Module Name", "online version", "schema"];

    private static readonly string[] YamlKeys =
    [
        "Type", "Parameter Sets", "Aliases", "Accepted values", "Required", "Position", "Default value",
        "Accept pipeline input", "Accept wildcard characters",
    ];

    /// <summary>The set name platyPS uses for a cmdlet with a single parameter set.</summary>
    public const string AllParameterSets = "__AllParameterSets";

    /// <summary>Reads and parses a page; throws <see cref="HelpFormatException"/> listing every problem.</summary>
    public static CommandHelp Load(string path) => Parse(path, File.ReadAllText(path));

    /// <summary>Parses page text; <paramref name="path"/> names it in messages and must end in <c>&lt;Name&gt;.md</c>.</summary>
    public static CommandHelp Parse(string path, string text)
    {
        var issues = new List<HelpIssue>();
        var help = Parse(path, text, issues);
        if (issues.Count > 0 || help is null)
        {
            throw new HelpFormatException(issues);
        }

        return help;
    }

    internal static CommandHelp? Parse(string path, string text, List<HelpIssue> issues)
    {
        var md = new MarkdownPage(path, text, issues);
        md.ReadFrontMatter(required: true);
        foreach (var key in RequiredFrontMatter)
        {
            if (!md.FrontMatter.ContainsKey(key))
            {
                md.Error(1, $"Front matter has no '{key}:' line.");
            }
        }

        if (md.FrontMatter.TryGetValue("schema", out var schema) && schema != "2.0.0")
        {
            md.Error(1, $"Front matter 'schema: {schema}' is not supported; use 'schema: 2.0.0'.");
        }

        var title = md.Headings.FirstOrDefault(h => h.Level == 1);
        var expectedName = System.IO.Path.GetFileNameWithoutExtension(path);
        if (title is null)
        {
            md.Error(md.BodyStart + 1, $"The page has no '# {expectedName}' title.");
            return null;
        }

        if (!string.Equals(title.Text, expectedName, StringComparison.Ordinal))
        {
            md.Error(title.Line, $"The title '# {title.Text}' must equal the file name '{expectedName}'.");
        }

        if (md.Headings.Count(h => h.Level == 1) > 1)
        {
            md.Error(md.Headings.Where(h => h.Level == 1).ElementAt(1).Line, "The page has more than one '#' title.");
        }

        var sections = ReadSections(md);
        if (sections is null)
        {
            return null;
        }

        var synopsis = Paragraphs(md, sections["SYNOPSIS"]);
        if (synopsis.Count != 1)
        {
            md.Error(sections["SYNOPSIS"].Line, "SYNOPSIS must be exactly one paragraph.");
        }

        var syntax = ReadSyntax(md, sections["SYNTAX"], title.Text);
        var description = Paragraphs(md, sections["DESCRIPTION"]);
        if (description.Count == 0)
        {
            md.Error(sections["DESCRIPTION"].Line, "DESCRIPTION is empty.");
        }

        var examples = ReadExamples(md, sections["EXAMPLES"]);
        var (parameters, common) = ReadParameters(md, sections["PARAMETERS"], syntax);
        var inputs = ReadTypes(md, sections["INPUTS"]);
        var outputs = ReadTypes(md, sections["OUTPUTS"]);
        var notes = Paragraphs(md, sections["NOTES"]);
        var links = ReadLinks(md, sections["RELATED LINKS"]);

        CheckSyntaxAgainstParameters(md, syntax, parameters);

        return new CommandHelp(
            title.Text,
            path,
            new Dictionary<string, string>(md.FrontMatter, StringComparer.OrdinalIgnoreCase),
            synopsis.FirstOrDefault() ?? string.Empty,
            syntax,
            description,
            examples,
            parameters,
            common,
            inputs,
            outputs,
            notes,
            links);
    }

    private static Dictionary<string, MarkdownPage.Heading>? ReadSections(MarkdownPage md)
    {
        var found = new Dictionary<string, MarkdownPage.Heading>(StringComparer.Ordinal);
        var next = 0;
        foreach (var h in md.Headings.Where(h => h.Level == 2))
        {
            var index = Array.IndexOf(SectionOrder, h.Text);
            if (index < 0)
            {
                md.Error(h.Line, $"Unknown section '## {h.Text}'; a platyPS page has {string.Join(", ", SectionOrder.Select(s => "## " + s))}.");
                continue;
            }

            if (found.ContainsKey(h.Text))
            {
                md.Error(h.Line, $"Section '## {h.Text}' appears twice.");
                continue;
            }

            if (index < next)
            {
                md.Error(h.Line, $"Section '## {h.Text}' is out of order; the order is {string.Join(", ", SectionOrder)}.");
            }

            next = index + 1;
            found[h.Text] = h;
        }

        var missing = SectionOrder.Where(s => !found.ContainsKey(s)).ToList();
        foreach (var s in missing)
        {
            md.Error(0, $"Section '## {s}' is missing.");
        }

        return missing.Count == 0 ? found : null;
    }

    private static List<string> Paragraphs(MarkdownPage md, MarkdownPage.Heading section)
    {
        // One help paragraph per markdown paragraph or list item; code and tables keep their lines.
        var end = md.EndOf(section, md.LineCount);
        return md.ReadBlocks(section.Index + 1, end).Select(b => b.Text).ToList();
    }

    private static List<SyntaxBlock> ReadSyntax(MarkdownPage md, MarkdownPage.Heading section, string name)
    {
        var end = md.EndOf(section, md.LineCount);
        var result = new List<SyntaxBlock>();
        var sets = md.HeadingsBetween(3, section.Index, end).ToList();
        if (sets.Count == 0)
        {
            md.Error(section.Line, $"SYNTAX has no '### <ParameterSetName>' block (use '### {AllParameterSets}' for a single set).");
            return result;
        }

        var stray = md.ReadBlocks(section.Index + 1, sets[0].Index);
        if (stray.Count > 0)
        {
            md.Error(stray[0].Line, "SYNTAX holds text before its first '###' block.");
        }

        foreach (var set in sets)
        {
            var m = SetHeadingPattern().Match(set.Text);
            var setName = m.Groups["name"].Value;
            var isDefault = m.Groups["default"].Success;
            if (result.Any(r => string.Equals(r.ParameterSetName, setName, StringComparison.OrdinalIgnoreCase)))
            {
                md.Error(set.Line, $"Parameter set '{setName}' appears twice in SYNTAX.");
            }

            var blocks = md.ReadBlocks(set.Index + 1, md.EndOf(set, end));
            if (blocks.Count != 1 || blocks[0].Kind != MarkdownBlockKind.Code)
            {
                md.Error(set.Line, $"Syntax block '{set.Text}' must hold exactly one code fence and nothing else.");
                continue;
            }

            var code = blocks[0].Text.Trim();
            var flat = Regex.Replace(code, @"\s+", " ");
            if (!flat.StartsWith(name + " ", StringComparison.Ordinal) && flat != name)
            {
                md.Error(blocks[0].Line, $"Syntax for '{setName}' must start with the cmdlet name '{name}'.");
            }

            var parameters = new List<SyntaxParameter>();
            foreach (Match p in SyntaxParameterPattern().Matches(flat))
            {
                var pname = p.Groups["name"].Value;
                var open = p.Groups["open"].Value;
                var closeRight = p.Groups["close"].Success;
                bool required;
                bool positional;
                if (open == "[[")
                {
                    required = false;
                    positional = true;
                }
                else if (open == "[" && closeRight && p.Groups["value"].Success)
                {
                    required = true;
                    positional = true;
                }
                else
                {
                    required = open.Length == 0;
                    positional = false;
                }

                if (parameters.Any(x => string.Equals(x.Name, pname, StringComparison.OrdinalIgnoreCase)))
                {
                    md.Error(blocks[0].Line, $"Syntax for '{setName}' lists -{pname} twice.");
                }

                parameters.Add(new SyntaxParameter(pname, required, positional));
            }

            result.Add(new SyntaxBlock(setName, isDefault, code, parameters));
        }

        if (result.Count > 1 && result.Count(r => r.IsDefault) != 1)
        {
            md.Error(section.Line, "With several parameter sets, exactly one '### <Set> (Default)' heading marks the default set.");
        }

        if (result.Count == 1 && result[0].ParameterSetName != AllParameterSets && !result[0].IsDefault)
        {
            md.Error(sets[0].Line, $"A single parameter set is written '### {AllParameterSets}' (or marked '(Default)').");
        }

        return result;
    }

    private static List<ExampleHelp> ReadExamples(MarkdownPage md, MarkdownPage.Heading section)
    {
        var end = md.EndOf(section, md.LineCount);
        var result = new List<ExampleHelp>();
        var headings = md.HeadingsBetween(3, section.Index, end).ToList();
        if (headings.Count == 0)
        {
            md.Error(section.Line, "EXAMPLES has no '### Example 1: <title>' block.");
            return result;
        }

        foreach (var h in headings)
        {
            var m = ExampleHeadingPattern().Match(h.Text);
            if (!m.Success)
            {
                md.Error(h.Line, $"Example heading '{h.Text}' must read 'Example <n>: <title>'.");
                continue;
            }

            var number = int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            if (number != result.Count + 1)
            {
                md.Error(h.Line, $"Example {number} should be numbered {result.Count + 1}.");
            }

            var blocks = md.ReadBlocks(h.Index + 1, md.EndOf(h, end));
            var firstCode = blocks.FindIndex(b => b.Kind == MarkdownBlockKind.Code);
            if (firstCode < 0)
            {
                md.Error(h.Line, $"Example {number} has no code fence.");
                continue;
            }

            var lastCode = blocks.FindLastIndex(b => b.Kind == MarkdownBlockKind.Code);
            var intro = blocks.Take(firstCode).Select(b => b.Text).ToList();
            var code = string.Join("\n\n", blocks.Skip(firstCode).Take(lastCode - firstCode + 1)
                .Where(b => b.Kind == MarkdownBlockKind.Code).Select(b => b.Text.TrimEnd()));
            var remarks = blocks.Skip(lastCode + 1).Select(b => b.Text).ToList();
            if (blocks.Skip(firstCode).Take(lastCode - firstCode + 1).Any(b => b.Kind != MarkdownBlockKind.Code))
            {
                // Text between two code fences belongs to the remarks in platyPS's model: keep it, in order.
                remarks.InsertRange(0, blocks.Skip(firstCode).Take(lastCode - firstCode + 1)
                    .Where(b => b.Kind != MarkdownBlockKind.Code).Select(b => b.Text));
            }

            if (code.Trim().Length == 0)
            {
                md.Error(h.Line, $"Example {number} has an empty code fence.");
            }

            result.Add(new ExampleHelp(number, m.Groups["title"].Value.Trim(), intro, code, remarks));
        }

        return result;
    }

    private static (List<ParameterHelp> Parameters, bool Common) ReadParameters(
        MarkdownPage md, MarkdownPage.Heading section, List<SyntaxBlock> syntax)
    {
        var end = md.EndOf(section, md.LineCount);
        var result = new List<ParameterHelp>();
        var common = false;
        var knownSets = syntax.Select(s => s.ParameterSetName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var h in md.HeadingsBetween(3, section.Index, end))
        {
            var blocks = md.ReadBlocks(h.Index + 1, md.EndOf(h, end));
            if (h.Text == "CommonParameters")
            {
                common = true;
                continue;
            }

            if (!h.Text.StartsWith('-') || !ParameterNamePattern().IsMatch(h.Text[1..]))
            {
                md.Error(h.Line, $"Parameter heading '{h.Text}' must read '-<Name>' (or 'CommonParameters').");
                continue;
            }

            var name = h.Text[1..];
            if (result.Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                md.Error(h.Line, $"Parameter -{name} is documented twice.");
            }

            var yamls = blocks.Where(b => b.Kind == MarkdownBlockKind.Code && b.Language == "yaml").ToList();
            var description = blocks.TakeWhile(b => !(b.Kind == MarkdownBlockKind.Code && b.Language == "yaml")).Select(b => b.Text).ToList();
            if (description.Count == 0)
            {
                md.Error(h.Line, $"Parameter -{name} has no description.");
            }

            if (yamls.Count == 0)
            {
                md.Error(h.Line, $"Parameter -{name} has no ```yaml block (Type, Parameter Sets, Aliases, Required, Position, Default value, Accept pipeline input, Accept wildcard characters).");
                continue;
            }

            if (blocks.SkipWhile(b => !(b.Kind == MarkdownBlockKind.Code && b.Language == "yaml")).Any(b => b.Language != "yaml"))
            {
                md.Error(h.Line, $"Parameter -{name} has text after its yaml block(s); put the description before them.");
            }

            string? type = null;
            IReadOnlyList<string>? aliases = null;
            IReadOnlyList<string> accepted = [];
            var usages = new List<ParameterUsage>();
            foreach (var yaml in yamls)
            {
                var fields = ReadYaml(md, yaml, name);
                if (fields is null)
                {
                    continue;
                }

                var blockType = fields["Type"];
                var blockAliases = SplitList(fields["Aliases"]);
                if (type is not null && !string.Equals(type, blockType, StringComparison.Ordinal))
                {
                    md.Error(yaml.Line, $"Parameter -{name} has Type '{type}' in one yaml block and '{blockType}' in another.");
                }

                if (aliases is not null && !aliases.SequenceEqual(blockAliases, StringComparer.OrdinalIgnoreCase))
                {
                    md.Error(yaml.Line, $"Parameter -{name} lists different Aliases in its yaml blocks.");
                }

                type ??= blockType;
                aliases ??= blockAliases;
                if (fields.TryGetValue("Accepted values", out var values))
                {
                    accepted = SplitList(values);
                }

                var setsText = fields["Parameter Sets"];
                var all = setsText == "(All)";
                var sets = all ? [] : SplitList(setsText);
                if (!all && sets.Count == 0)
                {
                    md.Error(yaml.Line, $"Parameter -{name}: 'Parameter Sets' is empty; write the set names or (All).");
                }

                foreach (var s in sets.Where(s => !knownSets.Contains(s)))
                {
                    md.Error(yaml.Line, $"Parameter -{name} names parameter set '{s}', which SYNTAX does not have.");
                }

                var required = ReadBool(md, yaml, name, "Required", fields["Required"]);
                var wildcards = ReadBool(md, yaml, name, "Accept wildcard characters", fields["Accept wildcard characters"]);
                int? position = null;
                var positionText = fields["Position"];
                if (!string.Equals(positionText, "Named", StringComparison.OrdinalIgnoreCase))
                {
                    if (int.TryParse(positionText, NumberStyles.None, CultureInfo.InvariantCulture, out var p))
                    {
                        position = p;
                    }
                    else
                    {
                        md.Error(yaml.Line, $"Parameter -{name}: Position '{positionText}' must be Named or a number.");
                    }
                }

                var pipeline = ReadPipeline(md, yaml, name, fields["Accept pipeline input"]);
                var defaultValue = fields["Default value"];
                if (defaultValue.Length == 0)
                {
                    md.Error(yaml.Line, $"Parameter -{name}: 'Default value' is empty; write None when there is none.");
                }

                usages.Add(new ParameterUsage(sets, all, required, position, defaultValue, pipeline, wildcards));
            }

            var covered = usages.SelectMany(u => u.AllSets ? knownSets : (IEnumerable<string>)u.ParameterSets)
                .GroupBy(s => s, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            foreach (var s in covered)
            {
                md.Error(h.Line, $"Parameter -{name} describes parameter set '{s}' in more than one yaml block.");
            }

            if (type is not null)
            {
                result.Add(new ParameterHelp(name, description, type, aliases ?? [], accepted, usages));
            }
        }

        if (!common)
        {
            md.Error(section.Line, "PARAMETERS has no '### CommonParameters' entry.");
        }

        return (result, common);
    }

    private static Dictionary<string, string>? ReadYaml(MarkdownPage md, MarkdownBlock yaml, string name)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = md.ReadYamlMapping(yaml.Text, yaml.Line + 1, $"Parameter -{name}");
        if (entries is null)
        {
            return null;
        }

        foreach (var (key, value, line) in entries)
        {
            if (!YamlKeys.Contains(key, StringComparer.Ordinal))
            {
                md.Error(line, $"Parameter -{name}: '{key}' is not one of the yaml keys {string.Join(", ", YamlKeys)}.");
                continue;
            }

            fields[key] = value.Trim();
        }

        var missing = YamlKeys.Where(k => k != "Accepted values" && !fields.ContainsKey(k)).ToList();
        foreach (var k in missing)
        {
            md.Error(yaml.Line, $"Parameter -{name}: the yaml block has no '{k}:' line.");
        }

        if (fields.TryGetValue("Type", out var type) && type.Length == 0)
        {
            md.Error(yaml.Line, $"Parameter -{name}: 'Type' is empty.");
            return null;
        }

        return missing.Count == 0 ? fields : null;
    }

    private static bool ReadBool(MarkdownPage md, MarkdownBlock yaml, string name, string key, string value)
    {
        if (string.Equals(value, "True", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!string.Equals(value, "False", StringComparison.OrdinalIgnoreCase))
        {
            md.Error(yaml.Line, $"Parameter -{name}: '{key}: {value}' must be True or False.");
        }

        return false;
    }

    private static PipelineInput ReadPipeline(MarkdownPage md, MarkdownBlock yaml, string name, string value)
    {
        if (string.Equals(value, "False", StringComparison.OrdinalIgnoreCase))
        {
            return PipelineInput.None;
        }

        var m = PipelinePattern().Match(value);
        if (!m.Success)
        {
            md.Error(yaml.Line, $"Parameter -{name}: 'Accept pipeline input: {value}' must be False, True (ByValue), True (ByPropertyName) or True (ByValue, ByPropertyName).");
            return PipelineInput.None;
        }

        var result = PipelineInput.None;
        foreach (var part in SplitList(m.Groups["kinds"].Value))
        {
            if (string.Equals(part, "ByValue", StringComparison.OrdinalIgnoreCase))
            {
                result |= PipelineInput.ByValue;
            }
            else if (string.Equals(part, "ByPropertyName", StringComparison.OrdinalIgnoreCase))
            {
                result |= PipelineInput.ByPropertyName;
            }
            else
            {
                md.Error(yaml.Line, $"Parameter -{name}: unknown pipeline binding '{part}'.");
            }
        }

        return result;
    }

    private static List<TypeHelp> ReadTypes(MarkdownPage md, MarkdownPage.Heading section)
    {
        var end = md.EndOf(section, md.LineCount);
        var result = new List<TypeHelp>();
        var headings = md.HeadingsBetween(3, section.Index, end).ToList();
        if (headings.Count == 0)
        {
            md.Error(section.Line, $"{section.Text} has no '### <TypeName>' entry (write '### None' when there is none).");
            return result;
        }

        var stray = md.ReadBlocks(section.Index + 1, headings[0].Index);
        if (stray.Count > 0)
        {
            md.Error(stray[0].Line, $"{section.Text} holds text before its first '### <TypeName>' entry.");
        }

        foreach (var h in headings)
        {
            var blocks = md.ReadBlocks(h.Index + 1, md.EndOf(h, end));
            result.Add(new TypeHelp(h.Text, blocks.Select(b => b.Text).ToList()));
        }

        return result;
    }

    private static List<RelatedLink> ReadLinks(MarkdownPage md, MarkdownPage.Heading section)
    {
        var end = md.EndOf(section, md.LineCount);
        var result = new List<RelatedLink>();
        foreach (var block in md.ReadBlocks(section.Index + 1, end))
        {
            if (block.Links is null)
            {
                md.Error(block.Line, $"RELATED LINKS holds '{block.Text}', which is not a list of [text](uri) links.");
                continue;
            }

            result.AddRange(block.Links);
        }

        return result;
    }

    private static void CheckSyntaxAgainstParameters(MarkdownPage md, List<SyntaxBlock> syntax, List<ParameterHelp> parameters)
    {
        foreach (var set in syntax)
        {
            var line = md.Headings.FirstOrDefault(h => h.Level == 3 && h.Text.StartsWith(set.ParameterSetName, StringComparison.Ordinal))?.Line ?? 0;
            foreach (var sp in set.Parameters)
            {
                var p = parameters.FirstOrDefault(x => string.Equals(x.Name, sp.Name, StringComparison.OrdinalIgnoreCase));
                if (p is null)
                {
                    md.Error(line, $"Syntax for '{set.ParameterSetName}' shows -{sp.Name}, which PARAMETERS does not document.");
                    continue;
                }

                var usage = p.UsageFor(set.ParameterSetName);
                if (usage is null)
                {
                    md.Error(line, $"Syntax for '{set.ParameterSetName}' shows -{sp.Name}, whose 'Parameter Sets' do not include '{set.ParameterSetName}'.");
                    continue;
                }

                if (usage.Required != sp.Required)
                {
                    md.Error(line, $"-{sp.Name} is {(usage.Required ? "required" : "optional")} in '{set.ParameterSetName}' per its yaml block but {(sp.Required ? "required" : "optional")} in the syntax line.");
                }

                if ((usage.Position is not null) != sp.Positional && !p.IsSwitch)
                {
                    md.Error(line, $"-{sp.Name} is {(usage.Position is null ? "named" : "positional")} in '{set.ParameterSetName}' per its yaml block but {(sp.Positional ? "positional" : "named")} in the syntax line.");
                }
            }

            foreach (var p in parameters.Where(p => p.UsageFor(set.ParameterSetName) is not null))
            {
                if (!set.Parameters.Any(sp => string.Equals(sp.Name, p.Name, StringComparison.OrdinalIgnoreCase)))
                {
                    md.Error(line, $"-{p.Name} belongs to '{set.ParameterSetName}' per its yaml block but the syntax line does not show it.");
                }
            }
        }
    }

    private static IReadOnlyList<string> SplitList(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [GeneratedRegex(@"^(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:\s+\((?<default>Default)\))?$")]
    private static partial Regex SetHeadingPattern();

    [GeneratedRegex(@"^(?:EXAMPLE|Example)\s+(?<n>\d+)(?:\s*:\s*(?<title>.*))?$")]
    private static partial Regex ExampleHeadingPattern();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*$")]
    private static partial Regex ParameterNamePattern();

    // "-Name", "[-Name <T>]", "[-Name] <T>", "[[-Name] <T>]", "[-Switch]": the brackets right before the dash
    // and the one right after the name tell whether the parameter and its name are optional.
    [GeneratedRegex(@"(?<=^|\s)(?<open>\[{0,2})-(?<name>[A-Za-z][A-Za-z0-9]*)(?<close>\])?(?<value>\s+<)?")]
    private static partial Regex SyntaxParameterPattern();

    [GeneratedRegex(@"^True\s*\((?<kinds>[^)]*)\)$", RegexOptions.IgnoreCase)]
    private static partial Regex PipelinePattern();
}
