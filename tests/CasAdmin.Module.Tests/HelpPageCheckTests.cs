using CasAdmin.Docs;
using CasAdmin.Module.Tests.Infrastructure;

namespace CasAdmin.Module.Tests;

/// <summary>
/// The help builder's page checks on Markdig's and YamlDotNet's reading of a page: a real page parses into the model,
/// and each kind of broken page is refused with its line, so the build never ships help from a page it misread.
/// </summary>
public sealed class HelpPageCheckTests
{
    private static readonly string PagePath = Path.Combine(ModuleLayout.RepoRoot, "docs", "en-US", "Get-CasConnection.md");
    private static readonly string Page = File.ReadAllText(PagePath).ReplaceLineEndings("\n");

    [Fact]
    public void ARealPage_ParsesIntoTheModel()
    {
        var help = CommandHelpParser.Parse(PagePath, Page);

        Assert.Equal("Get-CasConnection", help.Name);
        Assert.Equal("2.0.0", help.Metadata["schema"]);
        Assert.Equal(string.Empty, help.OnlineVersion);
        Assert.Equal("Lists the CasAdmin connections of the session.", help.Synopsis);
        Assert.Equal("SwitchParameter", help.FindParameter("Default")?.Type);
        Assert.Equal(0, help.FindParameter("TenantId")?.Usages[0].Position);
        Assert.Equal(PipelineInput.ByPropertyName, help.FindParameter("TenantId")?.Usages[0].PipelineInput);
        Assert.Equal(new RelatedLink("Connect-CasTenant", "Connect-CasTenant.md"), help.RelatedLinks[0]);
        Assert.Equal(3, help.RelatedLinks.Count);
    }

    /// <summary>
    /// Get-Help shows text: the model keeps the text of code spans, emphasis and links without their markdown, as
    /// platyPS does, while code fences stay as written and list items keep their marker.
    /// </summary>
    [Fact]
    public void InlineMarkdown_BecomesPlainText_CodeAndListsStayReadable()
    {
        const string original = "Filter by tenant ID or domain with `-TenantId` (wildcards are supported), or get only the default\nconnection with `-Default`.";
        Assert.Contains(original, Page, StringComparison.Ordinal);
        var text = Page.Replace(original,
            "Filter with `-TenantId`, **bold** and *stressed*, a [web link](https://learn.microsoft.com/graph/) and a [sibling page](Get-CasServiceAccount.md),\n" +
            "an escaped \\*star\\*, a hard\\\nbreak and `` a `tick` span ``.\n\n- first `item`\n- second **item**\n\n1. numbered [one](https://example.com/one)\n\n",
            StringComparison.Ordinal);

        var help = CommandHelpParser.Parse(PagePath, text);

        Assert.Contains("Filter with -TenantId, bold and stressed, a web link (https://learn.microsoft.com/graph/) and a sibling page, an escaped *star*, a hard break and a `tick` span.", help.Description);
        Assert.Contains("- first item", help.Description);
        Assert.Contains("- second item", help.Description);
        Assert.Contains("1. numbered one (https://example.com/one)", help.Description);
        Assert.Contains("Get-CasConnection -TenantId", help.Examples[1].Code, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("schema: 2.0.0\n---\n", "schema: 2.0.0\n", "front matter block is not closed")]
    [InlineData("Lists the CasAdmin connections of the session.", "{{ Fill in the Synopsis }}", "platyPS placeholder")]
    [InlineData("Type: SwitchParameter\n", "Type: SwitchParameter\nAlias: d\n", "'Alias' is not one of the yaml keys")]
    [InlineData("Type: SwitchParameter\n", "Type: SwitchParameter\nType: String\n", "Parameter -Default")]
    [InlineData("Type: SwitchParameter\n", "Type: [SwitchParameter\n", "Parameter -Default")]
    [InlineData("[Disconnect-CasTenant](Disconnect-CasTenant.md)", "[Disconnect-CasTenant](Disconnect-CasTenant.md) and more", "not a list of [text](uri) links")]
    [InlineData("## DESCRIPTION\n", "## DESCRIPTION\n\n    indented code\n\n", "has no place in help")]
    [InlineData("[about_CasAdmin](about_CasAdmin.md)", "[about_CasAdmin](about_CasAdmin.md)\n\n```\nunclosed", "Code fence is not closed")]
    public void ABrokenPage_IsRefused_WithTheLine(string original, string broken, string expected)
    {
        Assert.Contains(original, Page, StringComparison.Ordinal);
        var text = Page.Replace(original, broken, StringComparison.Ordinal);

        var error = Assert.Throws<HelpFormatException>(() => CommandHelpParser.Parse(PagePath, text));

        var issue = Assert.Single(error.Issues, i => i.Message.Contains(expected, StringComparison.Ordinal));
        Assert.True(issue.Line > 0, $"'{issue.Message}' names no line.");
    }
}
