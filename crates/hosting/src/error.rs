//! Errors of the hosting crate: each says what failed and what to do next.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::status;
use crate::version::RuntimeVersion;

/// One place the locator looked for .NET, and why it was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub root: PathBuf,
    pub via: &'static str,
    pub outcome: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no .NET installation found{}\n  hint: {}",
        list_probes(.tried), install_hint(.required)
    )]
    DotnetNotFound { required: String, tried: Vec<Probe> },

    #[error(
        "no installed .NET runtime satisfies {framework} {required}: required {requirement}{}\n  hint: {}{}",
        list_probes(.tried), install_hint(.required), newer_hint(.newer)
    )]
    NoCompatibleRuntime {
        framework: &'static str,
        /// `8.0`.
        required: String,
        /// The requirement in full, with its roll-forward policy.
        requirement: String,
        /// Installed runtimes of a newer major version the policy does not
        /// allow (a roll-forward over majors would run on them).
        newer: Vec<RuntimeVersion>,
        tried: Vec<Probe>,
    },

    #[error("{path}: {reason}")]
    InvalidRuntimeConfig { path: PathBuf, reason: String },

    #[error(
        "cannot load hostfxr from {path}: {reason}\n  hint: the file may be for another architecture or damaged; reinstall the .NET runtime"
    )]
    LoadHostfxr { path: PathBuf, reason: String },

    #[error("{operation} failed with {code:#010x} ({}): {}{}", status::describe(*.code).name, status::describe(*.code).advice, list_details(.details))]
    Hostfxr {
        operation: &'static str,
        code: u32,
        /// What hostfxr itself wrote through its error writer.
        details: Vec<String>,
    },

    #[error(
        "the .NET runtime of this process is already running {running} (started for {running_requirement}); it cannot also serve a shim that needs {requested}: a process hosts one runtime, so every shim it loads must target the same framework major version"
    )]
    IncompatibleRunningRuntime {
        running: RuntimeVersion,
        running_requirement: String,
        requested: String,
    },

    #[error("cannot resolve {type_name}::{method} in {}: {reason}", .assembly.display())]
    EntryPoint {
        assembly: PathBuf,
        type_name: String,
        method: String,
        reason: String,
    },

    #[error(
        "{} speaks shim ABI version {found}, this host speaks version {expected}\n  hint: rebuild the shim with this version of mochi-dotnet (`mochi-dotnet sync`)",
        .assembly.display()
    )]
    AbiMismatch {
        assembly: PathBuf,
        found: i32,
        expected: i32,
    },

    #[error(
        "{} has the assembly name of a shim already loaded from {}; the shared load context keeps one assembly per name\n  hint: give every shim a unique assembly name (Mochi.Shim.<package>), or load this one with Shim::load_isolated",
        .assembly.display(),
        .loaded_from.display()
    )]
    ShimNameClash {
        assembly: PathBuf,
        loaded_from: PathBuf,
    },

    #[error("cannot enlarge the alternate signal stack: {0}")]
    AltStack(#[source] std::io::Error),

    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn list_probes(tried: &[Probe]) -> String {
    let mut s = String::new();
    if tried.is_empty() {
        s.push_str(" (no candidate folder: DOTNET_ROOT unset, no `dotnet` on PATH, no standard folder exists)");
    } else {
        s.push_str("; looked in:");
        for p in tried {
            let _ = write!(s, "\n  {} ({}): {}", p.root.display(), p.via, p.outcome);
        }
    }
    s
}

/// How to get the `Microsoft.NETCore.App` runtime `required` (`8.0`).
fn install_hint(required: &str) -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => other,
    };
    format!(
        "install the .NET {required} runtime (Microsoft.NETCore.App {required}): Debian/Ubuntu `apt-get install dotnet-runtime-{required}` (Microsoft's package feed), or `dotnet-install.sh --runtime dotnet --channel {required}` (https://dot.net/v1/dotnet-install.sh), or https://aka.ms/dotnet-core-applaunch?framework=Microsoft.NETCore.App&framework_version={required}.0&arch={arch}; then set DOTNET_ROOT to its folder unless it is a standard one"
    )
}

fn newer_hint(newer: &[RuntimeVersion]) -> String {
    if newer.is_empty() {
        return String::new();
    }
    let vs: Vec<String> = newer.iter().map(ToString::to_string).collect();
    format!(
        "\n  hint: or run on the newer runtime installed ({}): roll forward over major versions (rollForward Major or LatestMajor)",
        vs.join(", ")
    )
}

fn list_details(details: &[String]) -> String {
    let mut s = String::new();
    for d in details {
        let _ = write!(s, "\n  hostfxr: {d}");
    }
    s
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
