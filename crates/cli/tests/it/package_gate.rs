//! The 20-package gate (issue 10, item 1) on the machine's real NuGet registry
//! as configured — no test feed: for each of the twenty most-used packages
//! (pinned in `gate_support::PINS`, as fixtures/corpus-packages pins them),
//!
//! - `mochi-dotnet lock` resolves and verifies it with no warning, `lock
//!   --check` passes, a re-lock and an `--offline` re-lock are byte-identical;
//! - `mochi-dotnet bind` of each package that carries code matches the
//!   committed golden counts (crates/cli/tests/gate/<gate>.json: translated,
//!   conversions, skipped per reason, exports), its plan is the shim's, and
//!   both emitted Mochi files parse (`shimgen::grammar`); a package without
//!   assemblies (a meta-package) gets its precise error instead;
//! - the shim builds with the SDK (`dotnet build`) and with Mono's `mcs`, with
//!   no export dropped by either compiler, and both builds load through CLR
//!   hosting with their ABI version checked;
//!
//! and one project locks all twenty together (64 packages): lock, `--check`,
//! byte-identical re-locks, and `sync --no-build` generates every shim.
//!
//! `MOCHI_GATE_BLESS=1` rewrites the goldens. Each test prints a `GATE` line
//! with its timings (the README's report).

use crate::gate_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gate_support::*;
use serde_json::{Value, json};
use shimbuild::CompilerKind;

fn golden_path(gate: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/gate")
        .join(format!("{gate}.json"))
}

fn secs(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

/// Lock, check, re-lock, offline re-lock; returns the lockfile text.
fn lock_cycle(dir: &Path, roots: &[&str]) -> (String, Duration) {
    let (_, err, t) = cli_ok(dir, &["lock"]);
    assert!(
        !err.contains("warning"),
        "lock warned in {}:\n{err}",
        dir.display()
    );
    let first = std::fs::read_to_string(dir.join("mochi.lock")).unwrap();
    let lock = lockfile(dir);
    for id in roots {
        let p = lock
            .get(id)
            .unwrap_or_else(|| panic!("{id} missing from mochi.lock"));
        assert_eq!(p.version, pin(id), "{id} locked at another version");
        assert_eq!(p.target_framework, "net8.0");
    }
    let (_, err, _) = cli_ok(dir, &["lock", "--check"]);
    assert!(err.contains("is up to date"), "{err}");
    let (_, err, _) = cli_ok(dir, &["lock"]);
    assert!(err.contains("unchanged"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("mochi.lock")).unwrap(),
        first,
        "re-lock changed mochi.lock"
    );
    let (_, err, _) = cli_ok(dir, &["lock", "--offline"]);
    assert!(err.contains("unchanged"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("mochi.lock")).unwrap(),
        first,
        "offline re-lock changed mochi.lock"
    );
    (first, t)
}

/// `bind`, the Mochi grammar, the shim with both compilers, loading: the
/// package's golden entry.
fn bind_and_build(dir: &Path, id: &str, timings: &mut Vec<String>) -> Value {
    let out = dir.join("bind").join(id);
    let (ok, _, err, _) = cli(dir, &["bind", id, "--out", out.to_str().unwrap()]);
    let generated = generate(dir, id);
    if !ok {
        // Only a package with nothing to bind may fail, and precisely.
        let e = generated.expect_err("bind failed but the shim generates");
        assert!(
            matches!(
                e,
                gate_support::GenerateError::Closure(
                    project::closure::ClosureError::NoAssemblies { .. }
                )
            ),
            "bind {id}: {err}"
        );
        let first = err.lines().next().unwrap_or_default().to_string();
        assert_eq!(
            first,
            format!("error: {}", e.to_string().lines().next().unwrap())
        );
        assert!(
            err.contains("hint: bind the packages that carry its code"),
            "{err}"
        );
        return json!({ "no-shim": first.trim_start_matches("error: ") });
    }
    let generated = generated.unwrap_or_else(|e| panic!("{id}: {e}"));
    let skipped: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("skipped.json")).unwrap()).unwrap();
    let plan =
        shimgen::BindingPlan::from_json(&std::fs::read_to_string(out.join("plan.json")).unwrap())
            .unwrap();
    assert_eq!(plan, generated.plan, "{id}: bind's plan is not the shim's");
    let pkg = &plan.package;
    let ext = std::fs::read_to_string(out.join(format!("{pkg}_extern.mochi"))).unwrap();
    let alias = std::fs::read_to_string(out.join(format!("{pkg}.mochi"))).unwrap();
    shimgen::grammar::check_pair(&ext, &alias)
        .unwrap_or_else(|e| panic!("{id}: the emitted Mochi does not parse: {e}"));
    // mochi.lock vouches for exactly this shim.
    let locked = lockfile(dir).get(id).unwrap().clone();
    assert_eq!(
        locked.shim_sha256.as_deref(),
        Some(generated.project.sha256.as_str()),
        "{id}: mochi.lock records another shim-sha256"
    );

    let mut build_times = BTreeMap::new();
    let mut shims = Vec::new();
    for compiler in [CompilerKind::DotnetSdk, CompilerKind::Mcs] {
        let (built, t) = build(&generated, compiler)
            .unwrap_or_else(|e| panic!("{id}: {} failed:\n{e}", compiler.name()));
        assert!(!built.cache_hit, "{id}: a fresh shim cache hit");
        assert_eq!(built.compiler, compiler.name());
        assert!(
            built.dropped.is_empty(),
            "{id}: {} dropped exports:\n{}",
            compiler.name(),
            built
                .dropped
                .iter()
                .map(|(e, m)| format!("  {e}: {m}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        build_times.insert(compiler.name(), t);
        shims.push(built);
    }
    for built in &shims {
        let shim = hosting::Shim::load_isolated(runtime(), &built.assembly)
            .unwrap_or_else(|e| panic!("{id}: loading {}: {e}", built.assembly.display()));
        assert_eq!(shim.abi_version(), hosting::ABI_VERSION);
        assert_eq!(shim.live_handles(), 0);
    }
    timings.push(format!(
        "{id} {} exports: dotnet build {}, mcs {}",
        generated.project.exported.len(),
        secs(build_times["dotnet build"]),
        secs(build_times["mcs"])
    ));
    json!({
        "version": plan.version,
        "assembly": plan.assembly,
        "translated": plan.translated_count(),
        "conversions": plan.conversion_count(),
        "skipped-total": plan.skipped.len(),
        "skipped": skipped["counts"],
        "exports": generated.project.exported.len(),
        "not-generated": generated.project.not_generated.iter().map(|(e, _)| e.clone()).collect::<Vec<_>>(),
        "conflicts": generated.conflicts.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
    })
}

/// One gate: `roots` in mochi.toml, `bound` bound and built.
fn gate(name: &str, roots: &[&str], bound: &[&str]) {
    if !sdk_present() {
        panic!("the gate needs the .NET SDK (scripts/setup-test-tools.sh installs it)");
    }
    let dir = project(name, roots);
    let (lock_text, lock_time) = lock_cycle(&dir, roots);
    let locked: Vec<String> = lockfile(&dir)
        .packages
        .iter()
        .map(|p| format!("{} {}", p.id, p.version))
        .collect();
    let mut timings = Vec::new();
    let mut packages = serde_json::Map::new();
    for id in bound {
        packages.insert(id.to_string(), bind_and_build(&dir, id, &mut timings));
    }
    let actual = json!({ "locked": locked, "packages": packages });
    eprintln!(
        "GATE {name}: lock {} ({} packages); {}",
        secs(lock_time),
        locked.len(),
        timings.join("; ")
    );
    let path = golden_path(name);
    let text = format!("{}\n", serde_json::to_string_pretty(&actual).unwrap());
    if std::env::var_os("MOCHI_GATE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no golden {}; bless with MOCHI_GATE_BLESS=1\n{text}",
            path.display()
        )
    });
    assert!(
        expected == text,
        "{} differs (review, then re-bless with MOCHI_GATE_BLESS=1 cargo test -p mochi-dotnet --test it package_gate):\n--- expected\n{expected}\n--- actual\n{text}",
        path.display()
    );
    drop(lock_text);
}

#[test]
fn newtonsoft_json() {
    gate(
        "newtonsoft-json",
        &["Newtonsoft.Json"],
        &["Newtonsoft.Json"],
    );
}

#[test]
fn serilog() {
    let ids = ["Serilog", "Serilog.Sinks.Console", "Serilog.Sinks.File"];
    gate("serilog", &ids, &ids);
}

#[test]
fn dependency_injection() {
    gate(
        "dependency-injection",
        &["Microsoft.Extensions.DependencyInjection"],
        &[
            "Microsoft.Extensions.DependencyInjection",
            "Microsoft.Extensions.DependencyInjection.Abstractions",
        ],
    );
}

#[test]
fn system_text_json() {
    gate(
        "system-text-json",
        &["System.Text.Json"],
        &["System.Text.Json"],
    );
}

#[test]
fn dapper() {
    gate(
        "dapper",
        &["Dapper", "Microsoft.Data.Sqlite"],
        &[
            "Dapper",
            "Microsoft.Data.Sqlite",
            "Microsoft.Data.Sqlite.Core",
        ],
    );
}

#[test]
fn nunit() {
    gate("nunit", &["NUnit"], &["NUnit"]);
}

#[test]
fn xunit() {
    gate("xunit", &["xunit.assert"], &["xunit.assert"]);
}

#[test]
fn fluent_assertions() {
    gate(
        "fluent-assertions",
        &["FluentAssertions"],
        &["FluentAssertions"],
    );
}

#[test]
fn automapper() {
    gate("automapper", &["AutoMapper"], &["AutoMapper"]);
}

#[test]
fn mediatr() {
    gate("mediatr", &["MediatR"], &["MediatR"]);
}

#[test]
fn fluent_validation() {
    gate(
        "fluent-validation",
        &["FluentValidation"],
        &["FluentValidation"],
    );
}

#[test]
fn polly() {
    gate("polly", &["Polly"], &["Polly", "Polly.Core"]);
}

#[test]
fn bogus() {
    gate("bogus", &["Bogus"], &["Bogus"]);
}

#[test]
fn moq() {
    gate("moq", &["Moq"], &["Moq"]);
}

#[test]
fn restsharp() {
    gate("restsharp", &["RestSharp"], &["RestSharp"]);
}

#[test]
fn stackexchange_redis() {
    gate(
        "stackexchange-redis",
        &["StackExchange.Redis"],
        &["StackExchange.Redis"],
    );
}

#[test]
fn npgsql() {
    gate("npgsql", &["Npgsql"], &["Npgsql"]);
}

#[test]
fn entity_framework_core() {
    gate(
        "entity-framework-core",
        &[
            "Microsoft.EntityFrameworkCore",
            "Microsoft.EntityFrameworkCore.Sqlite",
        ],
        &[
            "Microsoft.EntityFrameworkCore",
            "Microsoft.EntityFrameworkCore.Relational",
            "Microsoft.EntityFrameworkCore.Sqlite",
            "Microsoft.EntityFrameworkCore.Sqlite.Core",
        ],
    );
}

#[test]
fn extensions_http() {
    gate(
        "extensions-http",
        &["Microsoft.Extensions.Http"],
        &["Microsoft.Extensions.Http"],
    );
}

#[test]
fn awssdk_core() {
    gate("awssdk-core", &["AWSSDK.Core"], &["AWSSDK.Core"]);
}

/// All twenty in one project: one resolution of the whole graph, verified and
/// re-locked byte for byte, and every shim of it generated (`sync
/// --no-build`; the per-package gates compile them).
#[test]
fn all_twenty_together() {
    let roots: Vec<&str> = PINS.iter().map(|(id, _)| *id).collect();
    let dir = project("all-twenty", &roots);
    let (_, lock_time) = lock_cycle(&dir, &roots);
    let lock = lockfile(&dir);
    let (_, err, sync_time) = cli_ok(&dir, &["sync", "--no-build"]);
    let synced = err.lines().filter(|l| l.contains(" shim-sha256 ")).count();
    let no_shim: Vec<&str> = err.lines().filter(|l| l.starts_with("note: ")).collect();
    assert_eq!(
        synced + no_shim.len(),
        lock.packages.len(),
        "sync accounted for every package:\n{err}"
    );
    assert!(!err.contains("differs from mochi.lock"), "{err}");
    eprintln!(
        "GATE all-twenty: lock {} ({} packages), sync --no-build {} ({synced} shims)",
        secs(lock_time),
        lock.packages.len(),
        secs(sync_time)
    );
    let actual = json!({
        "locked": lock.packages.iter().map(|p| format!("{} {}", p.id, p.version)).collect::<Vec<_>>(),
        "shims": synced,
        "no-shim": no_shim,
    });
    let path = golden_path("all-twenty");
    let text = format!("{}\n", serde_json::to_string_pretty(&actual).unwrap());
    if std::env::var_os("MOCHI_GATE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == text,
        "{} differs:\n--- expected\n{expected}\n--- actual\n{text}",
        path.display()
    );
}
