//! Every environment variable mochi-dotnet reads, in one place (docs/environment.md
//! lists the same). Code reads a variable only through one of these constants, so
//! this file is the whole list; `scripts/check-structure.sh` refuses a read that names
//! a variable any other way.
//!
//! [`nonempty`] is the usual read: an unset and an empty variable are the same.

use std::ffi::OsString;

/// The variable's value, unless it is unset or empty.
pub fn nonempty(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

// ---- mochi-dotnet's own ----

/// The package cache folder (`.nupkg` files, their extraction, the shim cache under
/// `shims/`). Default: `$XDG_CACHE_HOME/mochi/dotnet-deps`, else
/// `$HOME/.cache/mochi/dotnet-deps`.
pub const MOCHI_DOTNET_CACHE: &str = "MOCHI_DOTNET_CACHE";

/// A capability database file to use instead of the one built into the bridge
/// (docs/lock.md, "Capabilities").
pub const MOCHI_DOTNET_CAPABILITIES: &str = "MOCHI_DOTNET_CAPABILITIES";

/// Forces the compiler that builds shims: `dotnet` (`sdk`), `csc` or `mcs`
/// (docs/shims.md, "Build"). Default: the first one found.
pub const MOCHI_DOTNET_SHIM_COMPILER: &str = "MOCHI_DOTNET_SHIM_COMPILER";

/// A .NET SDK folder (holding `dotnet` and `sdk/`) to build shims with, tried
/// before `DOTNET_ROOT` and the `dotnet` on `PATH`.
pub const MOCHI_DOTNET_SDK_ROOT: &str = "MOCHI_DOTNET_SDK_ROOT";

/// Set (to anything) to make `mochi-dotnet invoke` report the runtime, the shim
/// cache hit and the live handles on stderr.
pub const MOCHI_DOTNET_INVOKE_VERBOSE: &str = "MOCHI_DOTNET_INVOKE_VERBOSE";

// ---- .NET's ----

/// The .NET installation to host (a folder with `host/fxr` and
/// `shared/Microsoft.NETCore.App`); also where an SDK is looked for.
pub const DOTNET_ROOT: &str = "DOTNET_ROOT";

/// .NET's roll-forward policy, applied when no runtimeconfig names one.
pub const DOTNET_ROLL_FORWARD: &str = "DOTNET_ROLL_FORWARD";

// ---- NuGet's ----

/// NuGet's global packages folder (default `~/.nuget/packages`): packages found
/// there with a matching hash are reused instead of downloaded.
pub const NUGET_PACKAGES: &str = "NUGET_PACKAGES";

// ---- the usual ones ----

/// The home folder: the default cache root, NuGet's user config
/// (`~/.nuget/NuGet/NuGet.Config`), the default global packages folder, and
/// `~/.dotnet` when looking for .NET.
pub const HOME: &str = "HOME";

/// The XDG cache folder, for the default package cache root.
pub const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";

/// Where `dotnet`, `csc` and `mcs` are looked for.
pub const PATH: &str = "PATH";

/// A PEM bundle of CA certificates trusted besides the compiled-in Mozilla roots
/// (else the distribution's usual bundle path).
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// Proxies of the NuGet client, each read in upper case first, then lower case:
/// `HTTP_PROXY` for `http://` URLs, `HTTPS_PROXY` for `https://`, `ALL_PROXY` for
/// both when the other is unset, `NO_PROXY` the hosts reached directly.
pub const HTTP_PROXY: [&str; 2] = ["HTTP_PROXY", "http_proxy"];
/// See [`HTTP_PROXY`].
pub const HTTPS_PROXY: [&str; 2] = ["HTTPS_PROXY", "https_proxy"];
/// See [`HTTP_PROXY`].
pub const ALL_PROXY: [&str; 2] = ["ALL_PROXY", "all_proxy"];
/// See [`HTTP_PROXY`].
pub const NO_PROXY: [&str; 2] = ["NO_PROXY", "no_proxy"];

/// Not one variable: a NuGet.config value may name any variable as `%NAME%`,
/// which is replaced by its value (unknown names stay as written), as NuGet does.
pub const NUGET_CONFIG_REFERENCE: &str = "%NAME% in NuGet.config values";

/// Reads the variable a NuGet.config `%NAME%` reference names (see
/// [`NUGET_CONFIG_REFERENCE`]): the one read whose name comes from a file.
pub fn nuget_config_reference(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

// ---- publishing (docs/publishing.md) ----

/// A nuget.org API key for `mochi-dotnet publish` (instead of trusted publishing).
pub const NUGET_API_KEY: &str = "NUGET_API_KEY";

/// The nuget.org user name trusted publishing exchanges a token for.
pub const NUGET_USER: &str = "NUGET_USER";

/// Set to `true` by GitHub Actions.
pub const GITHUB_ACTIONS: &str = "GITHUB_ACTIONS";

/// GitHub Actions' OIDC token endpoint (with `id-token: write`), for trusted
/// publishing.
pub const ACTIONS_ID_TOKEN_REQUEST_URL: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";

/// The bearer token for [`ACTIONS_ID_TOKEN_REQUEST_URL`].
pub const ACTIONS_ID_TOKEN_REQUEST_TOKEN: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// Set for every `dotnet` process the shim build starts, so the SDK stays quiet and
/// offline; also `DOTNET_ROOT` (to the SDK's folder). `MSBuildSDKsPath`,
/// `MSBUILD_EXE_PATH` and `MSBuildExtensionsPath` are removed, so an outer MSBuild
/// cannot redirect the build.
pub const SET_FOR_DOTNET: [(&str, &str); 4] = [
    ("DOTNET_CLI_TELEMETRY_OPTOUT", "1"),
    ("DOTNET_SKIP_FIRST_TIME_EXPERIENCE", "1"),
    ("DOTNET_NOLOGO", "1"),
    ("DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE", "1"),
];
/// See [`SET_FOR_DOTNET`].
pub const REMOVED_FOR_DOTNET: [&str; 3] = [
    "MSBuildSDKsPath",
    "MSBUILD_EXE_PATH",
    "MSBuildExtensionsPath",
];

/// The variables of the test suite and the benchmarks (`.tools/env.sh` sets them;
/// docs/test-environment.md). Production code never reads these.
pub mod test {
    /// The .NET 8 runtime the tests host (`.tools/dotnet8`).
    pub const MOCHI_DOTNET8_ROOT: &str = "MOCHI_DOTNET8_ROOT";
    /// A .NET Core 3.1 runtime (`.tools/dotnet31`), for the locator's tests.
    pub const MOCHI_DOTNET31_ROOT: &str = "MOCHI_DOTNET31_ROOT";
    /// NuGet's packages restored for the corpus (`.tools/nuget-packages`).
    pub const MOCHI_NUGET_PACKAGES: &str = "MOCHI_NUGET_PACKAGES";
    /// pythonnet's folder (a netstandard2.0 library to read).
    pub const MOCHI_PYTHONNET_DIR: &str = "MOCHI_PYTHONNET_DIR";
    /// The System.Reflection.Metadata reference lister.
    pub const MOCHI_REFERENCE_LISTER: &str = "MOCHI_REFERENCE_LISTER";
    /// The Mono.Cecil/dnlib peer readers.
    pub const MOCHI_PEER_READERS: &str = "MOCHI_PEER_READERS";
    /// Set to rewrite committed expected files (the C header, goldens) instead of
    /// comparing with them.
    pub const MOCHI_DOTNET_BLESS: &str = "MOCHI_DOTNET_BLESS";
    /// The assemblies the reader benchmark reads (`:`-separated).
    pub const MOCHI_BENCH_FILES: &str = "MOCHI_BENCH_FILES";
}
