//! `mochi-dotnet`: the .NET / NuGet package bridge of the Mochi language.
//!
//! A thin front end: parses the command line, runs the command of the bridge
//! library (`bridge::ops`), prints its report, and on failure prints the error
//! with its source chain (`bridge::report`, as the C API reports it).

mod invoke;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use bridge::ops;

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
    Bind(BindArgs),
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
    Publish(PublishArgs),
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

/// Arguments of `mochi-dotnet publish` (`publish::cli::PublishArgs`).
#[derive(clap::Args, Debug)]
struct PublishArgs {
    /// Where to push: `nuget.org`, a name from [dotnet.publish.registries], or a NuGet v3 service index URL.
    #[arg(long = "to", value_name = "REGISTRY", default_value = "nuget.org")]
    to: String,
    /// Build and validate the package, write it under target/nuget/, print what would be pushed; no network.
    #[arg(long)]
    dry_run: bool,
    /// Write .github/workflows/release.yml (trusted publishing from GitHub Actions) instead of publishing.
    #[arg(long)]
    emit_ci: bool,
    /// With --emit-ci: replace an existing workflow file.
    #[arg(long, requires = "emit_ci")]
    force: bool,
    /// The library's manifest.
    #[arg(long, value_name = "FILE", default_value = "mochi.toml")]
    manifest_path: PathBuf,
}

/// Arguments of `mochi-dotnet bind`.
#[derive(clap::Args, Debug)]
struct BindArgs {
    /// An assembly (.dll/.exe), or the id of a package locked in mochi.lock.
    target: String,
    /// Folder for plan.json, <pkg>_extern.mochi, <pkg>.mochi, SKIPPED.txt and skipped.json.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// For a locked package: the target framework whose lib/ assets are bound
    /// (default: the one mochi.lock records).
    #[arg(long, value_name = "TFM")]
    framework: Option<String>,
    /// Mochi package name used in entry points (default: the package id in lower-snake).
    #[arg(long, value_name = "NAME")]
    package: Option<String>,
    /// Package version for the file headers (default: the locked or assembly version).
    #[arg(long, value_name = "V")]
    version: Option<String>,
    /// Generic instantiations: a .json or mochi.toml file, or inline
    /// `Key=Arg1,Arg2;Arg1,Arg2` (e.g. "Ns.JToken::Value``1=System.String;System.Int32").
    #[arg(long, value_name = "FILE-OR-INLINE")]
    monomorphise: Vec<String>,
    /// Extra reference assemblies (files or folders) used as type context.
    #[arg(long, value_name = "PATH")]
    context: Vec<PathBuf>,
    /// The manifest (its mochi.lock and [dotnet.monomorphise]) for a locked package id.
    #[arg(long, value_name = "FILE", default_value = "mochi.toml")]
    manifest_path: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let chain: Vec<&(dyn std::error::Error + 'static)> = e.chain().collect();
            eprintln!("error: {}", bridge::report::render_chain(chain));
            ExitCode::FAILURE
        }
    }
}

/// Prints a line the compiler driver says before it compiles a shim.
fn announce(line: &str) {
    eprintln!("note: {line}");
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Bind(args) => {
            let request = ops::bind::BindRequest {
                framework: args.framework,
                package: args.package,
                version: args.version,
                monomorphise: args.monomorphise,
                context: args.context,
                manifest_path: args.manifest_path,
                ..ops::bind::BindRequest::new(args.target, args.out)
            };
            let report = ops::bind::run(&request)?;
            eprint!("{}", report.stderr_text());
        }
        Command::Meta {
            assembly,
            json: _,
            list,
            sha256,
            output,
        } => {
            let format = if list {
                ops::meta::MetaFormat::Listing
            } else if sha256 {
                ops::meta::MetaFormat::Sha256
            } else {
                ops::meta::MetaFormat::Json
            };
            ops::meta::run(&assembly, format, output.as_deref())?;
        }
        Command::Lock {
            check,
            offline,
            accept_capability,
            quiet,
            manifest_path,
        } => {
            let request = ops::lock::LockRequest {
                check,
                offline,
                quiet,
                accept_capabilities: accept_capability
                    .iter()
                    .filter_map(|c| project::manifest::Capability::parse(c))
                    .collect(),
                ..ops::lock::LockRequest::new(manifest_path)
            };
            let report = ops::lock::run(&request)?;
            if !quiet {
                eprint!("{}", report.summary());
            }
        }
        Command::Invoke {
            target,
            call,
            package,
            manifest_path,
        } => {
            let verbose = std::env::var_os(envvars::MOCHI_DOTNET_INVOKE_VERBOSE).is_some();
            let o = invoke::run(&target, &call, &manifest_path, package.as_deref(), verbose)?;
            println!("{}", o.result);
            if verbose {
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
        }
        Command::Sync {
            no_build,
            manifest_path,
        } => {
            let request = ops::sync::SyncRequest {
                manifest_path,
                build: !no_build,
                project: Default::default(),
                dotnet_root: None,
                announce: Some(announce),
            };
            let report = ops::sync::run(&request)?;
            for s in &report.synced {
                for (ep, why) in &s.dropped {
                    eprintln!(
                        "warning: {}: {ep} dropped from the shim by the compiler: {why}",
                        s.id
                    );
                }
            }
            for (id, why) in &report.no_shim {
                eprintln!("note: {id}: no shim: {why}");
            }
            for s in &report.synced {
                eprintln!("{}", ops::sync::summary_line(s));
            }
            if !report.failed.is_empty() {
                anyhow::bail!("{}", report.failure_message());
            }
        }
        Command::Publish(args) => {
            publish::cli::run(&publish::cli::PublishArgs {
                to: args.to,
                dry_run: args.dry_run,
                emit_ci: args.emit_ci,
                force: args.force,
                manifest_path: args.manifest_path,
            })?;
        }
        Command::Add {
            package,
            offline,
            quiet,
            manifest_path,
        } => {
            let request = ops::add::AddRequest {
                spec: package,
                lock: ops::lock::LockRequest {
                    offline,
                    quiet,
                    ..ops::lock::LockRequest::new(manifest_path)
                },
            };
            let report = ops::add::run(&request)?;
            if !quiet {
                eprint!("{}", report.summary());
            }
        }
    }
    Ok(())
}
