//! `mochi-dotnet`: the .NET / NuGet package bridge of the Mochi language.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<()> = match cli.command {
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
