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
        "no .NET installation found{}\nhint: install the .NET {required} runtime (Debian/Ubuntu: `apt-get install dotnet-runtime-{required}`; elsewhere https://dot.net) or set DOTNET_ROOT to its folder",
        list_probes(.tried)
    )]
    DotnetNotFound { required: String, tried: Vec<Probe> },

    #[error(
        "no installed .NET runtime satisfies {framework} {required}{}\nhint: install the .NET {required} runtime (https://dot.net) or point DOTNET_ROOT at an installation that has it",
        list_probes(.tried)
    )]
    NoCompatibleRuntime {
        framework: &'static str,
        required: String,
        tried: Vec<Probe>,
    },

    #[error("{path}: {reason}")]
    InvalidRuntimeConfig { path: PathBuf, reason: String },

    #[error(
        "cannot load hostfxr from {path}: {reason}\nhint: the file may be for another architecture or damaged; reinstall the .NET runtime"
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
        "{} speaks shim ABI version {found}, this host speaks version {expected}\nhint: rebuild the shim with this version of mochi-dotnet (`mochi-dotnet sync`)",
        .assembly.display()
    )]
    AbiMismatch {
        assembly: PathBuf,
        found: i32,
        expected: i32,
    },

    #[error(
        "{} has the assembly name of a shim already loaded from {}; the shared load context keeps one assembly per name\nhint: give every shim a unique assembly name (Mochi.Shim.<package>), or load this one with Shim::load_isolated",
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

fn list_details(details: &[String]) -> String {
    let mut s = String::new();
    for d in details {
        let _ = write!(s, "\n  hostfxr: {d}");
    }
    s
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
