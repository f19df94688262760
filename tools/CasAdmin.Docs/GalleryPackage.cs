using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Text.RegularExpressions;

namespace CasAdmin.Docs;

/// <summary>
/// Writes a PowerShell Gallery package (.nupkg) of a module folder the way Publish-Module / Publish-PSResource lay
/// it out: the module files at the package root, a <c>&lt;Name&gt;.nuspec</c> built from the manifest (Author,
/// CompanyName, Copyright, Description, PrivateData.PSData Tags/ProjectUri/LicenseUri/IconUri/ReleaseNotes/
/// Prerelease/RequireLicenseAcceptance, RequiredModules, and the PSModule/PSCmdlet_*/PSCommand_*/PSEdition_* tags
/// the Gallery searches on), plus the OPC parts NuGet writes. Deterministic: sorted entries, fixed timestamps.
/// The project and license URIs are release inputs rather than text in the source manifest, so a build never
/// publishes an address nobody chose: given, they are written into the packaged manifest and the nuspec.
/// </summary>
public static class GalleryPackage
{
    private static readonly DateTimeOffset Timestamp = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static void Write(string moduleDir, string outFile, Uri? projectUri = null, Uri? licenseUri = null)
    {
        var manifests = Directory.GetFiles(moduleDir, "*.psd1");
        if (manifests.Length != 1)
        {
            throw new InvalidDataException($"{moduleDir} must hold exactly one module manifest (*.psd1); found {manifests.Length}.");
        }

        var id = Path.GetFileNameWithoutExtension(manifests[0]);
        var manifestName = Path.GetFileName(manifests[0]);
        var manifestText = File.ReadAllText(manifests[0]);
        manifestText = WithPsDataUri(manifestText, "ProjectUri", projectUri);
        manifestText = WithPsDataUri(manifestText, "LicenseUri", licenseUri);
        var m = PowerShellDataFile.Parse(manifestText, manifests[0]);
        var psData = (m.GetValueOrDefault("PrivateData") as IReadOnlyDictionary<string, object?>)?.GetValueOrDefault("PSData")
            as IReadOnlyDictionary<string, object?> ?? new Dictionary<string, object?>();
        var version = Required(m, "ModuleVersion");
        if (psData.GetValueOrDefault("Prerelease") is string pre && pre.Length > 0)
        {
            version += "-" + pre;
        }

        var nuspec = Nuspec(id, version, m, psData);
        var files = Directory.EnumerateFiles(moduleDir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(moduleDir, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

        var psmdcp = $"package/services/metadata/core-properties/{DeterministicId(id + "/" + version)}.psmdcp";
        var extensions = files.Select(f => Path.GetExtension(f).TrimStart('.')).Where(e => e.Length > 0)
            .Append("nuspec").Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
        using var stream = File.Create(outFile);
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create);
        Add(zip, "_rels/.rels", Rels(id, psmdcp));
        Add(zip, $"{id}.nuspec", nuspec);
        foreach (var f in files)
        {
            if (f == manifestName)
            {
                Add(zip, f, manifestText);
                continue;
            }

            var entry = zip.CreateEntry(f, CompressionLevel.Optimal);
            entry.LastWriteTime = Timestamp;
            using var target = entry.Open();
            using var source = File.OpenRead(Path.Combine(moduleDir, f));
            source.CopyTo(target);
        }

        Add(zip, "[Content_Types].xml", ContentTypes(extensions));
        Add(zip, psmdcp, CoreProperties(id, version, m));
    }

    /// <summary>Sets <paramref name="key"/> in the manifest's PrivateData.PSData to an absolute https URI.</summary>
    private static string WithPsDataUri(string manifest, string key, Uri? uri)
    {
        if (uri is null)
        {
            return manifest;
        }

        if (!uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttps || uri.OriginalString.Contains('\'', StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{key} must be an absolute https:// address; '{uri.OriginalString}' is not.");
        }

        var value = $"{key} = '{uri.AbsoluteUri}'";
        var existing = new Regex($@"(?m)^(?<indent>[ \t]*){key}\s*=\s*'[^']*'");
        if (existing.IsMatch(manifest))
        {
            return existing.Replace(manifest, m => m.Groups["indent"].Value + value, 1);
        }

        var psData = new Regex(@"(?m)^(?<indent>[ \t]*)PSData\s*=\s*@\{[ \t]*(?<eol>\r?\n)");
        var match = psData.Match(manifest);
        if (!match.Success)
        {
            throw new InvalidDataException($"The manifest has no 'PSData = @{{' line to put {key} in.");
        }

        return manifest.Insert(match.Index + match.Length, match.Groups["indent"].Value + "    " + value + match.Groups["eol"].Value);
    }

    private static string Nuspec(string id, string version, IReadOnlyDictionary<string, object?> m, IReadOnlyDictionary<string, object?> psData)
    {
        const string Ns = "http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd";
        var cmdlets = PowerShellDataFile.StringList(m, "CmdletsToExport");
        var functions = PowerShellDataFile.StringList(m, "FunctionsToExport");
        var tags = new List<string>(PowerShellDataFile.StringList(psData, "Tags")) { "PSModule" };
        tags.AddRange(PowerShellDataFile.StringList(m, "CompatiblePSEditions").Select(e => "PSEdition_" + e));
        if (cmdlets.Count > 0)
        {
            tags.Add("PSIncludes_Cmdlet");
        }

        if (functions.Count > 0)
        {
            tags.Add("PSIncludes_Function");
        }

        tags.AddRange(cmdlets.Select(c => "PSCmdlet_" + c));
        tags.AddRange(cmdlets.Concat(functions).Select(c => "PSCommand_" + c));
        if (tags.Any(t => t.Contains('*', StringComparison.Ordinal)))
        {
            throw new InvalidDataException("The manifest exports with wildcards; the Gallery needs explicit export lists.");
        }

        return Xml(w =>
        {
            w.WriteStartElement("package", Ns);
            w.WriteStartElement("metadata", Ns);
            w.WriteElementString("id", Ns, id);
            w.WriteElementString("version", Ns, version);
            w.WriteElementString("authors", Ns, Required(m, "Author"));
            w.WriteElementString("owners", Ns, m.GetValueOrDefault("CompanyName") as string ?? Required(m, "Author"));
            w.WriteElementString("requireLicenseAcceptance", Ns, psData.GetValueOrDefault("RequireLicenseAcceptance") is true ? "true" : "false");
            Optional(w, Ns, "licenseUrl", psData, "LicenseUri");
            Optional(w, Ns, "projectUrl", psData, "ProjectUri");
            Optional(w, Ns, "iconUrl", psData, "IconUri");
            w.WriteElementString("description", Ns, Required(m, "Description"));
            Optional(w, Ns, "releaseNotes", psData, "ReleaseNotes");
            Optional(w, Ns, "copyright", m, "Copyright");
            w.WriteElementString("tags", Ns, string.Join(' ', tags.Distinct(StringComparer.OrdinalIgnoreCase)));
            var required = m.GetValueOrDefault("RequiredModules") switch
            {
                null => [],
                IReadOnlyList<object?> list => list,
                var single => [single],
            };
            if (required.Count > 0)
            {
                w.WriteStartElement("dependencies", Ns);
                foreach (var dep in required)
                {
                    w.WriteStartElement("dependency", Ns);
                    if (dep is IReadOnlyDictionary<string, object?> spec)
                    {
                        w.WriteAttributeString("id", Required(spec, "ModuleName"));
                        var min = spec.GetValueOrDefault("ModuleVersion") as string ?? spec.GetValueOrDefault("RequiredVersion") as string;
                        if (min is not null)
                        {
                            w.WriteAttributeString("version", spec.ContainsKey("RequiredVersion") ? $"[{min}]" : min);
                        }
                    }
                    else
                    {
                        w.WriteAttributeString("id", dep as string ?? throw new InvalidDataException("RequiredModules holds a value that is neither a name nor a hashtable."));
                    }

                    w.WriteEndElement();
                }

                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteEndElement();
        });
    }

    private static string Rels(string id, string psmdcp) => Xml(w =>
    {
        const string Ns = "http://schemas.openxmlformats.org/package/2006/relationships";
        w.WriteStartElement("Relationships", Ns);
        w.WriteStartElement("Relationship", Ns);
        w.WriteAttributeString("Type", "http://schemas.microsoft.com/packaging/2010/07/manifest");
        w.WriteAttributeString("Target", $"/{id}.nuspec");
        w.WriteAttributeString("Id", "R" + DeterministicId("manifest/" + id)[..16]);
        w.WriteEndElement();
        w.WriteStartElement("Relationship", Ns);
        w.WriteAttributeString("Type", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties");
        w.WriteAttributeString("Target", "/" + psmdcp);
        w.WriteAttributeString("Id", "R" + DeterministicId("core/" + id)[..16]);
        w.WriteEndElement();
        w.WriteEndElement();
    });

    private static string ContentTypes(IEnumerable<string> extensions) => Xml(w =>
    {
        const string Ns = "http://schemas.openxmlformats.org/package/2006/content-types";
        w.WriteStartElement("Types", Ns);
        Default(w, Ns, "rels", "application/vnd.openxmlformats-package.relationships+xml");
        Default(w, Ns, "psmdcp", "application/vnd.openxmlformats-package.core-properties+xml");
        foreach (var ext in extensions)
        {
            Default(w, Ns, ext, "application/octet");
        }

        w.WriteEndElement();
    });

    private static string CoreProperties(string id, string version, IReadOnlyDictionary<string, object?> m) => Xml(w =>
    {
        const string Cp = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties";
        const string Dc = "http://purl.org/dc/elements/1.1/";
        w.WriteStartElement("coreProperties", Cp);
        w.WriteAttributeString("xmlns", "dc", null, Dc);
        w.WriteElementString("creator", Dc, Required(m, "Author"));
        w.WriteElementString("description", Dc, Required(m, "Description"));
        w.WriteElementString("identifier", Dc, id);
        w.WriteElementString("version", Cp, version);
        w.WriteElementString("lastModifiedBy", Cp, "CasAdmin.HelpBuilder");
        w.WriteEndElement();
    });

    private static void Default(XmlWriter w, string ns, string extension, string type)
    {
        w.WriteStartElement("Default", ns);
        w.WriteAttributeString("Extension", extension);
        w.WriteAttributeString("ContentType", type);
        w.WriteEndElement();
    }

    private static void Optional(XmlWriter w, string ns, string element, IReadOnlyDictionary<string, object?> table, string key)
    {
        if (table.GetValueOrDefault(key) is string value && value.Length > 0)
        {
            w.WriteElementString(element, ns, value);
        }
    }

    private static string Required(IReadOnlyDictionary<string, object?> table, string key) =>
        table.GetValueOrDefault(key) is string value && value.Length > 0
            ? value
            : throw new InvalidDataException($"The manifest has no '{key}'.");

    private static string Xml(Action<XmlWriter> body)
    {
        var sb = new StringBuilder();
        var settings = new XmlWriterSettings { Indent = true, IndentChars = "  ", NewLineChars = "\n", Encoding = new UTF8Encoding(false) };
        using (var w = XmlWriter.Create(new StringWriter(sb, CultureInfo.InvariantCulture), settings))
        {
            w.WriteStartDocument();
            body(w);
            w.WriteEndDocument();
        }

        return sb.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"", StringComparison.Ordinal) + "\n";
    }

    private static void Add(ZipArchive zip, string name, string content)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = Timestamp;
        using var s = entry.Open();
        var bytes = new UTF8Encoding(false).GetBytes(content);
        s.Write(bytes);
    }

    private static string DeterministicId(string seed) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)))[..32];
}
