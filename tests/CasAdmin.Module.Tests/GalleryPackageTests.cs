using System.IO.Compression;
using System.Xml.Linq;
using CasAdmin.Docs;
using CasAdmin.Module.Tests.Infrastructure;

namespace CasAdmin.Module.Tests;

/// <summary>The PowerShell Gallery package of the assembled module folder (what -t:PackModule writes).</summary>
public sealed class GalleryPackageTests(ModuleMetadata module) : IClassFixture<ModuleMetadata>, IDisposable
{
    private static readonly XNamespace Nuspec = "http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd";
    private readonly string folder = Directory.CreateTempSubdirectory("casadmin-pack-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Pack(Uri? projectUri = null, Uri? licenseUri = null)
    {
        var file = Path.Combine(folder, $"CasAdmin.{Guid.NewGuid():N}.nupkg");
        GalleryPackage.Write(ModuleLayout.ModuleFolder, file, projectUri, licenseUri);
        return file;
    }

    private static string Text(ZipArchive zip, string name)
    {
        using var reader = new StreamReader(zip.GetEntry(name)?.Open() ?? throw new FileNotFoundException(name));
        return reader.ReadToEnd();
    }

    [Fact]
    public void Package_HoldsEveryModuleFile_AndANuspecTheGallerySearchesOn()
    {
        using var zip = ZipFile.OpenRead(Pack());

        var moduleFiles = Directory.EnumerateFiles(ModuleLayout.ModuleFolder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(ModuleLayout.ModuleFolder, f).Replace('\\', '/'));
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        Assert.All(moduleFiles, f => Assert.Contains(f, entries));
        Assert.Contains("[Content_Types].xml", entries);
        Assert.Contains("_rels/.rels", entries);

        var metadata = XDocument.Parse(Text(zip, "CasAdmin.nuspec")).Root!.Element(Nuspec + "metadata")!;
        Assert.Equal("CasAdmin", metadata.Element(Nuspec + "id")?.Value);
        Assert.Equal(ModuleLayout.Version, metadata.Element(Nuspec + "version")?.Value);
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(Nuspec + "description")?.Value));
        Assert.Contains("Remove-CasServiceAccount", metadata.Element(Nuspec + "releaseNotes")?.Value, StringComparison.Ordinal);
        var tags = metadata.Element(Nuspec + "tags")!.Value.Split(' ');
        Assert.Contains("PSModule", tags);
        Assert.Contains("PSEdition_Core", tags);
        Assert.All(module.Cmdlets, c => Assert.Contains("PSCmdlet_" + c.Name, tags));
    }

    [Fact]
    public void WithoutUris_ThePackageNamesNone()
    {
        using var zip = ZipFile.OpenRead(Pack());

        var metadata = XDocument.Parse(Text(zip, "CasAdmin.nuspec")).Root!.Element(Nuspec + "metadata")!;
        Assert.Null(metadata.Element(Nuspec + "projectUrl"));
        Assert.Null(metadata.Element(Nuspec + "licenseUrl"));
        Assert.DoesNotContain("ProjectUri", Text(zip, "CasAdmin.psd1"), StringComparison.Ordinal);
    }

    [Fact]
    public void GivenUris_LandInTheNuspecAndInThePackagedManifest_NotInTheModuleFolder()
    {
        var project = new Uri("https://example.org/casadmin");
        var license = new Uri("https://example.org/casadmin/license");

        using var zip = ZipFile.OpenRead(Pack(project, license));

        var metadata = XDocument.Parse(Text(zip, "CasAdmin.nuspec")).Root!.Element(Nuspec + "metadata")!;
        Assert.Equal(project.AbsoluteUri, metadata.Element(Nuspec + "projectUrl")?.Value);
        Assert.Equal(license.AbsoluteUri, metadata.Element(Nuspec + "licenseUrl")?.Value);
        var psData = (PowerShellDataFile.Parse(Text(zip, "CasAdmin.psd1"))["PrivateData"] as IReadOnlyDictionary<string, object?>)?["PSData"] as IReadOnlyDictionary<string, object?>;
        Assert.NotNull(psData);
        Assert.Equal(project.AbsoluteUri, psData["ProjectUri"]);
        Assert.Equal(license.AbsoluteUri, psData["LicenseUri"]);
        Assert.NotNull(psData["Tags"]);
        Assert.DoesNotContain("ProjectUri", File.ReadAllText(ModuleLayout.ModuleFile("CasAdmin.psd1")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://example.org/casadmin")]
    [InlineData("file:///tmp/license.txt")]
    public void ANonHttpsUri_IsRefused_AndNoPackageIsWritten(string address)
    {
        var file = Path.Combine(folder, "refused.nupkg");

        var error = Assert.Throws<InvalidDataException>(() => GalleryPackage.Write(ModuleLayout.ModuleFolder, file, projectUri: new Uri(address)));

        Assert.Contains("https://", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(file));
    }
}
