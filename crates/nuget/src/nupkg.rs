//! Reading `.nupkg` files: safe extraction and `.nuspec` parsing.
//!
//! A `.nupkg` is untrusted input. Extraction refuses path escapes (`..`, absolute
//! paths, drive letters, backslash tricks, percent-encoded variants of those),
//! symbolic links, duplicate entries, and zip bombs (limits on entry count, total and
//! per-entry uncompressed size, and compression ratio, counted on the bytes actually
//! inflated, not on what the headers claim).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// One dependency group as a source states it (a `.nuspec` `<group>`, or a
/// registration entry's `dependencyGroups`): the target framework string exactly as
/// written (`None` for the framework-agnostic group) and `(id, range)` pairs with the
/// range string exactly as written (empty when the source gives none, which NuGet
/// reads as "any version"). Parsing them is the resolver's business.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawDependencyGroup {
    pub target_framework: Option<String>,
    pub dependencies: Vec<(String, String)>,
}

/// Limits applied while extracting. The defaults admit every real package we know of
/// (the largest on nuget.org are a few hundred MB uncompressed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractLimits {
    /// Maximum number of entries in the archive.
    pub max_entries: usize,
    /// Maximum sum of uncompressed sizes.
    pub max_total_bytes: u64,
    /// Maximum uncompressed size of one entry.
    pub max_entry_bytes: u64,
    /// Maximum uncompressed/compressed ratio of one entry, checked for entries larger
    /// than `ratio_threshold_bytes` (small files legitimately compress very well).
    pub max_ratio: u64,
    pub ratio_threshold_bytes: u64,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        ExtractLimits {
            max_entries: 20_000,
            max_total_bytes: 2 << 30,
            max_entry_bytes: 1 << 30,
            max_ratio: 200,
            ratio_threshold_bytes: 1 << 20,
        }
    }
}

/// Errors while reading a package. `package` names the package (id, version and
/// where it came from, or the file path).
#[derive(Debug, thiserror::Error)]
pub enum NupkgError {
    #[error(
        "{package}: not a readable .nupkg (zip): {message}\n  hint: the file is damaged or not a NuGet package; delete it and download again"
    )]
    Zip { package: String, message: String },

    #[error(
        "{package}: entry {entry:?} {reason}; refusing to extract the package\n  hint: this package is malformed or hostile; do not use it"
    )]
    UnsafePath {
        package: String,
        entry: String,
        reason: &'static str,
    },

    #[error(
        "{package}: entry {entry:?} is a symbolic link; refusing to extract the package\n  hint: NuGet packages never contain links; this package is malformed or hostile"
    )]
    Symlink { package: String, entry: String },

    #[error(
        "{package}: {reason} (entry {entry:?}); refusing to extract a possible zip bomb\n  hint: if this package is genuine, raise the extraction limits"
    )]
    TooLarge {
        package: String,
        entry: String,
        reason: String,
    },

    #[error(
        "{package}: no .nuspec at the root of the package\n  hint: this is not a valid NuGet package"
    )]
    NoNuspec { package: String },

    #[error(
        "{package}: several .nuspec files at the root ({files})\n  hint: this is not a valid NuGet package"
    )]
    SeveralNuspecs { package: String, files: String },

    #[error(
        "{package}: invalid nuspec {file}: {message}\n  hint: the package metadata is malformed; contact the package author or use another version"
    )]
    Nuspec {
        package: String,
        file: String,
        message: String,
    },

    #[error("{package}: I/O error on {path}: {source}")]
    Io {
        package: String,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The metadata of a `.nuspec` that the bridge uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nuspec {
    pub id: String,
    pub version: String,
    pub authors: Option<String>,
    pub owners: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// `<license>` text (an SPDX expression or a file name) and its `type` attribute.
    pub license: Option<String>,
    pub license_type: Option<String>,
    pub license_url: Option<String>,
    pub project_url: Option<String>,
    pub tags: Option<String>,
    pub min_client_version: Option<String>,
    /// Dependency groups exactly as written. A flat `<dependencies>` list without
    /// `<group>` becomes one group with `target_framework: None`. A dependency without
    /// a `version` attribute has an empty range (NuGet reads it as "any version").
    pub dependency_groups: Vec<RawDependencyGroup>,
}

/// One `lib/<folder>/` or `ref/<folder>/` group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssemblyGroup {
    /// The target framework folder name as written in the package (e.g. `net45`,
    /// `netstandard2.0`); empty for assemblies directly under `lib/`.
    pub folder: String,
    /// Assemblies (`.dll`, `.exe`, `.winmd`) directly in the folder, as paths relative
    /// to the extracted package root with `/` separators, sorted. Empty when the group
    /// holds only the `_._` placeholder (compatible, nothing to reference).
    pub assemblies: Vec<String>,
}

/// What an extracted package offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageContents {
    pub nuspec: Nuspec,
    /// The `.nuspec` file name at the package root.
    pub nuspec_file: String,
    /// `lib/` groups sorted by folder name.
    pub lib: Vec<AssemblyGroup>,
    /// `ref/` groups sorted by folder name.
    pub ref_groups: Vec<AssemblyGroup>,
}

fn zip_err(package: &str, e: impl std::fmt::Display) -> NupkgError {
    NupkgError::Zip {
        package: package.to_string(),
        message: e.to_string(),
    }
}

fn io_err(package: &str, path: &Path, source: io::Error) -> NupkgError {
    NupkgError::Io {
        package: package.to_string(),
        path: path.to_path_buf(),
        source,
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = h {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Turns an archive entry name into a safe relative path, or says why it is unsafe.
/// Names are percent-decoded (OPC escapes them) and `\` is a separator, as in NuGet.
pub fn sanitize_entry_name(raw: &str) -> Result<(String, bool), &'static str> {
    let decoded = percent_decode(raw).replace('\\', "/");
    if decoded.contains('\0') {
        return Err("contains a NUL character");
    }
    if decoded.starts_with('/') {
        return Err("is an absolute path");
    }
    let is_dir = decoded.ends_with('/');
    let trimmed = decoded.trim_end_matches('/');
    if trimmed.is_empty() {
        return Err("has an empty name");
    }
    let mut parts = Vec::new();
    for (i, part) in trimmed.split('/').enumerate() {
        match part {
            "" => return Err("has an empty path component"),
            "." => return Err("has a '.' path component"),
            ".." => return Err("escapes the extraction folder with '..'"),
            _ => {}
        }
        if i == 0 && part.len() >= 2 && part.as_bytes()[1] == b':' {
            return Err("starts with a drive letter");
        }
        if part.chars().any(|c| c.is_control()) {
            return Err("contains a control character");
        }
        parts.push(part);
    }
    Ok((parts.join("/"), is_dir))
}

/// Largest `.nuspec` read into memory (real ones are a few KB).
const MAX_NUSPEC: u64 = 8 << 20;

const S_IFMT: u32 = 0o170000;
const S_IFLNK: u32 = 0o120000;

/// Extracts `nupkg` into `dest` (which must not exist yet), then parses its nuspec
/// and lists its assembly groups. `package` names the package in errors.
pub fn extract(
    nupkg: &Path,
    dest: &Path,
    limits: &ExtractLimits,
    package: &str,
) -> Result<PackageContents, NupkgError> {
    let file = File::open(nupkg).map_err(|e| io_err(package, nupkg, e))?;
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| zip_err(package, e))?;
    if archive.len() > limits.max_entries {
        return Err(NupkgError::TooLarge {
            package: package.to_string(),
            entry: String::new(),
            reason: format!(
                "{} entries exceed the limit of {}",
                archive.len(),
                limits.max_entries
            ),
        });
    }
    fs::create_dir(dest).map_err(|e| io_err(package, dest, e))?;
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| zip_err(package, e))?;
        let raw = entry.name().to_string();
        if entry.unix_mode().is_some_and(|m| m & S_IFMT == S_IFLNK) {
            return Err(NupkgError::Symlink {
                package: package.to_string(),
                entry: raw,
            });
        }
        let (rel, is_dir) = sanitize_entry_name(&raw).map_err(|reason| NupkgError::UnsafePath {
            package: package.to_string(),
            entry: raw.clone(),
            reason,
        })?;
        let target = dest.join(&rel);
        if is_dir || entry.is_dir() {
            fs::create_dir_all(&target).map_err(|e| io_err(package, &target, e))?;
            continue;
        }
        let too_large = |reason: String| NupkgError::TooLarge {
            package: package.to_string(),
            entry: raw.clone(),
            reason,
        };
        let declared = entry.size();
        let compressed = entry.compressed_size().max(1);
        if declared > limits.max_entry_bytes {
            return Err(too_large(format!(
                "declared size {declared} bytes exceeds the per-entry limit of {}",
                limits.max_entry_bytes
            )));
        }
        if declared > limits.ratio_threshold_bytes && declared / compressed > limits.max_ratio {
            return Err(too_large(format!(
                "compression ratio {}:1 exceeds the limit of {}:1",
                declared / compressed,
                limits.max_ratio
            )));
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| io_err(package, parent, e))?;
        }
        // create_new: a duplicate entry (or a case collision) is an error, and an
        // existing link is never followed.
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(|e| {
                if e.kind() == io::ErrorKind::AlreadyExists {
                    NupkgError::UnsafePath {
                        package: package.to_string(),
                        entry: raw.clone(),
                        reason: "is a duplicate of an earlier entry",
                    }
                } else {
                    io_err(package, &target, e)
                }
            })?;
        let mut written: u64 = 0;
        loop {
            let n = entry
                .read(&mut buf)
                .map_err(|e| zip_err(package, format!("entry {raw:?}: {e}")))?;
            if n == 0 {
                break;
            }
            written += n as u64;
            total += n as u64;
            if written > limits.max_entry_bytes {
                return Err(too_large(format!(
                    "inflates past the per-entry limit of {} bytes",
                    limits.max_entry_bytes
                )));
            }
            if total > limits.max_total_bytes {
                return Err(too_large(format!(
                    "the package inflates past the total limit of {} bytes",
                    limits.max_total_bytes
                )));
            }
            if written > limits.ratio_threshold_bytes && written / compressed > limits.max_ratio {
                return Err(too_large(format!(
                    "inflates at more than {}:1",
                    limits.max_ratio
                )));
            }
            out.write_all(&buf[..n])
                .map_err(|e| io_err(package, &target, e))?;
        }
    }
    read_extracted(dest, package)
}

/// Parses the nuspec of an already extracted package and lists its assembly groups.
pub fn read_extracted(dir: &Path, package: &str) -> Result<PackageContents, NupkgError> {
    let mut nuspecs: Vec<String> = fs::read_dir(dir)
        .map_err(|e| io_err(package, dir, e))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.to_ascii_lowercase().ends_with(".nuspec"))
        .collect();
    nuspecs.sort();
    let nuspec_file = match nuspecs.len() {
        0 => {
            return Err(NupkgError::NoNuspec {
                package: package.to_string(),
            });
        }
        1 => nuspecs.remove(0),
        _ => {
            return Err(NupkgError::SeveralNuspecs {
                package: package.to_string(),
                files: nuspecs.join(", "),
            });
        }
    };
    let path = dir.join(&nuspec_file);
    let len = fs::metadata(&path)
        .map_err(|e| io_err(package, &path, e))?
        .len();
    if len > MAX_NUSPEC {
        return Err(NupkgError::TooLarge {
            package: package.to_string(),
            entry: nuspec_file,
            reason: format!("the nuspec is larger than {MAX_NUSPEC} bytes"),
        });
    }
    let bytes = fs::read(&path).map_err(|e| io_err(package, &path, e))?;
    let nuspec = parse_nuspec(&bytes, package, &nuspec_file)?;
    Ok(PackageContents {
        nuspec,
        nuspec_file,
        lib: assembly_groups(dir, "lib"),
        ref_groups: assembly_groups(dir, "ref"),
    })
}

fn is_assembly(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l.ends_with(".dll") || l.ends_with(".exe") || l.ends_with(".winmd")
}

fn find_child_dir(dir: &Path, name: &str) -> Option<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .collect();
    found.sort();
    found.into_iter().next()
}

fn assembly_groups(root: &Path, top: &str) -> Vec<AssemblyGroup> {
    let Some((top_name, top_dir)) = find_child_dir(root, top) else {
        return Vec::new();
    };
    let mut groups: BTreeMap<String, (bool, Vec<String>)> = BTreeMap::new();
    let Ok(rd) = fs::read_dir(&top_dir) else {
        return Vec::new();
    };
    for e in rd.filter_map(|e| e.ok()) {
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_file() {
            if is_assembly(&name) {
                let g = groups.entry(String::new()).or_default();
                g.0 = true;
                g.1.push(format!("{top_name}/{name}"));
            }
        } else if ft.is_dir() {
            let g = groups.entry(name.clone()).or_default();
            if let Ok(files) = fs::read_dir(e.path()) {
                for f in files.filter_map(|f| f.ok()) {
                    let Ok(fname) = f.file_name().into_string() else {
                        continue;
                    };
                    if !f.file_type().is_ok_and(|t| t.is_file()) {
                        continue;
                    }
                    if is_assembly(&fname) {
                        g.0 = true;
                        g.1.push(format!("{top_name}/{name}/{fname}"));
                    } else if fname == "_._" {
                        g.0 = true;
                    }
                }
            }
        }
    }
    groups
        .into_iter()
        .filter(|(_, (present, _))| *present)
        .map(|(folder, (_, mut assemblies))| {
            assemblies.sort();
            AssemblyGroup { folder, assemblies }
        })
        .collect()
}

/// Reads only the root `.nuspec` of a `.nupkg` (no extraction), for local feeds.
pub fn read_nuspec_from_nupkg(nupkg: &Path, package: &str) -> Result<Nuspec, NupkgError> {
    let file = File::open(nupkg).map_err(|e| io_err(package, nupkg, e))?;
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| zip_err(package, e))?;
    let mut names: Vec<(usize, String)> = (0..archive.len())
        .filter_map(|i| {
            let e = archive.by_index_raw(i).ok()?;
            let n = e.name().to_string();
            (!n.contains('/') && !n.contains('\\') && n.to_ascii_lowercase().ends_with(".nuspec"))
                .then_some((i, n))
        })
        .collect();
    let (index, name) = match names.len() {
        0 => {
            return Err(NupkgError::NoNuspec {
                package: package.to_string(),
            });
        }
        1 => names.remove(0),
        _ => {
            return Err(NupkgError::SeveralNuspecs {
                package: package.to_string(),
                files: names
                    .into_iter()
                    .map(|(_, n)| n)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    };
    let entry = archive.by_index(index).map_err(|e| zip_err(package, e))?;
    let mut bytes = Vec::new();
    entry
        .take(MAX_NUSPEC + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| zip_err(package, format!("entry {name:?}: {e}")))?;
    if bytes.len() as u64 > MAX_NUSPEC {
        return Err(NupkgError::TooLarge {
            package: package.to_string(),
            entry: name,
            reason: format!("the nuspec is larger than {MAX_NUSPEC} bytes"),
        });
    }
    parse_nuspec(&bytes, package, &name)
}

/// Parses `.nuspec` XML. Namespaces are ignored (nuspecs use several schema
/// versions); `id` and `version` are required.
pub fn parse_nuspec(bytes: &[u8], package: &str, file: &str) -> Result<Nuspec, NupkgError> {
    let err = |message: String| NupkgError::Nuspec {
        package: package.to_string(),
        file: file.to_string(),
        message,
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|e| err(format!("not UTF-8: {e}")))?
        .trim_start_matches('\u{feff}');
    let doc = roxmltree::Document::parse(text).map_err(|e| err(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "package" {
        return Err(err(format!(
            "root element is <{}>, expected <package>",
            root.tag_name().name()
        )));
    }
    let metadata = root
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "metadata")
        .ok_or_else(|| err("no <metadata> element".to_string()))?;
    let text_of = |name: &str| -> Option<String> {
        metadata
            .children()
            .find(|n| n.is_element() && n.tag_name().name() == name)
            .map(|n| n.text().unwrap_or("").trim().to_string())
    };
    let id = text_of("id")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| err("missing or empty <id>".to_string()))?;
    let version = text_of("version")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| err("missing or empty <version>".to_string()))?;
    let license_node = metadata
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "license");

    let mut dependency_groups = Vec::new();
    if let Some(deps) = metadata
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "dependencies")
    {
        let dep_of = |n: roxmltree::Node| -> Result<(String, String), NupkgError> {
            let dep_id = n
                .attribute("id")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| err("a <dependency> has no id attribute".to_string()))?;
            Ok((
                dep_id.to_string(),
                n.attribute("version").unwrap_or("").trim().to_string(),
            ))
        };
        let mut flat = Vec::new();
        for child in deps.children().filter(|n| n.is_element()) {
            match child.tag_name().name() {
                "group" => {
                    let mut dependencies = Vec::new();
                    for d in child
                        .children()
                        .filter(|n| n.is_element() && n.tag_name().name() == "dependency")
                    {
                        dependencies.push(dep_of(d)?);
                    }
                    dependency_groups.push(RawDependencyGroup {
                        target_framework: child
                            .attribute("targetFramework")
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty()),
                        dependencies,
                    });
                }
                "dependency" => flat.push(dep_of(child)?),
                other => return Err(err(format!("unexpected <{other}> inside <dependencies>"))),
            }
        }
        if !flat.is_empty() {
            if !dependency_groups.is_empty() {
                return Err(err(
                    "<dependencies> mixes <group> and bare <dependency> elements".to_string(),
                ));
            }
            dependency_groups.push(RawDependencyGroup {
                target_framework: None,
                dependencies: flat,
            });
        }
    }
    Ok(Nuspec {
        id,
        version,
        authors: text_of("authors"),
        owners: text_of("owners"),
        title: text_of("title"),
        description: text_of("description"),
        license: license_node.map(|n| n.text().unwrap_or("").trim().to_string()),
        license_type: license_node.and_then(|n| n.attribute("type").map(str::to_string)),
        license_url: text_of("licenseUrl"),
        project_url: text_of("projectUrl"),
        tags: text_of("tags"),
        min_client_version: metadata.attribute("minClientVersion").map(str::to_string),
        dependency_groups,
    })
}
