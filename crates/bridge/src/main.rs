//! `mochi-dotnet`: the .NET / NuGet package bridge of the Mochi language.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use bridge::bind;

#[derive(Parser)]
#[command(
    name = "mochi-dotnet",
    version,
    about = "The .NET / NuGet package bridge for Mochi"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Bind an assembly or a locked package: plan.json, the Mochi files, SKIPPED.txt.
    Bind(bind::BindArgs),
    /// Print the public surface of a .NET assembly (canonical JSON by default).
    Meta {
        /// The assembly (.dll or .exe) to read.
        assembly: PathBuf,
        /// Print the canonical JSON surface (the default).
        #[arg(long, conflicts_with_all = ["list", "sha256"])]
        json: bool,
        /// Print the surface listing (one line per type and member).
        #[arg(long, conflicts_with = "sha256")]
        list: bool,
        /// Print `<metadata-sha256>  <path>`: the SHA-256 of the canonical JSON.
        #[arg(long)]
        sha256: bool,
        /// Write to FILE instead of standard output (atomically; untouched on error).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Resolve [dotnet-dependencies] and write mochi.lock (or verify it with --check).
    Lock {
        /// Verify mochi.lock: recompute every hash and field, fail on any drift.
        #[arg(long)]
        check: bool,
        /// Use only the package cache and local feeds; never the network.
        #[arg(long)]
        offline: bool,
        /// Grant a capability (`net` or `fs`) in mochi.toml, then lock.
        #[arg(long = "accept-capability", value_name = "CAP", value_parser = ["net", "fs"])]
        accept_capability: Vec<String>,
        /// No progress bar and no summary line.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// The manifest to lock.
        #[arg(long, value_name = "FILE", default_value = "mochi.toml")]
        manifest_path: PathBuf,
    },
    /// Call one translated member of an assembly or locked package; prints the result as JSON.
    ///
    /// `mochi-dotnet invoke Newtonsoft.Json.dll JObject.Parse '{"a":[1,2]}' + JToken.SelectToken 'a[1]' + JToken.ToString`
    /// Arguments are JSON (a token that is not JSON is a string); `+` chains calls, the
    /// previous result becoming the receiver (or first argument) of the next member.
    Invoke {
        /// An assembly (.dll) or the id of a package locked in mochi.lock.
        target: String,
        /// `Type.Member [json-args...] [+ Type.Member [json-args...]]...`
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        call: Vec<String>,
        /// Mochi package name used in entry points (default: the id in lower-snake).
        #[arg(long, value_name = "NAME")]
        package: Option<String>,
        /// The manifest whose mochi.lock holds a package id.
        #[arg(long, value_name = "FILE", default_value = "mochi.toml")]
        manifest_path: PathBuf,
    },
    /// Regenerate (and build) the shim of every locked package into dotnet_shim/; mochi.lock is not touched.
    Sync {
        /// Only write the shim projects; do not compile them.
        #[arg(long)]
        no_build: bool,
        /// The manifest (its mochi.lock).
        #[arg(long, value_name = "FILE", default_value = "mochi.toml")]
        manifest_path: PathBuf,
    },
    /// Publish this Mochi library as a NuGet package (docs/publishing.md).
    Publish(publish::cli::PublishArgs),
    /// Add a NuGet package to [dotnet-dependencies] (`Id` or `Id@range`), then lock.
    Add {
        /// `Newtonsoft.Json` or `Newtonsoft.Json@^13.0`.
        package: String,
        /// Use only the package cache and local feeds; never the network.
        #[arg(long)]
        offline: bool,
        /// No progress bar and no summary line.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// The manifest to edit.
        #[arg(long, value_name = "FILE", default_value = "mochi.toml")]
        manifest_path: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<()> = match cli.command {
        Command::Bind(args) => bind::run(&args),
        Command::Meta {
            assembly,
            json: _,
            list,
            sha256,
            output,
        } => {
            let format = if list {
                bridge::meta::MetaFormat::Listing
            } else if sha256 {
                bridge::meta::MetaFormat::Sha256
            } else {
                bridge::meta::MetaFormat::Json
            };
            bridge::meta::run(&assembly, format, output.as_deref()).map_err(Into::into)
        }
        Command::Lock {
            check,
            offline,
            accept_capability,
            quiet,
            manifest_path,
        } => {
            let options = bridge::lock::LockOptions {
                check,
                accept_capabilities: accept_capability
                    .iter()
                    .filter_map(|c| bridge::manifest::Capability::parse(c))
                    .collect(),
                quiet,
                parallelism: 6,
                shims: true,
            };
            bridge::lock::run_with_nuget(&manifest_path, offline, &options)
                .map(|outcome| {
                    if !quiet {
                        eprint!("{}", bridge::lock::summary(&outcome, check));
                    }
                })
                // The message already carries its causes and hints.
                .map_err(|e| anyhow::Error::msg(e.to_string()))
        }
        Command::Invoke {
            target,
            call,
            package,
            manifest_path,
        } => bridge::invoke::run(&target, &call, &manifest_path, package.as_deref()).map(|o| {
            println!("{}", o.result);
            if std::env::var_os("MOCHI_DOTNET_INVOKE_VERBOSE").is_some() {
                eprintln!(
                    "shim cache {}; live handles after release: {}",
                    if o.shim_cache_hit {
                        "hit"
                    } else {
                        "miss (built)"
                    },
                    o.live_handles_after
                );
            }
        }),
        Command::Sync {
            no_build,
            manifest_path,
        } => bridge::sync::run_all(&manifest_path, !no_build).and_then(|report| {
            for (id, why) in &report.no_shim {
                eprintln!("note: {id}: no shim: {why}");
            }
            for s in &report.synced {
                let drift = match &s.recorded {
                    Some(r) if *r != s.shim_sha256 => {
                        " (differs from mochi.lock: run `mochi-dotnet lock`)"
                    }
                    None => " (not recorded in mochi.lock: run `mochi-dotnet lock`)",
                    _ => "",
                };
                eprintln!(
                    "{}: {} shim-sha256 {}{drift}{}",
                    s.id,
                    s.dir.display(),
                    s.shim_sha256,
                    match &s.assembly {
                        Some(a) => format!(
                            "; built {} ({})",
                            a.display(),
                            if s.cache_hit { "cached" } else { "compiled" }
                        ),
                        None => String::new(),
                    }
                );
            }
            if report.failed.is_empty() {
                Ok(())
            } else {
                Err(anyhow::anyhow!("{}", report.failure_message()))
            }
        }),
        Command::Publish(args) => publish::cli::run(&args)
            .map(|_| ())
            .map_err(|e| anyhow::Error::msg(e.to_string())),
        Command::Add {
            package,
            offline,
            quiet,
            manifest_path,
        } => {
            let options = bridge::lock::LockOptions {
                quiet,
                parallelism: 6,
                shims: true,
                ..Default::default()
            };
            bridge::add::run_with_nuget(&manifest_path, &package, offline, &options)
                .map(|(id, range, outcome)| {
                    if !quiet {
                        eprintln!("added {id} = \"{range}\" to {}", manifest_path.display());
                        eprint!("{}", bridge::lock::summary(&outcome, false));
                    }
                })
                .map_err(|e| anyhow::Error::msg(e.to_string()))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
