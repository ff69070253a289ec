//! `mochi-dotnet publish --to=<registry> [--dry-run] [--emit-ci] [--force]`.

use std::io::Write;
use std::path::PathBuf;

use crate::env::Env;
use crate::error::Result;
use crate::fsutil::write_atomic;
use crate::http::Http;
use crate::package::BuiltPackage;
use crate::secret::Scrubber;
use crate::{ci, config, package, push, registry, trusted};

/// What `mochi-dotnet publish` is asked to do (the CLI parses its arguments into
/// this; the library takes no command-line parser).
#[derive(Debug, Clone)]
pub struct PublishArgs {
    /// Where to push: `nuget.org`, a name from [dotnet.publish.registries], or a NuGet v3 service index URL.
    pub to: String,
    /// Build and validate the package, write it under target/nuget/, print what would be pushed; no network.
    pub dry_run: bool,
    /// Write .github/workflows/release.yml (trusted publishing from GitHub Actions) instead of publishing.
    pub emit_ci: bool,
    /// With --emit-ci: replace an existing workflow file.
    pub force: bool,
    /// The library's manifest.
    pub manifest_path: PathBuf,
}

/// What a run did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// `--emit-ci`: the workflow written.
    Workflow(PathBuf),
    /// `--dry-run`: the package written, nothing sent.
    DryRun {
        package: BuiltPackage,
        path: PathBuf,
    },
    /// Pushed.
    Published {
        package: BuiltPackage,
        path: PathBuf,
        registry: String,
        status: u16,
    },
}

/// Runs with the process environment, reporting on stdout and stderr.
pub fn run(args: &PublishArgs) -> Result<Outcome> {
    let env = Env::from_process();
    run_with(args, &env, &mut std::io::stdout(), &mut std::io::stderr())
}

/// Runs with an explicit environment: `out` gets the report, `progress` the steps.
pub fn run_with(
    args: &PublishArgs,
    env: &Env,
    out: &mut dyn Write,
    progress: &mut dyn Write,
) -> Result<Outcome> {
    let manifest = config::load(&args.manifest_path)?;
    let target = registry::target(&args.to, &manifest)?;

    if args.emit_ci {
        if args.dry_run {
            let _ = write!(out, "{}", ci::workflow(&manifest, &args.to));
            return Ok(Outcome::Workflow(ci::workflow_path(&manifest)));
        }
        let path = ci::emit(&manifest, &args.to, args.force)?;
        let _ = writeln!(out, "wrote {}", path.display());
        let _ = writeln!(
            out,
            "next: on {} add a trusted publisher for this repository with workflow file release.yml{} (docs/publishing.md), then push a tag v{}",
            if target.is_nuget_org {
                "nuget.org"
            } else {
                target.label.as_str()
            },
            manifest
                .publish
                .ci
                .environment
                .as_ref()
                .map(|e| format!(" and environment {e}"))
                .unwrap_or_default(),
            manifest.publish.version
        );
        return Ok(Outcome::Workflow(path));
    }

    // Decide the credentials before the (slow) build, so a run that cannot push fails fast.
    let plan: std::result::Result<trusted::Plan, String> =
        match trusted::plan(env, &manifest, &target) {
            Ok(p) => Ok(p),
            Err(e) if args.dry_run => Err(e.to_string()),
            Err(e) => return Err(e),
        };

    let _ = writeln!(
        progress,
        "building {} {} (facade for {}, native: {})",
        manifest.publish.package_id,
        manifest.publish.version,
        manifest.publish.target_framework.short(),
        manifest
            .publish
            .native
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
    let built = package::build(&manifest, env)?;
    let path = manifest.dir.join("target/nuget").join(&built.file_name);
    write_atomic(&path, &built.bytes)?;
    report(out, &built, &path);

    if args.dry_run {
        let _ = match &plan {
            Ok(p) => writeln!(
                out,
                "dry run: would push to {} ({}) with {}; nothing was sent",
                target.label,
                if target.is_nuget_org {
                    registry::NUGET_ORG_PUSH
                } else {
                    target.service_index.as_str()
                },
                p.describe()
            ),
            Err(e) => writeln!(
                out,
                "dry run: would push to {}, but a real run here would stop: {}",
                target.label,
                e.lines().next().unwrap_or_default()
            ),
        };
        return Ok(Outcome::DryRun {
            package: built,
            path,
        });
    }
    let plan = plan.expect("errors returned above when not a dry run");

    let http = Http::new(env);
    let mut scrubber = Scrubber::default();
    let endpoints = registry::discover(&target, &http)?;
    let _ = writeln!(progress, "authenticating with {}", plan.describe());
    let credential = trusted::obtain(&plan, env, &target, &endpoints, &http, &mut scrubber)?;
    let _ = writeln!(
        progress,
        "pushing {} to {}",
        built.file_name, endpoints.push
    );
    let pushed = push::push(
        &built,
        &endpoints,
        &target,
        &credential,
        &manifest.path.display().to_string(),
        &http,
        &scrubber,
    )?;
    let _ = writeln!(
        out,
        "published {} {} to {} ({} {})",
        built.id, built.version, target.label, pushed.status, pushed.status_text
    );
    if target.is_nuget_org {
        let _ = writeln!(
            out,
            "  https://www.nuget.org/packages/{}/{} (listed once nuget.org has validated and indexed it)",
            built.id, built.version
        );
    }
    Ok(Outcome::Published {
        registry: target.label.clone(),
        status: pushed.status,
        package: built,
        path,
    })
}

fn report(out: &mut dyn Write, b: &BuiltPackage, path: &std::path::Path) {
    let _ = writeln!(
        out,
        "{} {}: {} ({} bytes)",
        b.id,
        b.version,
        path.display(),
        b.bytes.len()
    );
    let _ = writeln!(out, "  sha512 {}", b.sha512_base64);
    let _ = writeln!(
        out,
        "  facade compiled with .NET SDK {}{}",
        b.sdk_version,
        if b.facade_cache_hit { " (cached)" } else { "" }
    );
    for (name, size) in &b.entries {
        let _ = writeln!(out, "  {size:>10}  {name}");
    }
    let _ = writeln!(
        out,
        "  validated: nuspec, OPC parts, lib/ folder, facade metadata, native exports"
    );
}
