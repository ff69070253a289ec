//! `mochi.toml`: the manifest of a Mochi package that uses .NET packages.
//!
//! Parsing is strict: an unknown key or a bad value is an error naming the file, the
//! line and the column, and saying what is allowed there. The document is read with
//! `toml_edit` so every key and value keeps its span.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml_edit::{Document, Item, Key, TableLike, Value};

use nuget::framework::{Family, Framework};
use nuget::version::{NuGetVersion, VersionRange};

pub use crate::location::Location;

/// The conventional manifest file name.
pub const MANIFEST_FILE: &str = "mochi.toml";

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {}: {source}\n  hint: run the command in the folder that holds mochi.toml", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{at}: {message}\n  hint: {hint}", path.display())]
    Invalid {
        path: PathBuf,
        at: Location,
        message: String,
        hint: String,
    },
}

impl ManifestError {
    /// The location the error points at, if any.
    pub fn location(&self) -> Option<Location> {
        match self {
            ManifestError::Invalid { at, .. } => Some(*at),
            ManifestError::Io { .. } => None,
        }
    }
}

/// `[package]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageInfo {
    pub name: String,
    pub version: Option<NuGetVersion>,
}

/// One `[dotnet-dependencies]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencySpec {
    /// The package id as written.
    pub id: String,
    /// The version range; a `path` dependency without `version` accepts any version.
    pub range: VersionRange,
    /// A framework to use for this package instead of `[dotnet] framework`.
    pub framework: Option<Framework>,
    /// A local folder feed or `.nupkg` file, relative to the manifest's folder.
    pub path: Option<PathBuf>,
    pub at: Location,
}

/// How the program reaches .NET at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BridgeKind {
    #[default]
    ClrHosting,
    NativeAot,
}

/// How `Task<T>` results reach Mochi.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AsyncMode {
    /// Block the calling thread until the task completes.
    #[default]
    Blocking,
    /// Complete through a callback into the Mochi runtime.
    Callback,
}

/// A capability a .NET package may use, and a Mochi manifest may grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    Fs,
    Net,
}

impl Capability {
    pub const ALL: [Capability; 2] = [Capability::Fs, Capability::Net];

    pub fn name(self) -> &'static str {
        match self {
            Capability::Fs => "fs",
            Capability::Net => "net",
        }
    }

    pub fn parse(s: &str) -> Option<Capability> {
        match s {
            "fs" => Some(Capability::Fs),
            "net" => Some(Capability::Net),
            _ => None,
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `[dotnet.capabilities]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CapabilityGrant {
    pub net: bool,
    pub fs: bool,
}

impl CapabilityGrant {
    pub fn allows(&self, cap: Capability) -> bool {
        match cap {
            Capability::Net => self.net,
            Capability::Fs => self.fs,
        }
    }
}

/// `[dotnet.publish]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublishConfig {
    pub id: Option<String>,
    pub authors: Vec<String>,
    pub description: Option<String>,
    pub license: Option<String>,
    pub project_url: Option<String>,
    pub repository_url: Option<String>,
    pub tags: Vec<String>,
    pub readme: Option<String>,
    pub icon: Option<String>,
    pub source: Option<String>,
}

/// `[dotnet]` and its subtables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotnetConfig {
    pub framework: Framework,
    pub runtime: String,
    pub bridge: BridgeKind,
    /// Generic type (with its backtick arity) → instantiations, each one list of type
    /// arguments.
    pub monomorphise: BTreeMap<String, Vec<Vec<String>>>,
    pub publish: PublishConfig,
    pub capabilities: CapabilityGrant,
    pub async_mode: AsyncMode,
    /// `[dotnet.runtime] roll-forward`: .NET's `rollForward` for every shim
    /// (written into its runtimeconfig, used to select the runtime); none is
    /// .NET's default, `Minor`. An extension of the spec's manifest.
    pub roll_forward: Option<hosting::RollForward>,
}

impl Default for DotnetConfig {
    fn default() -> Self {
        DotnetConfig {
            framework: Framework::parse("net8.0").expect("net8.0 parses"),
            runtime: host_runtime(),
            bridge: BridgeKind::default(),
            monomorphise: BTreeMap::new(),
            publish: PublishConfig::default(),
            capabilities: CapabilityGrant::default(),
            async_mode: AsyncMode::default(),
            roll_forward: None,
        }
    }
}

/// The runtime identifier of the machine we run on (`linux-x64`, `osx-arm64`, ...).
pub fn host_runtime() -> String {
    let os = match std::env::consts::OS {
        "macos" => "osx",
        "windows" => "win",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        "x86" => "x86",
        "arm" => "arm",
        other => other,
    };
    format!("{os}-{arch}")
}

/// A parsed `mochi.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub path: PathBuf,
    pub package: Option<PackageInfo>,
    /// Keyed by lower-case id, so lookups follow NuGet's case-insensitive ids.
    pub dependencies: BTreeMap<String, DependencySpec>,
    pub dotnet: DotnetConfig,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Io {
            path: path.into(),
            source,
        })?;
        Manifest::parse(&text, path)
    }

    /// Parses manifest text; `path` is used in messages and to resolve `path` entries.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
        let cx = Cx { text, path };
        let doc = Document::parse(text).map_err(|e| {
            let at = Location::of(text, e.span().map_or(0, |s| s.start));
            ManifestError::Invalid {
                path: path.into(),
                at,
                message: format!("invalid TOML: {}", e.message().trim()),
                hint: "fix the syntax; mochi.toml is TOML (https://toml.io)".into(),
            }
        })?;
        let root = doc.as_table();
        cx.known_keys(
            root,
            "the top level",
            &["package", "dotnet-dependencies", "dotnet"],
        )?;

        let package = match root.get_key_value("package") {
            Some((k, item)) => Some(cx.package(k, item)?),
            None => None,
        };
        let mut dependencies = BTreeMap::new();
        if let Some((k, item)) = root.get_key_value("dotnet-dependencies") {
            let table = cx.table(k, item, "dotnet-dependencies")?;
            let mut entries = Vec::new();
            flatten_dotted(table, String::new(), &mut entries);
            for (id, key, value) in entries {
                let spec = cx.dependency(&id, key, value)?;
                let lower = spec.id.to_ascii_lowercase();
                if dependencies.contains_key(&lower) {
                    return Err(cx.err(
                        key.span(),
                        format!("package `{id}` is listed twice (NuGet ids ignore case)"),
                        "keep one line per package",
                    ));
                }
                dependencies.insert(lower, spec);
            }
        }
        let dotnet = match root.get_key_value("dotnet") {
            Some((k, item)) => cx.dotnet(k, item)?,
            None => DotnetConfig::default(),
        };
        Ok(Manifest {
            path: path.into(),
            package,
            dependencies,
            dotnet,
        })
    }

    /// The folder relative paths in the manifest are taken from.
    pub fn root_dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// The framework a dependency is resolved for.
    pub fn framework_for(&self, id: &str) -> &Framework {
        self.dependencies
            .get(&id.to_ascii_lowercase())
            .and_then(|d| d.framework.as_ref())
            .unwrap_or(&self.dotnet.framework)
    }
}

/// Unquoted NuGet ids are TOML dotted keys (`Newtonsoft.Json = "13.0"` is the key
/// `Json` in a dotted table `Newtonsoft`), so entries are flattened back into ids. The
/// key kept for each entry is the last segment (the one on the entry's own line).
fn flatten_dotted<'a>(
    table: &'a dyn TableLike,
    prefix: String,
    out: &mut Vec<(String, &'a Key, &'a Item)>,
) {
    for (name, _) in table.iter() {
        let (key, item) = table.get_key_value(name).expect("key from iter");
        let id = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        let dotted = match item {
            // `[dotnet-dependencies.Newtonsoft.Json]` makes `Newtonsoft` an implicit table.
            Item::Table(t) if t.is_dotted() || t.is_implicit() => Some(t as &dyn TableLike),
            Item::Value(Value::InlineTable(t)) if t.is_dotted() => Some(t as &dyn TableLike),
            _ => None,
        };
        match dotted {
            Some(t) => flatten_dotted(t, id, out),
            None => out.push((id, key, item)),
        }
    }
}

/// Validation context: the text for locations and the path for messages.
struct Cx<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Cx<'_> {
    fn err(&self, span: Option<Range<usize>>, message: String, hint: &str) -> ManifestError {
        ManifestError::Invalid {
            path: self.path.into(),
            at: Location::of(self.text, span.map_or(0, |s| s.start)),
            message,
            hint: hint.into(),
        }
    }

    fn known_keys(
        &self,
        table: &dyn TableLike,
        where_: &str,
        allowed: &[&str],
    ) -> Result<(), ManifestError> {
        for (name, _) in table.iter() {
            if !allowed.contains(&name) {
                let key = table.key(name);
                return Err(self.err(
                    key.and_then(Key::span),
                    format!("unknown key `{name}` in {where_}"),
                    &format!("allowed keys there: {}", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }

    fn table<'i>(
        &self,
        key: &Key,
        item: &'i Item,
        name: &str,
    ) -> Result<&'i dyn TableLike, ManifestError> {
        item.as_table_like().ok_or_else(|| {
            self.err(
                item.span().or_else(|| key.span()),
                format!("`{name}` must be a table"),
                &format!("write it as a [{name}] section"),
            )
        })
    }

    fn string<'i>(&self, key: &Key, item: &'i Item, what: &str) -> Result<&'i str, ManifestError> {
        match item.as_value() {
            Some(Value::String(s)) => Ok(s.value()),
            _ => Err(self.err(
                item.span().or_else(|| key.span()),
                format!("`{}` must be a string ({what})", key.get()),
                &format!("write it in quotes, e.g. {} = \"...\"", key.get()),
            )),
        }
    }

    fn boolean(&self, key: &Key, item: &Item) -> Result<bool, ManifestError> {
        match item.as_value() {
            Some(Value::Boolean(b)) => Ok(*b.value()),
            _ => Err(self.err(
                item.span().or_else(|| key.span()),
                format!("`{}` must be true or false", key.get()),
                &format!("write {} = true or {} = false", key.get(), key.get()),
            )),
        }
    }

    fn string_array(&self, key: &Key, item: &Item) -> Result<Vec<String>, ManifestError> {
        let bad = || {
            self.err(
                item.span().or_else(|| key.span()),
                format!("`{}` must be an array of strings", key.get()),
                &format!("write e.g. {} = [\"a\", \"b\"]", key.get()),
            )
        };
        let arr = item.as_array().ok_or_else(bad)?;
        arr.iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(bad))
            .collect()
    }

    fn package(&self, key: &Key, item: &Item) -> Result<PackageInfo, ManifestError> {
        let t = self.table(key, item, "package")?;
        self.known_keys(t, "[package]", &["name", "version"])?;
        let name = match t.get_key_value("name") {
            Some((k, v)) => {
                let s = self.string(k, v, "the package name")?;
                if s.trim().is_empty() {
                    return Err(self.err(
                        v.span(),
                        "`name` is empty".into(),
                        "give the package a name, e.g. name = \"hello\"",
                    ));
                }
                s.to_string()
            }
            None => {
                return Err(self.err(
                    item.span().or_else(|| key.span()),
                    "[package] has no `name`".into(),
                    "add name = \"<your package>\" under [package]",
                ));
            }
        };
        let version = match t.get_key_value("version") {
            Some((k, v)) => {
                let s = self.string(k, v, "a NuGet version")?;
                Some(NuGetVersion::parse(s).map_err(|e| {
                    self.err(v.span(), e.to_string(), "write a version such as \"0.1.0\"")
                })?)
            }
            None => None,
        };
        Ok(PackageInfo { name, version })
    }

    fn dependency(
        &self,
        id: &str,
        key: &Key,
        item: &Item,
    ) -> Result<DependencySpec, ManifestError> {
        if !nuget::id::is_valid(id) {
            return Err(self.err(
                key.span(),
                format!("`{id}` is not a NuGet package id"),
                nuget::id::ID_RULE,
            ));
        }
        // Point at the start of the entry's line: a dotted id's last segment is not.
        let offset = key.span().map_or(0, |s| s.start);
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let indent =
            self.text[line_start..offset].len() - self.text[line_start..offset].trim_start().len();
        let at = Location::of(self.text, line_start + indent);
        let range_hint = "write a range such as \"13.0.3\", \"^13.0\", \"~13.0.1\", \"=13.0.3\", \"[1.0,2.0)\" or \"13.*\"";
        let parse_range = |v: &Item, s: &str| {
            VersionRange::parse(s).map_err(|e| self.err(v.span(), e.to_string(), range_hint))
        };
        if let Some(Value::String(s)) = item.as_value() {
            return Ok(DependencySpec {
                id: id.into(),
                range: parse_range(item, s.value())?,
                framework: None,
                path: None,
                at,
            });
        }
        let Some(t) = item.as_table_like() else {
            return Err(self.err(
                item.span().or_else(|| key.span()),
                format!("dependency `{id}` must be a version range string or a table"),
                &format!("write {id} = \"<range>\" or {id} = {{ version = \"<range>\" }}"),
            ));
        };
        self.known_keys(
            t,
            &format!("dependency `{id}`"),
            &["version", "framework", "path"],
        )?;
        let mut range = None;
        let mut framework = None;
        let mut path = None;
        if let Some((k, v)) = t.get_key_value("version") {
            range = Some(parse_range(v, self.string(k, v, "a version range")?)?);
        }
        if let Some((k, v)) = t.get_key_value("framework") {
            let s = self.string(k, v, "a target framework")?;
            framework = Some(Framework::parse(s).map_err(|e| {
                self.err(
                    v.span(),
                    e.to_string(),
                    "write e.g. framework = \"netstandard2.0\"",
                )
            })?);
        }
        if let Some((k, v)) = t.get_key_value("path") {
            let s = self.string(k, v, "a folder feed or .nupkg path")?;
            if s.is_empty() {
                return Err(self.err(
                    v.span(),
                    "`path` is empty".into(),
                    "point it at a local folder feed or a .nupkg file",
                ));
            }
            path = Some(PathBuf::from(s));
        }
        let range = match (range, &path) {
            (Some(r), _) => r,
            (None, Some(_)) => VersionRange::all(),
            (None, None) => {
                return Err(self.err(
                    item.span().or_else(|| key.span()),
                    format!("dependency `{id}` has neither `version` nor `path`"),
                    &format!("add version = \"<range>\" to {id}"),
                ));
            }
        };
        Ok(DependencySpec {
            id: id.into(),
            range,
            framework,
            path,
            at,
        })
    }

    fn dotnet(&self, key: &Key, item: &Item) -> Result<DotnetConfig, ManifestError> {
        let t = self.table(key, item, "dotnet")?;
        self.known_keys(
            t,
            "[dotnet]",
            &[
                "framework",
                "runtime",
                "bridge",
                "monomorphise",
                "publish",
                "capabilities",
            ],
        )?;
        let mut cfg = DotnetConfig::default();
        if let Some((k, v)) = t.get_key_value("framework") {
            let s = self.string(k, v, "a target framework")?;
            cfg.framework = Framework::parse(s).map_err(|e| {
                self.err(v.span(), e.to_string(), "write e.g. framework = \"net8.0\"")
            })?;
            if cfg.framework.family == Family::Any {
                return Err(self.err(
                    v.span(),
                    "`framework` names no framework".into(),
                    "write e.g. framework = \"net8.0\"",
                ));
            }
        }
        if let Some((k, v)) = t.get_key_value("runtime") {
            // `runtime` is both a RID string and the [dotnet.runtime] table.
            if let Some(rt) = v.as_table_like() {
                self.known_keys(
                    rt,
                    "[dotnet.runtime]",
                    &["id", "async-mode", "roll-forward"],
                )?;
                if let Some((k2, v2)) = rt.get_key_value("roll-forward") {
                    let s = self.string(k2, v2, "a .NET roll-forward policy")?;
                    cfg.roll_forward = Some(hosting::RollForward::parse(s).ok_or_else(|| {
                        self.err(
                            v2.span(),
                            format!("`roll-forward` cannot be `{s}`"),
                            "use one of .NET's rollForward values: \"Disable\", \"LatestPatch\", \"Minor\" (the default), \"LatestMinor\", \"Major\" or \"LatestMajor\"",
                        )
                    })?);
                }
                if let Some((k2, v2)) = rt.get_key_value("id") {
                    cfg.runtime = self.rid(k2, v2)?;
                }
                if let Some((k2, v2)) = rt.get_key_value("async-mode") {
                    cfg.async_mode = match self.string(k2, v2, "blocking or callback")? {
                        "blocking" => AsyncMode::Blocking,
                        "callback" => AsyncMode::Callback,
                        other => {
                            return Err(self.err(
                                v2.span(),
                                format!("`async-mode` cannot be `{other}`"),
                                "use async-mode = \"blocking\" or \"callback\"",
                            ));
                        }
                    };
                }
            } else {
                cfg.runtime = self.rid(k, v)?;
            }
        }
        if let Some((k, v)) = t.get_key_value("bridge") {
            cfg.bridge = match self.string(k, v, "clr-hosting or nativeaot")? {
                "clr-hosting" => BridgeKind::ClrHosting,
                "nativeaot" => BridgeKind::NativeAot,
                other => {
                    return Err(self.err(
                        v.span(),
                        format!("`bridge` cannot be `{other}`"),
                        "use bridge = \"clr-hosting\" or bridge = \"nativeaot\"",
                    ));
                }
            };
        }
        if let Some((k, v)) = t.get_key_value("monomorphise") {
            cfg.monomorphise = self.monomorphise(k, v)?;
        }
        if let Some((k, v)) = t.get_key_value("publish") {
            cfg.publish = self.publish(k, v)?;
        }
        if let Some((k, v)) = t.get_key_value("capabilities") {
            let c = self.table(k, v, "dotnet.capabilities")?;
            self.known_keys(c, "[dotnet.capabilities]", &["net", "fs"])?;
            if let Some((k2, v2)) = c.get_key_value("net") {
                cfg.capabilities.net = self.boolean(k2, v2)?;
            }
            if let Some((k2, v2)) = c.get_key_value("fs") {
                cfg.capabilities.fs = self.boolean(k2, v2)?;
            }
        }
        Ok(cfg)
    }

    fn rid(&self, key: &Key, item: &Item) -> Result<String, ManifestError> {
        let s = self.string(key, item, "a runtime identifier")?;
        let known_os = [
            "linux",
            "linux-musl",
            "linux-bionic",
            "win",
            "osx",
            "freebsd",
            "android",
            "ios",
            "maccatalyst",
        ];
        let known_arch = [
            "x64",
            "x86",
            "arm64",
            "arm",
            "riscv64",
            "loongarch64",
            "s390x",
            "ppc64le",
        ];
        let ok = s
            .rsplit_once('-')
            .is_some_and(|(os, arch)| known_os.contains(&os) && known_arch.contains(&arch));
        if !ok {
            return Err(self.err(
                item.span(),
                format!("`{s}` is not a runtime identifier this bridge knows"),
                "use <os>-<arch>, e.g. runtime = \"linux-x64\", \"linux-musl-arm64\", \"win-x64\" or \"osx-arm64\"",
            ));
        }
        Ok(s.into())
    }

    fn monomorphise(
        &self,
        key: &Key,
        item: &Item,
    ) -> Result<BTreeMap<String, Vec<Vec<String>>>, ManifestError> {
        let t = self.table(key, item, "dotnet.monomorphise")?;
        let mut out = BTreeMap::new();
        for (name, _) in t.iter() {
            let (k, v) = t.get_key_value(name).expect("key from iter");
            let arity: Option<usize> = name
                .rsplit_once('`')
                .and_then(|(head, n)| (!head.is_empty()).then_some(n))
                .and_then(|n| n.parse().ok())
                .filter(|n| *n > 0);
            let Some(arity) = arity else {
                return Err(self.err(
                    k.span(),
                    format!("`{name}` is not a generic type name with its arity"),
                    "write the metadata name with a backtick and the number of type parameters, e.g. \"System.Collections.Generic.List`1\"",
                ));
            };
            let bad = |span| {
                self.err(
                    span,
                    format!("instantiations of `{name}` must be type names (or arrays of {arity} type names)"),
                    &format!(
                        "write e.g. \"{name}\" = [{}]",
                        if arity == 1 {
                            "\"System.String\"".to_string()
                        } else {
                            format!("[{}]", vec!["\"System.String\""; arity].join(", "))
                        }
                    ),
                )
            };
            let arr = v.as_array().ok_or_else(|| bad(v.span()))?;
            let mut insts = Vec::new();
            for e in arr.iter() {
                let args: Vec<String> = match e {
                    Value::String(s) if arity == 1 => vec![s.value().clone()],
                    Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| bad(e.span()))?,
                    _ => return Err(bad(e.span())),
                };
                if args.len() != arity || args.iter().any(|a| a.trim().is_empty()) {
                    return Err(bad(e.span()));
                }
                insts.push(args);
            }
            out.insert(name.to_string(), insts);
        }
        Ok(out)
    }

    fn publish(&self, key: &Key, item: &Item) -> Result<PublishConfig, ManifestError> {
        let t = self.table(key, item, "dotnet.publish")?;
        let allowed = [
            "id",
            "authors",
            "description",
            "license",
            "project-url",
            "repository-url",
            "tags",
            "readme",
            "icon",
            "source",
        ];
        self.known_keys(t, "[dotnet.publish]", &allowed)?;
        let mut p = PublishConfig::default();
        for (name, _) in t.iter() {
            let (k, v) = t.get_key_value(name).expect("key from iter");
            match name {
                "authors" => p.authors = self.string_array(k, v)?,
                "tags" => p.tags = self.string_array(k, v)?,
                _ => {
                    let s = self.string(k, v, "text")?.to_string();
                    match name {
                        "id" => {
                            if !nuget::id::is_valid(&s) {
                                return Err(self.err(
                                    v.span(),
                                    format!("`{s}` is not a NuGet package id"),
                                    nuget::id::ID_RULE,
                                ));
                            }
                            p.id = Some(s)
                        }
                        "description" => p.description = Some(s),
                        "license" => p.license = Some(s),
                        "project-url" => p.project_url = Some(s),
                        "repository-url" => p.repository_url = Some(s),
                        "readme" => p.readme = Some(s),
                        "icon" => p.icon = Some(s),
                        "source" => p.source = Some(s),
                        _ => unreachable!("checked by known_keys"),
                    }
                }
            }
        }
        Ok(p)
    }
}
