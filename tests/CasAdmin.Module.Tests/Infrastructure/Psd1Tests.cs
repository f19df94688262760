namespace CasAdmin.Module.Tests.Infrastructure;

/// <summary>How the manifest tests turn PowerShell's parse of a manifest into string lists: if that misread, they could pass on a wrong manifest.</summary>
public sealed class Psd1Tests
{
    private const string Manifest = """
        @{
            RootModule = 'CasAdmin.dll'   # the cmdlets
            <# CmdletsToExport = @('Commented-Out') #>
            CmdletsToExport = @(
                'Connect-CasTenant'   # sign in
                "Get-CasConnection",
                'Disconnect-CasTenant'
            )
            # FunctionsToExport = '*'
            FunctionsToExport = @()
            AliasesToExport = 'a', "b"
            Description = 'Has a # inside'
        }
        """;

    [Fact]
    public void Strings_ReadsArrays_AcrossLines_IgnoringComments()
    {
        Assert.Equal(["Connect-CasTenant", "Get-CasConnection", "Disconnect-CasTenant"], Psd1.Strings(Manifest, "CmdletsToExport"));
        Assert.Equal(["Connect-CasTenant", "Get-CasConnection", "Disconnect-CasTenant"], Psd1.Strings(Manifest, "cmdletstoexport"));
    }

    [Fact]
    public void Parse_RefusesWhatIsNotData()
    {
        Assert.Throws<InvalidDataException>(() => Psd1.Parse("@{ RootModule = 'a' "));
        Assert.ThrowsAny<Exception>(() => Psd1.Parse("@{ RootModule = (Get-Date) }"));
    }

    [Fact]
    public void Strings_ReadsEmptyArrays_BareLists_AndSingleValues()
    {
        Assert.Equal([], Psd1.Strings(Manifest, "FunctionsToExport"));
        Assert.Equal(["a", "b"], Psd1.Strings(Manifest, "AliasesToExport"));
        Assert.Equal(["CasAdmin.dll"], Psd1.Strings(Manifest, "RootModule"));
        Assert.Equal(["Has a # inside"], Psd1.Strings(Manifest, "Description"));
        Assert.Null(Psd1.Strings(Manifest, "VariablesToExport"));
    }
}
