using System.Globalization;
using System.Text;
using System.Xml;

namespace CasAdmin.Docs;

/// <summary>
/// Renders cmdlet help as MAML (<c>&lt;Module&gt;.dll-Help.xml</c>) in the shape platyPS's New-ExternalHelp writes:
/// <c>command:details</c>, <c>maml:description</c>, <c>command:syntax</c> (one <c>syntaxItem</c> per parameter set),
/// <c>command:parameters</c>, <c>command:inputTypes</c>, <c>command:returnValues</c>, <c>maml:alertSet</c>,
/// <c>command:examples</c>, <c>command:relatedLinks</c>. The output is deterministic: UTF-8 without BOM, LF, two-space indent.
/// </summary>
public static class MamlWriter
{
    private const string Msh = "http://msh";
    private const string Maml = "http://schemas.microsoft.com/maml/2004/10";
    private const string Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private const string Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    private const string MsHelp = "http://msdn.microsoft.com/mshelp";

    /// <summary>Renders the commands (in the given order) to a string.</summary>
    public static string Render(IEnumerable<CommandHelp> commands)
    {
        var settings = new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(false),
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
            NewLineHandling = NewLineHandling.Replace,
        };
        var sb = new StringBuilder();
        using (var sw = new Utf8StringWriter(sb))
        using (var w = XmlWriter.Create(sw, settings))
        {
            w.WriteStartDocument();
            w.WriteStartElement("helpItems", Msh);
            w.WriteAttributeString("schema", "maml");
            foreach (var c in commands)
            {
                WriteCommand(w, c);
            }

            w.WriteEndElement();
            w.WriteEndDocument();
        }

        return sb.Append('\n').ToString();
    }

    private static void WriteCommand(XmlWriter w, CommandHelp c)
    {
        w.WriteStartElement("command", "command", Command);
        w.WriteAttributeString("xmlns", "maml", null, Maml);
        w.WriteAttributeString("xmlns", "command", null, Command);
        w.WriteAttributeString("xmlns", "dev", null, Dev);
        w.WriteAttributeString("xmlns", "MSHelp", null, MsHelp);

        w.WriteStartElement("command", "details", Command);
        w.WriteElementString("command", "name", Command, c.Name);
        w.WriteElementString("command", "verb", Command, c.Verb);
        w.WriteElementString("command", "noun", Command, c.Noun);
        WriteDescription(w, [c.Synopsis]);
        w.WriteEndElement();

        WriteDescription(w, c.Description);

        w.WriteStartElement("command", "syntax", Command);
        foreach (var set in c.Syntax)
        {
            w.WriteStartElement("command", "syntaxItem", Command);
            w.WriteElementString("maml", "name", Maml, c.Name);
            foreach (var sp in set.Parameters)
            {
                var p = c.FindParameter(sp.Name);
                var usage = p?.UsageFor(set.ParameterSetName);
                if (p is not null && usage is not null)
                {
                    WriteParameter(w, p, usage, inSyntax: true);
                }
            }

            w.WriteEndElement();
        }

        w.WriteEndElement();

        w.WriteStartElement("command", "parameters", Command);
        foreach (var p in c.Parameters)
        {
            WriteParameter(w, p, p.Usages[0], inSyntax: false);
        }

        w.WriteEndElement();

        WriteTypes(w, "inputTypes", "inputType", c.Inputs);
        WriteTypes(w, "returnValues", "returnValue", c.Outputs);

        w.WriteStartElement("maml", "alertSet", Maml);
        w.WriteStartElement("maml", "alert", Maml);
        WriteParas(w, c.Notes);
        w.WriteEndElement();
        w.WriteEndElement();

        w.WriteStartElement("command", "examples", Command);
        foreach (var e in c.Examples)
        {
            w.WriteStartElement("command", "example", Command);
            var title = e.Title.Length > 0 ? $"Example {e.Number}: {e.Title}" : $"Example {e.Number}";
            w.WriteElementString("maml", "title", Maml, $"-------------------------- {title} --------------------------");
            if (e.Introduction.Count > 0)
            {
                w.WriteStartElement("maml", "introduction", Maml);
                WriteParas(w, e.Introduction);
                w.WriteEndElement();
            }

            w.WriteElementString("dev", "code", Dev, e.Code);
            w.WriteStartElement("dev", "remarks", Dev);
            WriteParas(w, e.Remarks);
            w.WriteEndElement();
            w.WriteEndElement();
        }

        w.WriteEndElement();

        w.WriteStartElement("command", "relatedLinks", Command);
        if (c.OnlineVersion.Length > 0)
        {
            WriteLink(w, "Online Version:", c.OnlineVersion);
        }

        foreach (var link in c.RelatedLinks)
        {
            // A link to a sibling page (Get-CasConnection.md) means nothing in Get-Help: keep the text only.
            var uri = link.Uri.EndsWith(".md", StringComparison.OrdinalIgnoreCase) ? string.Empty : link.Uri;
            WriteLink(w, link.Text, uri);
        }

        w.WriteEndElement();
        w.WriteEndElement();
    }

    private static void WriteParameter(XmlWriter w, ParameterHelp p, ParameterUsage usage, bool inSyntax)
    {
        w.WriteStartElement("command", "parameter", Command);
        w.WriteAttributeString("required", usage.Required ? "true" : "false");
        w.WriteAttributeString("variableLength", "true");
        w.WriteAttributeString("globbing", usage.AcceptWildcards ? "true" : "false");
        w.WriteAttributeString("pipelineInput", usage.PipelineInputText);
        w.WriteAttributeString("position", usage.Position?.ToString(CultureInfo.InvariantCulture) ?? "named");
        w.WriteAttributeString("aliases", p.Aliases.Count == 0 ? "none" : string.Join(", ", p.Aliases));
        w.WriteElementString("maml", "name", Maml, p.Name);
        WriteDescription(w, p.Description);
        if (p.AcceptedValues.Count > 0)
        {
            w.WriteStartElement("command", "parameterValueGroup", Command);
            foreach (var v in p.AcceptedValues)
            {
                w.WriteStartElement("command", "parameterValue", Command);
                w.WriteAttributeString("required", "false");
                w.WriteAttributeString("command", "variableLength", Command, "false");
                w.WriteString(v);
                w.WriteEndElement();
            }

            w.WriteEndElement();
        }

        if (!p.IsSwitch || !inSyntax)
        {
            w.WriteStartElement("command", "parameterValue", Command);
            w.WriteAttributeString("required", p.IsSwitch ? "false" : "true");
            w.WriteAttributeString("variableLength", "false");
            w.WriteString(p.Type);
            w.WriteEndElement();
        }

        w.WriteStartElement("dev", "type", Dev);
        w.WriteElementString("maml", "name", Maml, p.Type);
        w.WriteStartElement("maml", "uri", Maml);
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteElementString("dev", "defaultValue", Dev, usage.DefaultValue);
        w.WriteEndElement();
    }

    private static void WriteTypes(XmlWriter w, string outer, string inner, IReadOnlyList<TypeHelp> types)
    {
        w.WriteStartElement("command", outer, Command);
        foreach (var t in types)
        {
            w.WriteStartElement("command", inner, Command);
            w.WriteStartElement("dev", "type", Dev);
            w.WriteElementString("maml", "name", Maml, t.TypeName);
            w.WriteEndElement();
            WriteDescription(w, t.Description);
            w.WriteEndElement();
        }

        w.WriteEndElement();
    }

    private static void WriteLink(XmlWriter w, string text, string uri)
    {
        w.WriteStartElement("maml", "navigationLink", Maml);
        w.WriteElementString("maml", "linkText", Maml, text);
        w.WriteElementString("maml", "uri", Maml, uri);
        w.WriteEndElement();
    }

    private static void WriteDescription(XmlWriter w, IReadOnlyList<string> paragraphs)
    {
        w.WriteStartElement("maml", "description", Maml);
        WriteParas(w, paragraphs);
        w.WriteEndElement();
    }

    private static void WriteParas(XmlWriter w, IReadOnlyList<string> paragraphs)
    {
        if (paragraphs.Count == 0)
        {
            w.WriteElementString("maml", "para", Maml, string.Empty);
            return;
        }

        foreach (var p in paragraphs)
        {
            w.WriteElementString("maml", "para", Maml, p);
        }
    }

    private sealed class Utf8StringWriter(StringBuilder sb) : StringWriter(sb, CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding { get; } = new UTF8Encoding(false);
    }
}
