//! `mochi-dotnet invoke`: find the shim input (an assembly, or a locked
//! package's closure), generate it, start the runtime its runtimeconfig asks
//! for, build it through the shim cache, and call the chain (the `invoke`
//! crate), printing the last result as JSON.

use std::path::Path;

use anyhow::{Context as _, anyhow, bail};
use bridge::ops;
use hosting::Shim;
use invoke::{Val, call_one, candidates, describe_handle, parse_chain};
use serde_json::Value;

/// What `invoke` found and did.
#[derive(Debug)]
pub struct Outcome {
    pub result: Value,
    pub shim_cache_hit: bool,
    pub live_handles_after: i64,
}

/// Runs `invoke`: `target` is an assembly path or a package id locked next to
/// `manifest_path`.
pub fn run(
    target: &str,
    tokens: &[String],
    manifest_path: &Path,
    package: Option<&str>,
    verbose: bool,
) -> anyhow::Result<Outcome> {
    let calls = parse_chain(tokens)?;
    let (project, input) = ops::shim::input(target, package, manifest_path, &Default::default())?;
    let generated = shimbuild::generate(&input)?;
    // Resolve every call before building anything: a typo costs no compile.
    let plan = &generated.plan;
    let foreign = calls.iter().any(|c| !invoke::offers(plan, &c.member));
    if foreign && !Path::new(target).is_file() {
        // A member of another locked package: the chain crosses packages.
        return run_across_packages(&project, generated, &calls, verbose);
    }
    for c in &calls {
        candidates(plan, &c.member).context("resolving the member")?;
    }
    // The runtime the shim's runtimeconfig asks for, under .NET's roll-forward
    // rules; started before the build, so a missing runtime costs no compile.
    let req = shimbuild::shim_requirement(&generated.project)?;
    let options = hosting::RuntimeOptions::default().with_framework(req.clone());
    let runtime = hosting::Runtime::start(&options).map_err(|e| match e {
        // Only a newer major is installed: say how the manifest allows it.
        hosting::Error::NoCompatibleRuntime { ref newer, .. } if !newer.is_empty() => {
            anyhow!(
                "{e}\n  hint: to run this net{major}.0 shim on a newer .NET instead, set in mochi.toml:\n    [dotnet.runtime]\n    roll-forward = \"LatestMajor\"",
                major = req.minimum.major
            )
        }
        e => e.into(),
    })?;
    if verbose {
        eprintln!(
            "running on Microsoft.NETCore.App {} in {} (the shim needs {req})",
            runtime.version(),
            runtime.install().root.display()
        );
    }
    let tools = ops::shim::toolchain(&project, None, Some(crate::announce))?;
    let built = tools.build(&generated)?;
    // A member with a single candidate that has no export says why.
    for c in &calls {
        let cands = candidates(plan, &c.member)?;
        let [item] = cands.as_slice() else { continue };
        let ep = item.entry_point.as_deref().unwrap_or_default();
        if let Some((_, why)) = built.dropped.iter().find(|(d, _)| d == ep) {
            bail!(
                "{} ({ep}) was dropped from the shim: the C# compiler rejected it ({why})",
                c.member
            );
        }
        if let Some((_, why)) = generated
            .project
            .not_generated
            .iter()
            .find(|(d, _)| d == ep)
        {
            bail!("{} ({ep}) has no export: {why}", c.member);
        }
    }
    let shim = Shim::load(runtime, &built.assembly)?;
    hosting::prepare_current_thread()?;
    let mut handles: Vec<isize> = Vec::new();
    let mut prev: Option<Val> = None;
    let mut result = Ok(Val::Json(Value::Null));
    for c in &calls {
        let r = call_one(
            &shim,
            plan,
            &built.exports_type,
            c,
            prev.take(),
            &mut handles,
        );
        match r {
            Ok(v) => prev = Some(v),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let result = result.map(|_| prev.unwrap_or(Val::Json(Value::Null)));
    let printed = match result {
        Ok(Val::Json(v)) => Ok(v),
        Ok(Val::Handle(h, t)) => Ok(describe_handle(
            &shim,
            plan,
            &built.exports_type,
            h,
            &t,
            &mut handles,
        )),
        Ok(Val::Callback { .. }) => Ok(serde_json::Value::Null),
        Err(e) => Err(e),
    };
    for h in handles {
        let _ = shim.release_handle(h);
    }
    let live = shim.live_handles();
    Ok(Outcome {
        result: printed?,
        shim_cache_hit: built.cache_hit,
        live_handles_after: live,
    })
}

/// A chain whose members live in several locked packages (a `ServiceCollection`
/// from Microsoft.Extensions.DependencyInjection into an extension method of
/// its abstractions package): every package a call names is generated, built
/// and loaded into the shared load context, and the calls run through an
/// `invoke::Session`, the previous result as the receiver when the member
/// takes one (also an extension method's), else as the first argument.
fn run_across_packages(
    project: &project::Project,
    first: shimbuild::Generated,
    calls: &[invoke::Call],
    verbose: bool,
) -> anyhow::Result<Outcome> {
    let lockfile = project.lockfile()?;
    let mut generated = vec![first];
    for c in calls {
        if generated.iter().any(|g| invoke::offers(&g.plan, &c.member)) {
            continue;
        }
        let mut found = false;
        for locked in &lockfile.packages {
            if generated.iter().any(|g| g.plan.package_id == locked.id) {
                continue;
            }
            let Ok(input) = ops::shim::locked_input(project, &lockfile, locked) else {
                continue; // nothing to bind (a meta-package)
            };
            let g = shimbuild::generate(&input)?;
            if invoke::offers(&g.plan, &c.member) {
                generated.push(g);
                found = true;
                break;
            }
        }
        if !found {
            candidates(&generated[0].plan, &c.member).with_context(|| {
                format!(
                    "resolving the member (not in any of the {} locked packages either)",
                    lockfile.packages.len()
                )
            })?;
        }
    }
    let req = shimbuild::shim_requirement(&generated[0].project)?;
    let runtime = hosting::Runtime::start(&hosting::RuntimeOptions::default().with_framework(req))?;
    let tools = ops::shim::toolchain(project, None, Some(crate::announce))?;
    let mut session = invoke::Session::new();
    let mut cache_hit = true;
    for g in generated {
        let built = tools.build(&g)?;
        cache_hit &= built.cache_hit;
        if verbose {
            eprintln!(
                "loaded {} ({})",
                g.plan.package_id,
                built.assembly.display()
            );
        }
        session.add(invoke::Package {
            id: g.plan.package_id.clone(),
            plan: g.plan,
            shim: Shim::load(runtime, &built.assembly)?,
            exports: built.exports_type,
        });
    }
    hosting::prepare_current_thread()?;
    let mut prev: Option<Val> = None;
    for c in calls {
        let args: Vec<Val> = c.args.iter().cloned().map(Val::Json).collect();
        let v = match &prev {
            None => session.call(&c.member, None, &args),
            Some(p) => session.call(&c.member, Some(p), &args).or_else(|_| {
                let mut with = vec![p.clone()];
                with.extend(args.iter().cloned());
                session.call(&c.member, None, &with)
            }),
        };
        prev = Some(v?);
    }
    let result = match prev {
        Some(Val::Json(v)) => v,
        Some(h @ Val::Handle(..)) => {
            let Val::Handle(_, t) = &h else {
                unreachable!()
            };
            let mut o = serde_json::Map::new();
            o.insert("handle".into(), Value::String(t.clone()));
            if let Some(s) = session.describe(&h) {
                o.insert("string".into(), Value::String(s));
            }
            Value::Object(o)
        }
        _ => Value::Null,
    };
    drop(session);
    Ok(Outcome {
        result,
        shim_cache_hit: cache_hit,
        live_handles_after: 0,
    })
}
