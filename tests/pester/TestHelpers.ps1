<#
    Shared by every *.Tests.ps1 of tests/pester: dot-source it in BeforeAll (`. $PSScriptRoot/TestHelpers.ps1`).
    It finds and imports the built module, starts ONE sandbox per file (the one the module ships, through
    Start-CasSandbox: `dotnet run` of the project would rebuild it and take much longer), reads Graph through the
    sandbox's control API (so that tests check the tenant, not the module's own output), starts child pwsh processes
    that work under both installs of pwsh, and tears everything down in AfterAll (Stop-TestSandbox).
#>

$RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

# The module folder the build assembled: out/CasAdmin/<CasAdminVersion>/.
function Get-TestModuleFolder {
    $props = [xml](Get-Content -Raw -LiteralPath (Join-Path $RepoRoot 'Directory.Build.props'))
    $version = @($props.Project.PropertyGroup | ForEach-Object { $_.CasAdminVersion } | Where-Object { $_ })[0]
    $folder = Join-Path $RepoRoot "out/CasAdmin/$version"
    if (-not (Test-Path -LiteralPath (Join-Path $folder 'CasAdmin.psd1'))) {
        throw "The module is not built: $folder/CasAdmin.psd1 is missing. Run 'dotnet build CasAdmin.sln -c Release' first."
    }
    $folder
}

$ModuleFolder = Get-TestModuleFolder

# Registries live here, not in $TestDrive: Pester deletes the files a Describe created in $TestDrive when it ends,
# while the module (and child processes) still use them. Removed by Stop-TestSandbox.
$TestRoot = Join-Path ([System.IO.Path]::GetTempPath()) "casadmin-pester-$([guid]::NewGuid().ToString('n').Substring(0, 12))"
$null = New-Item -ItemType Directory -Force -Path $TestRoot
$Manifest = Join-Path $ModuleFolder 'CasAdmin.psd1'

# -Global: the helper is dot-sourced, but Pester runs blocks in nested scopes; the module must be visible to every It.
function Import-TestModule {
    Import-Module $Manifest -Force -Global -ErrorAction Stop
}

<#
    Starts the file's sandbox and connects to its tenants with a registry in $TestDrive. Sets $sandbox,
    $connections, $contoso (the default connection, the sandbox's first tenant), $fabrikam and $sandboxInfo
    (the control API's /_sandbox/info: every app, user and the managed identity endpoint of each tenant) in the
    caller's script scope.
#>
function Start-TestSandbox {
    param(
        [string] $Name = 'registry',
        [string] $Scenario,
        [switch] $NoConnect
    )
    $parameters = @{ TimeoutSeconds = 180; Confirm = $false }
    if ($Scenario) {
        $parameters.Scenario = $Scenario
    }
    if (-not $NoConnect) {
        $parameters.Connect = $true
        $parameters.StorePath = Join-Path $TestRoot "$Name.db"
    }
    $output = @(Start-CasSandbox @parameters)
    # Everything Start-CasSandbox wrote (the sandbox, then its connections), for tests that pipe it on.
    $script:sandboxOutput = $output
    $script:sandbox = $output[0]
    $script:connections = @($output | Select-Object -Skip 1)
    $script:contoso = if ($connections.Count -gt 0) { $connections[0] } else { $null }
    $script:fabrikam = if ($connections.Count -gt 1) { $connections[1] } else { $null }
    $script:sandboxInfo = Invoke-SandboxControl GET 'info'
}

# Closes the file's connections, stops its sandbox and removes the module (AfterAll). Never throws: AfterAll must
# not hide the tests' own failures.
function Stop-TestSandbox {
    if (Get-Module CasAdmin) {
        Disconnect-CasTenant -All -Confirm:$false -ErrorAction SilentlyContinue
        Stop-CasSandbox -All -Confirm:$false -ErrorAction SilentlyContinue
        Remove-Module CasAdmin -Force -ErrorAction SilentlyContinue
    }
    Remove-Item -LiteralPath $TestRoot -Recurse -Force -ErrorAction SilentlyContinue
}

# New connections to both sandbox tenants with a fresh registry: a Describe that needs a clean slate after another
# one removed the accounts (with Reset-TestSandbox) needs no second sandbox.
function Connect-TestSandbox([string] $Name) {
    Disconnect-CasTenant -All -Confirm:$false -ErrorAction SilentlyContinue
    $script:connections = @(foreach ($tenant in $sandbox.Tenants) {
            Connect-CasTenant -TenantId $tenant.TenantId -ClientId $tenant.AdminAppId -ClientSecret $tenant.AdminAppSecret `
                -Environment Sandbox -SandboxUrl $sandbox.Url -SandboxThumbprint $sandbox.Thumbprint -StorePath (Join-Path $TestRoot "$Name.db")
        })
    $script:contoso = $connections[0]
    $script:fabrikam = $connections[1]
}

# The sandbox's control API (/_sandbox/...): no Graph token; its certificate is the sandbox's own.
function Invoke-SandboxControl([string] $Method, [string] $Path, [object] $Body) {
    $request = @{ Method = $Method; Uri = [uri]::new($sandbox.Url, "_sandbox/$Path"); SkipCertificateCheck = $true }
    if ($PSBoundParameters.ContainsKey('Body')) {
        $request.Body = $Body | ConvertTo-Json -Depth 5
        $request.ContentType = 'application/json'
    }
    Invoke-RestMethod @request
}

# Back to the seeded tenants: every deleted principal, user and group is back, faults and latency are cleared.
function Reset-TestSandbox {
    $null = Invoke-SandboxControl POST 'reset'
}

# What Graph holds for a tenant: applications, servicePrincipals, users, groups, grants, role assignments.
function Get-SandboxState([string] $TenantId) {
    Invoke-SandboxControl GET "tenants/$TenantId/state"
}

function Set-SandboxLatency([int] $Milliseconds) {
    $null = Invoke-SandboxControl PUT 'latency' @{ fixedMs = $Milliseconds; jitterMs = 0 }
}

<#
    The command line of a child pwsh of the same installation: "dotnet <PSHOME>/pwsh.dll" when this pwsh is the
    .NET tool (its process is dotnet, so [Environment]::ProcessPath alone would start dotnet, not pwsh), else the
    pwsh executable itself.
#>
function Get-TestPwsh {
    $process = [Environment]::ProcessPath
    switch ([System.IO.Path]::GetFileNameWithoutExtension($process)) {
        'dotnet' { return @($process, (Join-Path $PSHOME 'pwsh.dll')) }
        'pwsh' { return @($process) }
    }
    # Another host of PowerShell (an IDE, a test runner): the pwsh of its $PSHOME, else the one on PATH.
    $pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    if (Test-Path -LiteralPath $pwsh) { @($pwsh) } else { @('pwsh') }
}

<#
    Starts a script file in a child pwsh (-NoProfile; -NonInteractive unless -Interactive) and returns a handle for
    Wait-TestPwsh. The child finds the built module by name (out/ on its PSModulePath, as an installed module would
    be found), gets -Environment as extra environment variables, and -InputLines on stdin (answers to prompts).
#>
function Start-TestPwsh {
    param(
        [Parameter(Mandatory)] [string] $File,
        [string[]] $ArgumentList = @(),
        [hashtable] $Environment = @{},
        [string[]] $InputLines,
        [switch] $Interactive
    )
    $pwsh = @(Get-TestPwsh)
    $psi = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
    foreach ($argument in @($pwsh | Select-Object -Skip 1) + @('-NoProfile') + @(if (-not $Interactive) { '-NonInteractive' }) + @('-File', $File) + $ArgumentList) {
        $psi.ArgumentList.Add($argument)
    }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.RedirectStandardInput = $true
    $psi.WorkingDirectory = $TestDrive
    $psi.Environment['PSModulePath'] = (Join-Path $RepoRoot 'out') + [System.IO.Path]::PathSeparator + $env:PSModulePath
    # Plain text: the assertions read the child's output, not its colours.
    $psi.Environment['NO_COLOR'] = '1'
    foreach ($key in $Environment.Keys) {
        $psi.Environment[$key] = [string]$Environment[$key]
    }
    $process = [System.Diagnostics.Process]::Start($psi)
    $handle = [pscustomobject]@{
        File    = $File
        Process = $process
        Stdout  = $process.StandardOutput.ReadToEndAsync()
        Stderr  = $process.StandardError.ReadToEndAsync()
    }
    foreach ($line in $InputLines) {
        $process.StandardInput.WriteLine($line)
    }
    $process.StandardInput.Close()
    $handle
}

# Waits for a child of Start-TestPwsh; returns ExitCode, Output (stdout lines), Text (stdout) and Errors (stderr).
# A child that outlives -TimeoutSeconds is killed and the test fails.
function Wait-TestPwsh([object] $Handle, [int] $TimeoutSeconds = 300) {
    $process = $Handle.Process
    try {
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            throw "The child pwsh running $($Handle.File) did not finish within $TimeoutSeconds seconds."
        }
        $process.WaitForExit()
        [pscustomobject]@{
            ExitCode = $process.ExitCode
            Output   = @($Handle.Stdout.Result -split '\r?\n')
            Text     = $Handle.Stdout.Result
            Errors   = $Handle.Stderr.Result
        }
    }
    finally {
        $process.Dispose()
    }
}

# Start-TestPwsh, then Wait-TestPwsh.
function Invoke-TestPwsh {
    param(
        [Parameter(Mandatory)] [string] $File,
        [string[]] $ArgumentList = @(),
        [hashtable] $Environment = @{},
        [string[]] $InputLines,
        [switch] $Interactive,
        [int] $TimeoutSeconds = 300
    )
    $null = $PSBoundParameters.Remove('TimeoutSeconds')
    Wait-TestPwsh (Start-TestPwsh @PSBoundParameters) $TimeoutSeconds
}
