//! Transitive NuGet dependency resolution, pure over a [`PackageIndex`].
//!
//! The rules are NuGet's:
//! - **lowest applicable version**: a range picks the lowest available version in it
//!   (a floating range, such as `13.*`, the highest);
//! - **direct dependency wins**: a package listed in `mochi.toml` gets the version its
//!   own range picks; a transitive range that would need a *higher* version is an
//!   error (NuGet's NU1605 downgrade), one that caps it *lower* is a warning (NU1608);
//! - **cousin dependencies**: a package required along several paths takes the lowest
//!   version that satisfies every range on those paths.
//!
//! Conflicts and cycles are errors naming both paths, with the `mochi.toml` line that
//! overrides them. Resolution is deterministic: ids are visited in sorted order and the
//! result is a sorted map.

// Errors here carry whole dependency paths and advice; they are built once, on the
// failure path, so their size does not matter.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;

use nuget::framework::{Family, Framework, nearest};
use nuget::version::{NuGetVersion, RangeError, VersionRange};

/// An error from a package source, kept opaque: the source's own message is shown.
pub type SourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// One dependency group as the source states it (raw strings; parsing is ours).
pub use nuget::nupkg::RawDependencyGroup;

/// What the resolver needs to know about packages. The NuGet client implements it
/// over HTTP and the cache; tests implement it over in-memory graphs.
pub trait PackageIndex {
    /// Every version of `id` the sources know, as raw strings.
    fn list_versions(&self, id: &str) -> Result<Vec<String>, SourceError>;
    /// The dependency groups of `id` at `version` (normalised version string).
    fn dependency_groups(
        &self,
        id: &str,
        version: &str,
    ) -> Result<Vec<RawDependencyGroup>, SourceError>;
}

/// A requirement from `mochi.toml`.
#[derive(Debug, Clone)]
pub struct RootRequirement {
    pub id: String,
    pub range: VersionRange,
    /// The framework the package (not its dependencies) is resolved for.
    pub framework: Framework,
}

/// The resolver's input: the direct requirements and the project's framework.
#[derive(Debug, Clone)]
pub struct ResolveRequest {
    pub roots: Vec<RootRequirement>,
    pub framework: Framework,
    /// Versions already recorded (mochi.lock), by lower-case id. A recorded version is
    /// kept while it still satisfies every requirement on it, so re-locking does not
    /// move a floating range or follow a newly published version.
    pub preferred: BTreeMap<String, NuGetVersion>,
}

/// One package of the resolved graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPackage {
    /// The id as first written (mochi.toml for direct dependencies).
    pub id: String,
    pub version: NuGetVersion,
    /// The framework the package was resolved for.
    pub framework: Framework,
    /// The dependency group used (`None`: the package declares no compatible group).
    pub group_framework: Option<Framework>,
    /// Resolved dependencies as (id, version), sorted by lower-case id.
    pub dependencies: Vec<(String, NuGetVersion)>,
    pub direct: bool,
}

/// The resolved graph, keyed by lower-case id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolution {
    pub packages: BTreeMap<String, ResolvedPackage>,
    /// Advice that did not stop resolution (e.g. a direct dependency above a cap).
    pub warnings: Vec<String>,
}

/// A chain of packages from `mochi.toml` down to a requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyPath(pub Vec<(String, String)>);

impl fmt::Display for DependencyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("mochi.toml")?;
        for (id, v) in &self.0 {
            write!(f, " → {id} {v}")?;
        }
        Ok(())
    }
}

/// A requirement on a package as found along one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub path: DependencyPath,
    pub range: VersionRange,
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} requires {}", self.path, self.range)
    }
}

/// Why resolution failed. Every message names the packages and paths involved and
/// says how to fix it in `mochi.toml`.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("cannot get the versions of {id} (needed by {path}): {source}")]
    Versions {
        id: String,
        path: DependencyPath,
        #[source]
        source: SourceError,
    },
    #[error("cannot get the dependencies of {id} {version}: {source}")]
    Dependencies {
        id: String,
        version: String,
        #[source]
        source: SourceError,
    },
    #[error(
        "no version of {id} satisfies {range} (required by {path}); available: {available}\n  hint: {hint}"
    )]
    NoMatch {
        id: String,
        range: String,
        path: DependencyPath,
        available: String,
        hint: String,
    },
    #[error(
        "version conflict on {id}:\n  {first}\n  {second}\n  no version satisfies both\n  hint: pick one version for every path with a line in mochi.toml, e.g. under [dotnet-dependencies]: \"{id}\" = \"{suggestion}\""
    )]
    Conflict {
        id: String,
        first: Box<Requirement>,
        second: Box<Requirement>,
        suggestion: String,
    },
    #[error(
        "detected downgrade of {id}: mochi.toml picks {chosen} (from \"{direct_range}\") but {needed}\n  hint: raise it in mochi.toml: \"{id}\" = \"{suggestion}\""
    )]
    Downgrade {
        id: String,
        chosen: String,
        direct_range: String,
        needed: Box<Requirement>,
        suggestion: String,
    },
    #[error(
        "dependency cycle: {}\n  hint: a package cannot depend on itself; pin a different version of {} in mochi.toml, or report the cycle to the package's authors",
        .cycle.join(" → "), .cycle.first().map(String::as_str).unwrap_or("?")
    )]
    Cycle { cycle: Vec<String> },
    #[error(
        "package {id} {version} declares a dependency on {dependency} with an invalid range: {source}\n  hint: pin {dependency} yourself in [dotnet-dependencies] to bypass it"
    )]
    BadRange {
        id: String,
        version: String,
        dependency: String,
        #[source]
        source: RangeError,
    },
    #[error(
        "resolution did not settle after {rounds} rounds (last changes: {changed})\n  hint: pin the packages named here in [dotnet-dependencies]"
    )]
    NoFixedPoint { rounds: usize, changed: String },
}

const MAX_ROUNDS: usize = 64;

/// Resolves `request` against `index`.
pub fn resolve(
    index: &dyn PackageIndex,
    request: &ResolveRequest,
) -> Result<Resolution, ResolveError> {
    Resolver {
        index,
        request,
        versions: HashMap::new(),
        groups: HashMap::new(),
    }
    .run()
}

/// A package's dependencies for one framework, parsed.
#[derive(Debug, Clone)]
struct Deps {
    group: Option<Framework>,
    deps: Vec<(String, VersionRange)>,
}

struct Resolver<'a> {
    index: &'a dyn PackageIndex,
    request: &'a ResolveRequest,
    versions: HashMap<String, Vec<NuGetVersion>>,
    groups: HashMap<(String, String, String), Deps>,
}

/// What one walk of the graph found, for the current choices.
#[derive(Default)]
struct Walk {
    /// lower id → requirements, in walk order.
    requirements: BTreeMap<String, Vec<Requirement>>,
    /// lower id → id as first written.
    names: BTreeMap<String, String>,
    /// lower ids required directly.
    direct: BTreeSet<String>,
}

impl Resolver<'_> {
    fn run(mut self) -> Result<Resolution, ResolveError> {
        let mut choices: BTreeMap<String, NuGetVersion> = BTreeMap::new();
        let mut warnings;
        let mut last_changed = String::new();
        for _ in 0..MAX_ROUNDS {
            let walk = self.walk(&choices)?;
            let mut next = BTreeMap::new();
            warnings = Vec::new();
            for (lid, reqs) in &walk.requirements {
                let name = &walk.names[lid];
                let v = self.choose(name, reqs, walk.direct.contains(lid), &mut warnings)?;
                next.insert(lid.clone(), v);
            }
            if next == choices {
                return self.finish(&walk, &choices, warnings);
            }
            last_changed = next
                .iter()
                .filter(|(k, v)| choices.get(*k) != Some(*v))
                .map(|(k, v)| format!("{} {v}", walk.names[k]))
                .collect::<Vec<_>>()
                .join(", ");
            choices = next;
        }
        Err(ResolveError::NoFixedPoint {
            rounds: MAX_ROUNDS,
            changed: last_changed,
        })
    }

    fn framework_of(&self, lid: &str) -> Framework {
        self.request
            .roots
            .iter()
            .find(|r| r.id.eq_ignore_ascii_case(lid))
            .map(|r| r.framework.clone())
            .unwrap_or_else(|| self.request.framework.clone())
    }

    /// Breadth-first from the roots over the chosen versions, so the path recorded
    /// first for a package is a shortest one.
    fn walk(&mut self, choices: &BTreeMap<String, NuGetVersion>) -> Result<Walk, ResolveError> {
        let mut walk = Walk::default();
        let mut queue: VecDeque<(String, DependencyPath)> = VecDeque::new();
        let mut seen = BTreeSet::new();
        let mut roots: Vec<&RootRequirement> = self.request.roots.iter().collect();
        roots.sort_by_key(|r| r.id.to_ascii_lowercase());
        for r in roots {
            let lid = r.id.to_ascii_lowercase();
            walk.names
                .entry(lid.clone())
                .or_insert_with(|| r.id.clone());
            walk.direct.insert(lid.clone());
            walk.requirements
                .entry(lid.clone())
                .or_default()
                .push(Requirement {
                    path: DependencyPath(Vec::new()),
                    range: r.range.clone(),
                });
            if seen.insert(lid.clone()) {
                queue.push_back((lid, DependencyPath(Vec::new())));
            }
        }
        while let Some((lid, path)) = queue.pop_front() {
            let Some(version) = choices.get(&lid) else {
                continue;
            };
            let name = walk.names[&lid].clone();
            let fw = self.framework_of(&lid);
            let deps = self.deps(&name, version, &fw)?;
            let mut here = path.clone();
            here.0.push((name.clone(), version.to_string()));
            for (dep_id, range) in deps.deps {
                let dlid = dep_id.to_ascii_lowercase();
                walk.names.entry(dlid.clone()).or_insert(dep_id);
                walk.requirements
                    .entry(dlid.clone())
                    .or_default()
                    .push(Requirement {
                        path: here.clone(),
                        range,
                    });
                if seen.insert(dlid.clone()) {
                    queue.push_back((dlid, here.clone()));
                }
            }
        }
        Ok(walk)
    }

    fn available(
        &mut self,
        id: &str,
        path: &DependencyPath,
    ) -> Result<&[NuGetVersion], ResolveError> {
        let lid = id.to_ascii_lowercase();
        if !self.versions.contains_key(&lid) {
            let raw = self
                .index
                .list_versions(id)
                .map_err(|source| ResolveError::Versions {
                    id: id.into(),
                    path: path.clone(),
                    source,
                })?;
            // Versions a source lists but that do not parse cannot be chosen; skip them.
            let mut vs: Vec<NuGetVersion> = raw
                .iter()
                .filter_map(|s| NuGetVersion::parse(s).ok())
                .collect();
            vs.sort();
            vs.dedup();
            self.versions.insert(lid.clone(), vs);
        }
        Ok(&self.versions[&lid])
    }

    fn deps(
        &mut self,
        id: &str,
        version: &NuGetVersion,
        fw: &Framework,
    ) -> Result<Deps, ResolveError> {
        let key = (
            id.to_ascii_lowercase(),
            version.to_string(),
            fw.short_name(),
        );
        if let Some(d) = self.groups.get(&key) {
            return Ok(d.clone());
        }
        let raw = self
            .index
            .dependency_groups(id, &version.to_string())
            .map_err(|source| ResolveError::Dependencies {
                id: id.into(),
                version: version.to_string(),
                source,
            })?;
        let d = select_group(id, version, fw, &raw)?;
        self.groups.insert(key, d.clone());
        Ok(d)
    }

    fn choose(
        &mut self,
        name: &str,
        reqs: &[Requirement],
        direct: bool,
        warnings: &mut Vec<String>,
    ) -> Result<NuGetVersion, ResolveError> {
        let first_path = reqs[0].path.clone();
        let available = self.available(name, &first_path)?.to_vec();
        if let Some(p) = self.request.preferred.get(&name.to_ascii_lowercase())
            && available.contains(p)
            && reqs.iter().all(|r| r.range.satisfies(p))
        {
            return Ok(p.clone());
        }
        if direct {
            let root = reqs
                .iter()
                .find(|r| r.path.0.is_empty())
                .expect("a direct package has a root requirement");
            let chosen = root
                .range
                .best_match(&available)
                .cloned()
                .ok_or_else(|| no_match(name, &root.range, &root.path, &available))?;
            for r in reqs.iter().filter(|r| !r.path.0.is_empty()) {
                if r.range.satisfies(&chosen) {
                    continue;
                }
                let below =
                    r.range.min.as_ref().is_some_and(|b| {
                        chosen < b.version || (chosen == b.version && !b.inclusive)
                    });
                if below {
                    let suggestion = r
                        .range
                        .best_match(&available)
                        .map(|v| format!("{v}"))
                        .unwrap_or_else(|| r.range.to_string());
                    return Err(ResolveError::Downgrade {
                        id: name.into(),
                        chosen: chosen.to_string(),
                        direct_range: root.range.original().into(),
                        needed: Box::new(r.clone()),
                        suggestion,
                    });
                }
                warnings.push(format!(
                    "{name} {chosen} (from mochi.toml) is outside {}, which {} requires; the direct dependency wins",
                    r.range, r.path
                ));
            }
            return Ok(chosen);
        }
        // Cousins: the lowest version every requirement accepts.
        let floating = reqs.iter().any(|r| r.range.is_floating());
        let fitting = available
            .iter()
            .filter(|v| reqs.iter().all(|r| r.range.satisfies(v)));
        let pick = if floating {
            fitting.max()
        } else {
            fitting.min()
        };
        if let Some(v) = pick {
            return Ok(v.clone());
        }
        // Explain: first a pair that cannot overlap at all, else the combined range.
        for (i, a) in reqs.iter().enumerate() {
            for b in &reqs[i + 1..] {
                let disjoint = a.range.intersect(&b.range).is_none()
                    || !available
                        .iter()
                        .any(|v| a.range.satisfies(v) && b.range.satisfies(v));
                if disjoint {
                    let suggestion = a
                        .range
                        .best_match(&available)
                        .or_else(|| b.range.best_match(&available))
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "<version>".into());
                    return Err(ResolveError::Conflict {
                        id: name.into(),
                        first: Box::new(a.clone()),
                        second: Box::new(b.clone()),
                        suggestion,
                    });
                }
            }
        }
        let combined = reqs
            .iter()
            .skip(1)
            .try_fold(reqs[0].range.clone(), |acc, r| acc.intersect(&r.range))
            .unwrap_or_else(|| reqs[0].range.clone());
        let lone = reqs
            .iter()
            .find(|r| !available.iter().any(|v| r.range.satisfies(v)))
            .unwrap_or(&reqs[0]);
        Err(no_match(name, &combined, &lone.path, &available))
    }

    fn finish(
        &mut self,
        walk: &Walk,
        choices: &BTreeMap<String, NuGetVersion>,
        warnings: Vec<String>,
    ) -> Result<Resolution, ResolveError> {
        let mut packages = BTreeMap::new();
        for (lid, version) in choices {
            let name = walk.names[lid].clone();
            let fw = self.framework_of(lid);
            let d = self.deps(&name, version, &fw)?;
            let mut dependencies: Vec<(String, NuGetVersion)> = d
                .deps
                .iter()
                .map(|(id, _)| {
                    (
                        walk.names[&id.to_ascii_lowercase()].clone(),
                        choices[&id.to_ascii_lowercase()].clone(),
                    )
                })
                .collect();
            dependencies.sort_by_key(|(id, _)| id.to_ascii_lowercase());
            dependencies.dedup_by(|a, b| a.0.eq_ignore_ascii_case(&b.0));
            packages.insert(
                lid.clone(),
                ResolvedPackage {
                    id: name,
                    version: version.clone(),
                    framework: fw,
                    group_framework: d.group,
                    dependencies,
                    direct: walk.direct.contains(lid),
                },
            );
        }
        if let Some(cycle) = find_cycle(&packages) {
            return Err(ResolveError::Cycle { cycle });
        }
        Ok(Resolution { packages, warnings })
    }
}

fn no_match(
    id: &str,
    range: &VersionRange,
    path: &DependencyPath,
    available: &[NuGetVersion],
) -> ResolveError {
    let shown = if available.is_empty() {
        "none (the package is on no source)".to_string()
    } else if available.len() <= 8 {
        available
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        let head: Vec<String> = available[..3].iter().map(|v| v.to_string()).collect();
        let tail: Vec<String> = available[available.len() - 3..]
            .iter()
            .map(|v| v.to_string())
            .collect();
        format!(
            "{}, … {}, {} versions in all",
            head.join(", "),
            tail.join(", "),
            available.len()
        )
    };
    let hint = if available.is_empty() {
        format!("check the id `{id}` and the sources in NuGet.config")
    } else if path.0.is_empty() {
        format!("change the range of {id} in mochi.toml to one of the available versions")
    } else {
        // A pin below what the path requires would fail as a downgrade: only
        // suggest one the requirement's lower bound admits.
        let admitted: Vec<&NuGetVersion> = available
            .iter()
            .filter(|v| {
                range.min.as_ref().is_none_or(|b| {
                    if b.inclusive {
                        **v >= b.version
                    } else {
                        **v > b.version
                    }
                })
            })
            .collect();
        let parent = path.0.last().map(|(p, v)| format!("{p} {v}"));
        match (admitted.last(), range.min.as_ref()) {
            (Some(v), _) => {
                format!("pin {id} to an available version in mochi.toml: \"{id}\" = \"{v}\"")
            }
            (None, Some(b)) => format!(
                "every available version of {id} is older than {} needs ({}); a pin cannot help (it would be a downgrade): add a NuGet source that serves {id} {} or later, or lock another version of {} whose dependencies the sources can satisfy",
                parent.as_deref().unwrap_or("mochi.toml"),
                b.version,
                b.version,
                path.0
                    .first()
                    .map(|(p, _)| p.as_str())
                    .unwrap_or("the package that requires it")
            ),
            (None, None) => format!(
                "no available version of {id} fits {range}; add a NuGet source that serves one"
            ),
        }
    };
    ResolveError::NoMatch {
        id: id.into(),
        range: range.to_string(),
        path: path.clone(),
        available: shown,
        hint,
    }
}

/// Picks the dependency group NuGet would use for `fw` and parses its ranges.
/// Groups whose framework this bridge does not understand can never be nearest and
/// are skipped; no compatible group means no dependencies, as in NuGet.
fn select_group(
    id: &str,
    version: &NuGetVersion,
    fw: &Framework,
    raw: &[RawDependencyGroup],
) -> Result<Deps, ResolveError> {
    let parsed: Vec<(usize, Framework)> = raw
        .iter()
        .enumerate()
        .filter_map(|(i, g)| {
            let f = match &g.target_framework {
                None => Ok(Framework::ANY),
                Some(s) => Framework::parse(s),
            };
            f.ok().map(|f| (i, f))
        })
        .collect();
    let offered: Vec<Framework> = parsed.iter().map(|(_, f)| f.clone()).collect();
    let Some(pick) = nearest(fw, &offered) else {
        return Ok(Deps {
            group: None,
            deps: Vec::new(),
        });
    };
    let (gi, gf) = &parsed[pick];
    let mut deps = Vec::new();
    for (dep, range) in &raw[*gi].dependencies {
        let r = if range.trim().is_empty() {
            VersionRange::all()
        } else {
            VersionRange::parse(range).map_err(|source| ResolveError::BadRange {
                id: id.into(),
                version: version.to_string(),
                dependency: dep.clone(),
                source,
            })?
        };
        deps.push((dep.clone(), r));
    }
    Ok(Deps {
        group: (gf.family != Family::Any).then(|| gf.clone()),
        deps,
    })
}

/// A cycle in the resolved graph, as `A 1.0.0 → B 2.0.0 → A 1.0.0`, or `None`.
fn find_cycle(packages: &BTreeMap<String, ResolvedPackage>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks: BTreeMap<&str, Mark> =
        packages.keys().map(|k| (k.as_str(), Mark::New)).collect();
    fn visit<'a>(
        lid: &'a str,
        packages: &'a BTreeMap<String, ResolvedPackage>,
        marks: &mut BTreeMap<&'a str, Mark>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        marks.insert(lid, Mark::Active);
        stack.push(lid);
        let p = &packages[lid];
        for (dep, _) in &p.dependencies {
            let (dlid, _) = packages.get_key_value(&dep.to_ascii_lowercase())?;
            match marks[dlid.as_str()] {
                Mark::Active => {
                    let start = stack.iter().position(|s| *s == dlid).expect("on stack");
                    let mut cycle: Vec<String> = stack[start..]
                        .iter()
                        .map(|l| format!("{} {}", packages[*l].id, packages[*l].version))
                        .collect();
                    cycle.push(format!("{} {}", packages[dlid].id, packages[dlid].version));
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(dlid, packages, marks, stack) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(lid, Mark::Done);
        None
    }
    let keys: Vec<&str> = packages.keys().map(String::as_str).collect();
    for k in keys {
        if marks[k] == Mark::New {
            let mut stack = Vec::new();
            if let Some(c) = visit(k, packages, &mut marks, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

/// An in-memory [`PackageIndex`] for tests and benchmarks: `(id, version)` →
/// dependency groups.
#[derive(Debug, Clone, Default)]
pub struct MemoryIndex {
    packages: BTreeMap<String, BTreeMap<String, (String, Vec<RawDependencyGroup>)>>,
}

impl MemoryIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `id` `version` with one framework-neutral group of `(id, range)` pairs.
    pub fn add(&mut self, id: &str, version: &str, deps: &[(&str, &str)]) -> &mut Self {
        self.add_groups(
            id,
            version,
            vec![RawDependencyGroup {
                target_framework: None,
                dependencies: deps
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
            }],
        )
    }

    pub fn add_groups(
        &mut self,
        id: &str,
        version: &str,
        groups: Vec<RawDependencyGroup>,
    ) -> &mut Self {
        self.packages
            .entry(id.to_ascii_lowercase())
            .or_default()
            .insert(version.to_ascii_lowercase(), (version.to_string(), groups));
        self
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct MemoryError(String);

impl PackageIndex for MemoryIndex {
    fn list_versions(&self, id: &str) -> Result<Vec<String>, SourceError> {
        Ok(self
            .packages
            .get(&id.to_ascii_lowercase())
            .map(|m| m.values().map(|(v, _)| v.clone()).collect())
            .unwrap_or_default())
    }

    fn dependency_groups(
        &self,
        id: &str,
        version: &str,
    ) -> Result<Vec<RawDependencyGroup>, SourceError> {
        let want = NuGetVersion::parse(version).map_err(|e| Box::new(e) as SourceError)?;
        self.packages
            .get(&id.to_ascii_lowercase())
            .and_then(|m| {
                m.values()
                    .find(|(v, _)| NuGetVersion::parse(v).is_ok_and(|v| v == want))
            })
            .map(|(_, g)| g.clone())
            .ok_or_else(|| {
                Box::new(MemoryError(format!("{id} {version} is not in the index"))) as SourceError
            })
    }
}
