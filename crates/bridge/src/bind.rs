//! `mochi-dotnet bind`: the binding plan, the two Mochi files and the skip
//! report of one assembly or of a package locked in mochi.lock
//! (docs/bindings.md). The binding itself is `shimgen`'s pure function; this
//! module finds the inputs (the assembly or the cached package, its locked
//! dependencies as type context, the monomorphise list) and writes the
//! outputs atomically. Framework types come from shimgen's committed .NET 8
//! index, so the outputs are the same on every machine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use ecma335::Surface;

use bridge::framework::Framework;

/// Arguments of `mochi-dotnet bind`.
#[derive(clap::Args, Debug)]
pub struct BindArgs {
    /// An assembly (.dll/.exe), or the id of a package locked in mochi.lock.
    pub target: String,
    /// Folder for plan.json, <pkg>_extern.mochi, <pkg>.mochi, SKIPPED.txt and skipped.json.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// For a locked package: the target framework whose lib/ assets are bound
    /// (default: the one mochi.lock records).
    #[arg(long, value_name = "TFM")]
    pub framework: Option<String>,
    /// Mochi package name used in entry points (default: the package id in lower-snake).
    #[arg(long, value_name = "NAME")]
    pub package: Option<String>,
    /// Package version for the file headers (default: the locked or assembly version).
    #[arg(long, value_name = "V")]
    pub version: Option<String>,
    /// Generic instantiations: a .json or mochi.toml file, or inline
    /// `Key=Arg1,Arg2;Arg1,Arg2` (e.g. "Ns.JToken::Value``1=System.String;System.Int32").
    #[arg(long, value_name = "FILE-OR-INLINE")]
    pub monomorphise: Vec<String>,
    /// Extra reference assemblies (files or folders) used as type context.
    #[arg(long, value_name = "PATH")]
    pub context: Vec<PathBuf>,
    /// The manifest (its mochi.lock and [dotnet.monomorphise]) for a locked package id.
    #[arg(long, value_name = "FILE", default_value = "mochi.toml")]
    pub manifest_path: PathBuf,
}

/// What is bound: the assemblies' surfaces and the package's identity.
struct Input {
    surface: Surface,
    package_id: String,
    version: String,
    monomorphise: BTreeMap<String, Vec<Vec<String>>>,
    /// Assemblies of the package's dependencies (context).
    dependency_assemblies: Vec<PathBuf>,
    /// Context already read (a locked package: its dependencies after the
    /// framework conflict rule, exactly as its shim is bound).
    context: Vec<Surface>,
}

pub fn run(args: &BindArgs) -> anyhow::Result<()> {
    let mut input = if Path::new(&args.target).is_file() {
        from_assembly(Path::new(&args.target))?
    } else {
        from_lock(&args.target, args)?
    };
    for m in &args.monomorphise {
        for (k, v) in parse_monomorphise(m)? {
            input.monomorphise.entry(k).or_default().extend(v);
        }
    }
    let mut context_paths = input.dependency_assemblies.clone();
    for c in &args.context {
        context_paths.extend(assemblies_in(c)?);
    }
    let mut context: Vec<Surface> = std::mem::take(&mut input.context);
    for p in &context_paths {
        context.push(
            ecma335::read_surface_file(p)
                .with_context(|| format!("reading context assembly {}", p.display()))?,
        );
    }
    // The framework's types come from the committed .NET 8 index, not from
    // whatever runtime this machine has: the plan is the same everywhere.
    let universe = shimgen::TypeUniverse::with_framework(&input.surface, &context);
    let options = shimgen::BindOptions {
        package: args.package.clone().unwrap_or_default(),
        package_id: input.package_id.clone(),
        version: args.version.clone().unwrap_or(input.version.clone()),
        monomorphise: input.monomorphise.clone(),
    };
    let out = shimgen::bind(&input.surface, &universe, &options).map_err(|e| anyhow!("{e}"))?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    for (name, text) in out.files() {
        let path = args.out.join(&name);
        bridge::fsutil::write_atomic(&path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    for w in &out.plan.warnings {
        eprintln!("warning: {w}");
    }
    let counts: Vec<String> = out
        .plan
        .skip_counts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    eprintln!(
        "bound {} {}: {} items translated, {} conversions, {} skipped ({}); wrote {}",
        options.package_id,
        options.version,
        out.plan.translated_count(),
        out.plan.conversion_count(),
        out.plan.skipped.len(),
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        },
        args.out.display()
    );
    Ok(())
}

fn from_assembly(path: &Path) -> anyhow::Result<Input> {
    let surface = ecma335::read_surface_file(path).map_err(|e| {
        anyhow!("{}: {e}\nhint: pass a managed .NET assembly (from a package's lib/<tfm>/ folder) or a package id locked in mochi.lock", path.display())
    })?;
    Ok(Input {
        package_id: surface.assembly.name.clone(),
        version: surface.assembly.version.clone(),
        surface,
        monomorphise: BTreeMap::new(),
        dependency_assemblies: Vec::new(),
        context: Vec::new(),
    })
}

fn from_lock(id: &str, args: &BindArgs) -> anyhow::Result<Input> {
    let root = args
        .manifest_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let lock_path = root.join("mochi.lock");
    if !lock_path.exists() {
        bail!(
            "`{id}` is not an assembly file, and there is no {} to find it in\nhint: pass the path of a .dll, or run `mochi-dotnet lock` first",
            lock_path.display()
        );
    }
    let lock = bridge::lockfile::Lockfile::load(&lock_path).map_err(|e| anyhow!("{e}"))?;
    let Some(locked) = lock.get(id) else {
        let ids: Vec<&str> = lock.packages.iter().map(|p| p.id.as_str()).collect();
        bail!(
            "{id} is not locked in {} (locked: {})\nhint: `mochi-dotnet add {id}` adds and locks it",
            lock_path.display(),
            if ids.is_empty() {
                "nothing".to_string()
            } else {
                ids.join(", ")
            }
        );
    };
    let monomorphise = if args.manifest_path.exists() {
        bridge::manifest::Manifest::load(&args.manifest_path)
            .map_err(|e| anyhow!("{e}"))?
            .dotnet
            .monomorphise
    } else {
        BTreeMap::new()
    };
    if args
        .framework
        .as_deref()
        .is_none_or(|f| f == locked.target_framework)
    {
        // The shim's inputs: transitive dependencies, the framework conflict rule.
        let input = bridge::shim::input_from_lock(&lock, locked, &monomorphise)
            .map_err(|e| anyhow!("{e}"))?;
        let context = bridge::shim::binding_context(&input).map_err(|e| anyhow!("{e}"))?;
        return Ok(Input {
            surface: input.surface,
            package_id: input.package_id,
            version: input.version,
            monomorphise,
            dependency_assemblies: Vec::new(),
            context,
        });
    }
    let cache = bridge::cache::PackageCache::open_default().map_err(|e| anyhow!("{e}"))?;
    let framework = match &args.framework {
        Some(f) => Framework::parse(f).map_err(|e| anyhow!("--framework {f}: {e}"))?,
        None => Framework::parse(&locked.target_framework)
            .map_err(|e| anyhow!("mochi.lock target-framework of {id}: {e}"))?,
    };
    let assemblies = |pid: &str, version: &str| -> anyhow::Result<Vec<PathBuf>> {
        let cached = cache.lookup(pid, version).ok_or_else(|| {
            anyhow!("{pid} {version} is locked but not in the package cache\nhint: run `mochi-dotnet lock` to fetch it")
        })?;
        let contents =
            bridge::nupkg::read_extracted(&cached.extracted_dir, &format!("{pid} {version}"))
                .map_err(|e| anyhow!("{e}"))?;
        let assets =
            bridge::lock::select_assets(pid, &framework, &contents).map_err(|e| anyhow!("{e}"))?;
        Ok(assets
            .assemblies
            .iter()
            .map(|a| cached.extracted_dir.join(a))
            .collect())
    };
    let own = assemblies(&locked.id, &locked.version)?;
    if own.is_empty() {
        bail!(
            "{} {} ships no assemblies for {}",
            locked.id,
            locked.version,
            framework.short_name()
        );
    }
    let mut surface: Option<Surface> = None;
    for path in &own {
        let s = ecma335::read_surface_file(path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        match &mut surface {
            None => surface = Some(s),
            // One package, one binding: further assemblies add their types.
            Some(first) => first.types.extend(s.types),
        }
    }
    let mut deps = Vec::new();
    for d in &locked.dependencies {
        if let Some((pid, v)) = d.split_once(' ')
            && let Ok(paths) = assemblies(pid, v)
        {
            deps.extend(paths);
        }
    }
    Ok(Input {
        surface: surface.expect("at least one assembly"),
        package_id: locked.id.clone(),
        version: locked.version.clone(),
        monomorphise,
        dependency_assemblies: deps,
        context: Vec::new(),
    })
}

/// `--monomorphise`: a JSON file (`{"Key": [["Arg", ...], ...]}`), a
/// mochi.toml (its `[dotnet.monomorphise]`), or inline `Key=A,B;C,D`.
fn parse_monomorphise(value: &str) -> anyhow::Result<BTreeMap<String, Vec<Vec<String>>>> {
    let path = Path::new(value);
    if path.is_file() {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {value}"))?;
        if value.ends_with(".json") {
            return serde_json::from_str(&text)
                .with_context(|| format!("{value}: expected {{\"Key\": [[\"Type\", ...], ...]}}"));
        }
        return Ok(bridge::manifest::Manifest::parse(&text, path)
            .map_err(|e| anyhow!("{e}"))?
            .dotnet
            .monomorphise);
    }
    let Some((key, rest)) = value.split_once('=') else {
        bail!("--monomorphise {value}: not a file and not `Key=Type[,Type...][;...]`");
    };
    let insts = rest
        .split(';')
        .map(|inst| {
            split_top_level(inst)
                .into_iter()
                .map(|s| s.trim().to_string())
                .collect()
        })
        .collect();
    Ok(BTreeMap::from([(key.trim().to_string(), insts)]))
}

/// Splits on commas outside `<...>`.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn assemblies_in(p: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if p.is_file() {
        return Ok(vec![p.to_path_buf()]);
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(p)
        .with_context(|| format!("reading {}", p.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dll"))
        .collect();
    v.sort();
    Ok(v)
}
