//! Package sources from NuGet.config files and the manifest.
//!
//! Merge order, as NuGet applies it: the user config
//! (`~/.nuget/NuGet/NuGet.Config`) first, then every `NuGet.config` from the
//! filesystem root down to the project folder, so a file closer to the project
//! overrides one further away. In `<packageSources>`, `<add>` adds or replaces a
//! source by key (case-insensitive), `<remove>` drops one, and `<clear/>` drops every
//! source defined by the files applied before. `<disabledPackageSources>` entries with
//! `value="true"` disable a source by key; `<clear/>` there re-enables all.
//!
//! Resulting order: sources from the manifest first (highest priority), then config
//! sources from the closest file to the furthest, each file in document order.
//! Relative folder paths are resolved against the folder of the file that names them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::client::error::NuGetError;

/// The public nuget.org v3 source, used when no config file exists at all.
pub const NUGET_ORG: &str = "https://api.nuget.org/v3/index.json";

/// Where a source lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SourceLocation {
    /// A NuGet v3 server: the URL of its service index.
    Http(String),
    /// A local folder feed: flat `*.nupkg` files and/or the `<id>/<version>/` layout.
    Folder(PathBuf),
}

/// One package source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PackageSource {
    /// The key in NuGet.config (or the manifest).
    pub name: String,
    pub location: SourceLocation,
}

impl PackageSource {
    /// A source from a NuGet.config value: `http(s)://` URLs are servers, anything
    /// else is a folder (relative to `base_dir`).
    pub fn from_value(name: &str, value: &str, base_dir: &Path) -> Self {
        let v = value.trim();
        let lower = v.to_ascii_lowercase();
        let location = if lower.starts_with("http://") || lower.starts_with("https://") {
            SourceLocation::Http(v.to_string())
        } else {
            let v = v.strip_prefix("file://").unwrap_or(v);
            let p = PathBuf::from(v.replace('\\', "/"));
            SourceLocation::Folder(if p.is_absolute() { p } else { base_dir.join(p) })
        };
        PackageSource {
            name: name.to_string(),
            location,
        }
    }

    /// The URL or folder, as recorded in a lockfile's `source`.
    pub fn display_location(&self) -> String {
        match &self.location {
            SourceLocation::Http(u) => u.clone(),
            SourceLocation::Folder(p) => p.display().to_string(),
        }
    }
}

/// Where to look for config files.
#[derive(Debug, Clone)]
pub struct ConfigDiscovery {
    /// The project folder; config files are searched from here up to the root.
    pub project_dir: PathBuf,
    /// The user-level config file, if any (default `~/.nuget/NuGet/NuGet.Config`).
    pub user_config: Option<PathBuf>,
}

impl ConfigDiscovery {
    /// The standard discovery for a project folder, the user config taken from `$HOME`.
    pub fn standard(project_dir: impl Into<PathBuf>) -> Self {
        let user_config = envvars::nonempty(envvars::HOME).map(|h| {
            PathBuf::from(h)
                .join(".nuget")
                .join("NuGet")
                .join("NuGet.Config")
        });
        ConfigDiscovery {
            project_dir: project_dir.into(),
            user_config,
        }
    }
}

/// The merged result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSet {
    /// Enabled sources, in priority order.
    pub sources: Vec<PackageSource>,
    /// Keys of sources that were defined but disabled.
    pub disabled: Vec<String>,
    /// Config files read, highest priority first.
    pub files: Vec<PathBuf>,
    /// `<config><add key="globalPackagesFolder">` if any file sets it.
    pub global_packages_folder: Option<PathBuf>,
    /// `<packageSourceMapping>`, when any file defines one.
    pub source_mapping: Option<SourceMapping>,
}

/// NuGet's package source mapping: which sources may serve which package ids.
///
/// Patterns are an exact id, a prefix ending in `*`, or `*` alone (case-insensitive).
/// The most specific matching pattern wins (exact, then the longest prefix); every
/// source mapped with that pattern may serve the package, no other. Sources that come
/// from the manifest are not subject to the mapping.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceMapping {
    /// `(source key, patterns)` in file order.
    pub sources: Vec<(String, Vec<String>)>,
    /// Source names exempt from the mapping (the manifest's own sources).
    pub exempt: Vec<String>,
}

impl SourceMapping {
    /// How specifically `pattern` matches `id` (higher is more specific).
    fn specificity(pattern: &str, id: &str) -> Option<usize> {
        let (p, id) = (pattern.to_ascii_lowercase(), id.to_ascii_lowercase());
        match p.strip_suffix('*') {
            Some(prefix) if id.starts_with(prefix) => Some(prefix.len()),
            Some(_) => None,
            None => (p == id).then_some(usize::MAX),
        }
    }

    /// May the source named `source` serve package `id`?
    pub fn allows(&self, source: &str, id: &str) -> bool {
        if self.exempt.iter().any(|e| e == source) {
            return true;
        }
        let best = |patterns: &[String]| {
            patterns
                .iter()
                .filter_map(|p| Self::specificity(p, id))
                .max()
        };
        let Some(top) = self.sources.iter().filter_map(|(_, ps)| best(ps)).max() else {
            return false;
        };
        self.sources
            .iter()
            .any(|(k, ps)| k.eq_ignore_ascii_case(source) && best(ps) == Some(top))
    }
}

/// File names NuGet accepts in a folder, in the order it tries them on a
/// case-sensitive file system.
const CONFIG_NAMES: [&str; 3] = ["nuget.config", "NuGet.config", "NuGet.Config"];

fn config_in(dir: &Path) -> Option<PathBuf> {
    CONFIG_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

#[derive(Debug, Clone)]
struct Entry {
    key: String,
    value: String,
    base_dir: PathBuf,
    /// Priority rank of the defining file: 0 = closest to the project.
    rank: usize,
    position: usize,
}

/// Reads and merges the config files, then adds the manifest's sources
/// (`(name, url-or-path)`, paths relative to `manifest_dir`).
pub fn load_sources(
    discovery: &ConfigDiscovery,
    manifest_sources: &[(String, String)],
    manifest_dir: &Path,
) -> Result<SourceSet, NuGetError> {
    // Highest priority first: project folder up to the root, then the user config.
    let mut files: Vec<PathBuf> = Vec::new();
    let start = std::path::absolute(&discovery.project_dir)
        .unwrap_or_else(|_| discovery.project_dir.clone());
    let mut dir: Option<&Path> = Some(&start);
    while let Some(d) = dir {
        if let Some(f) = config_in(d) {
            files.push(f);
        }
        dir = d.parent();
    }
    if let Some(user) = &discovery.user_config
        && user.is_file()
        && !files.contains(user)
    {
        files.push(user.clone());
    }

    let mut merged = Merged::default();
    // Apply lowest priority first, so later files override earlier ones.
    for (rank, file) in files.iter().enumerate().rev() {
        let text = std::fs::read_to_string(file).map_err(|e| NuGetError::Config {
            path: file.clone(),
            message: e.to_string(),
        })?;
        apply_file(&text, file, rank, &mut merged)?;
    }
    let Merged {
        mut entries,
        disabled,
        global_packages_folder,
        mapping,
    } = merged;
    entries.sort_by_key(|e| (e.rank, e.position));

    let disabled_set: HashSet<String> = disabled.iter().map(|d| d.to_ascii_lowercase()).collect();
    let mut sources: Vec<PackageSource> = manifest_sources
        .iter()
        .map(|(n, v)| PackageSource::from_value(n, v, manifest_dir))
        .collect();
    let mut disabled_defined = Vec::new();
    for e in &entries {
        if disabled_set.contains(&e.key.to_ascii_lowercase()) {
            disabled_defined.push(e.key.clone());
            continue;
        }
        sources.push(PackageSource::from_value(&e.key, &e.value, &e.base_dir));
    }
    if files.is_empty() && manifest_sources.is_empty() {
        sources.push(PackageSource::from_value(
            "nuget.org",
            NUGET_ORG,
            manifest_dir,
        ));
    }
    // The same location twice is queried once, at its highest priority.
    let mut seen = HashSet::new();
    sources.retain(|s| seen.insert(s.location.clone()));
    let source_mapping = (!mapping.is_empty()).then(|| SourceMapping {
        sources: mapping,
        exempt: manifest_sources.iter().map(|(n, _)| n.clone()).collect(),
    });
    Ok(SourceSet {
        sources,
        disabled: disabled_defined,
        files,
        global_packages_folder,
        source_mapping,
    })
}

/// The state accumulated while applying config files.
#[derive(Debug, Default)]
struct Merged {
    entries: Vec<Entry>,
    disabled: Vec<String>,
    global_packages_folder: Option<PathBuf>,
    mapping: Vec<(String, Vec<String>)>,
}

fn apply_file(text: &str, file: &Path, rank: usize, merged: &mut Merged) -> Result<(), NuGetError> {
    let base_dir = file.parent().unwrap_or(Path::new("/"));
    let Merged {
        entries,
        disabled,
        global_packages_folder,
        mapping,
    } = merged;
    let err = |message: String| NuGetError::Config {
        path: file.to_path_buf(),
        message,
    };
    let doc = roxmltree::Document::parse(text.trim_start_matches('\u{feff}'))
        .map_err(|e| err(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "configuration" {
        return Err(err(format!(
            "root element is <{}>, expected <configuration>",
            root.tag_name().name()
        )));
    }
    let attr = |n: roxmltree::Node, a: &str| -> Result<String, NuGetError> {
        n.attribute(a).map(str::to_string).ok_or_else(|| {
            err(format!(
                "<{}> at line {} has no {a} attribute",
                n.tag_name().name(),
                doc.text_pos_at(n.range().start).row
            ))
        })
    };
    for section in root.children().filter(|n| n.is_element()) {
        match section.tag_name().name() {
            "packageSources" => {
                for (position, item) in section.children().filter(|n| n.is_element()).enumerate() {
                    match item.tag_name().name() {
                        "clear" => entries.clear(),
                        "add" => {
                            let key = attr(item, "key")?;
                            let value = attr(item, "value")?;
                            entries.retain(|e| !e.key.eq_ignore_ascii_case(&key));
                            entries.push(Entry {
                                key,
                                value: expand_env(&value),
                                base_dir: base_dir.to_path_buf(),
                                rank,
                                position,
                            });
                        }
                        "remove" => {
                            let key = attr(item, "key")?;
                            entries.retain(|e| !e.key.eq_ignore_ascii_case(&key));
                        }
                        _ => {}
                    }
                }
            }
            "disabledPackageSources" => {
                for item in section.children().filter(|n| n.is_element()) {
                    match item.tag_name().name() {
                        "clear" => disabled.clear(),
                        "add" => {
                            let key = attr(item, "key")?;
                            let on = item
                                .attribute("value")
                                .is_none_or(|v| v.trim().eq_ignore_ascii_case("true"));
                            disabled.retain(|d| !d.eq_ignore_ascii_case(&key));
                            if on {
                                disabled.push(key);
                            }
                        }
                        "remove" => {
                            let key = attr(item, "key")?;
                            disabled.retain(|d| !d.eq_ignore_ascii_case(&key));
                        }
                        _ => {}
                    }
                }
            }
            "packageSourceMapping" => {
                for item in section.children().filter(|n| n.is_element()) {
                    match item.tag_name().name() {
                        "clear" => mapping.clear(),
                        "packageSource" => {
                            let key = attr(item, "key")?;
                            let mut patterns = Vec::new();
                            for p in item
                                .children()
                                .filter(|n| n.is_element() && n.tag_name().name() == "package")
                            {
                                patterns.push(attr(p, "pattern")?.trim().to_string());
                            }
                            mapping.retain(|(k, _)| !k.eq_ignore_ascii_case(&key));
                            mapping.push((key, patterns));
                        }
                        _ => {}
                    }
                }
            }
            "config" => {
                for item in section
                    .children()
                    .filter(|n| n.is_element() && n.tag_name().name() == "add")
                {
                    if item
                        .attribute("key")
                        .is_some_and(|k| k.eq_ignore_ascii_case("globalPackagesFolder"))
                    {
                        let v = expand_env(&attr(item, "value")?);
                        let p = PathBuf::from(v);
                        *global_packages_folder =
                            Some(if p.is_absolute() { p } else { base_dir.join(p) });
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Expands `%NAME%` environment references as NuGet does; unknown names stay as-is.
fn expand_env(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        match after.find('%') {
            Some(end) if end > 0 => {
                let name = &after[..end];
                out.push_str(&rest[..start]);
                match envvars::nuget_config_reference(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push('%');
                        out.push_str(name);
                        out.push('%');
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str(&rest[..=start]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
