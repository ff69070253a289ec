//! NuGet's asset selection in an extracted package: the compile assemblies a
//! project targeting a framework compiles against (and so which surfaces are
//! hashed, bound and shimmed), and the native libraries (`runtimes/<rid>/native/`)
//! this machine's runtime identifier loads.

use std::path::{Path, PathBuf};

use crate::framework::{Family, Framework, IncompatibleError, nearest};
use crate::nupkg::{AssemblyGroup, PackageContents};

/// The assemblies a project compiles against, and the folder's framework.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assets {
    /// Short name of the chosen folder (`any` for files directly under `lib/`,
    /// `none` when the package ships no assemblies).
    pub framework: String,
    /// Paths relative to the package root, `/`-separated, sorted.
    pub assemblies: Vec<String>,
}

/// NuGet's compile-asset choice: the nearest `ref/` group if any is compatible, else
/// the nearest `lib/` group; neither present means no assemblies; present but none
/// compatible is an error listing what the package offers.
pub fn select_assets(
    id: &str,
    framework: &Framework,
    contents: &PackageContents,
) -> Result<Assets, IncompatibleError> {
    let parse = |groups: &[AssemblyGroup]| -> Vec<(usize, Framework)> {
        groups
            .iter()
            .enumerate()
            .filter_map(|(i, g)| Framework::parse(&g.folder).ok().map(|f| (i, f)))
            .collect()
    };
    for groups in [&contents.ref_groups, &contents.lib] {
        let parsed = parse(groups);
        let offered: Vec<Framework> = parsed.iter().map(|(_, f)| f.clone()).collect();
        if let Some(k) = nearest(framework, &offered) {
            let (gi, f) = &parsed[k];
            return Ok(Assets {
                framework: if f.family == Family::Any {
                    "any".into()
                } else {
                    f.short_name()
                },
                assemblies: groups[*gi].assemblies.clone(),
            });
        }
    }
    if contents.lib.is_empty() && contents.ref_groups.is_empty() {
        return Ok(Assets {
            framework: "none".into(),
            assemblies: Vec::new(),
        });
    }
    let mut offered: Vec<String> = contents
        .lib
        .iter()
        .chain(&contents.ref_groups)
        .map(|g| match Framework::parse(&g.folder) {
            Ok(f) => f.short_name(),
            Err(_) => g.folder.clone(),
        })
        .collect();
    offered.sort();
    offered.dedup();
    Err(IncompatibleError {
        package: id.into(),
        target: framework.short_name(),
        offered,
    })
}

/// The runtime identifiers whose `runtimes/<rid>/native/` assets this machine
/// loads, most specific first (.NET's RID fallback graph).
pub fn native_rids() -> &'static [&'static str] {
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        &["linux-x64", "linux", "unix"]
    } else if cfg!(all(target_os = "linux", target_arch = "aarch64")) {
        &["linux-arm64", "linux", "unix"]
    } else if cfg!(all(target_os = "macos", target_arch = "aarch64")) {
        &["osx-arm64", "osx", "unix"]
    } else if cfg!(target_os = "macos") {
        &["osx-x64", "osx", "unix"]
    } else if cfg!(windows) {
        &["win-x64", "win"]
    } else {
        &[]
    }
}

/// `runtimes/<rid>/native/*` of an extracted package for the first RID of
/// [`native_rids`] that has any, sorted.
pub fn native_assets(extracted_dir: &Path) -> Vec<PathBuf> {
    for rid in native_rids() {
        let dir = extracted_dir.join("runtimes").join(rid).join("native");
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        if !files.is_empty() {
            files.sort();
            return files;
        }
    }
    Vec::new()
}

/// Whether an extracted package ships native libraries for some runtime
/// (`runtimes/*/native/`).
pub fn has_native_assets(extracted_dir: &Path) -> bool {
    std::fs::read_dir(extracted_dir.join("runtimes"))
        .is_ok_and(|rd| rd.flatten().any(|e| e.path().join("native").is_dir()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nupkg::Nuspec;

    fn contents(lib: &[(&str, &[&str])], refs: &[(&str, &[&str])]) -> PackageContents {
        let groups = |g: &[(&str, &[&str])], top: &str| {
            g.iter()
                .map(|(folder, files)| AssemblyGroup {
                    folder: folder.to_string(),
                    assemblies: files
                        .iter()
                        .map(|f| {
                            if folder.is_empty() {
                                format!("{top}/{f}")
                            } else {
                                format!("{top}/{folder}/{f}")
                            }
                        })
                        .collect(),
                })
                .collect()
        };
        PackageContents {
            nuspec: Nuspec::default(),
            nuspec_file: "x.nuspec".into(),
            lib: groups(lib, "lib"),
            ref_groups: groups(refs, "ref"),
        }
    }

    fn fw(s: &str) -> Framework {
        Framework::parse(s).unwrap()
    }

    #[test]
    fn assets_prefer_ref_then_nearest_lib() {
        let c = contents(
            &[
                ("net45", &["A.dll"]),
                ("netstandard2.0", &["A.dll"]),
                ("net6.0", &["A.dll"]),
            ],
            &[],
        );
        let a = select_assets("A", &fw("net8.0"), &c).unwrap();
        assert_eq!(a.framework, "net6.0");
        assert_eq!(a.assemblies, ["lib/net6.0/A.dll"]);
        let a = select_assets("A", &fw("netcoreapp3.1"), &c).unwrap();
        assert_eq!(a.framework, "netstandard2.0");

        let c = contents(
            &[("net8.0", &["A.dll"])],
            &[("netstandard2.0", &["A.dll", "B.dll"])],
        );
        let a = select_assets("A", &fw("net8.0"), &c).unwrap();
        assert_eq!(
            a.framework, "netstandard2.0",
            "compile assets come from ref/"
        );
        assert_eq!(
            a.assemblies,
            ["ref/netstandard2.0/A.dll", "ref/netstandard2.0/B.dll"]
        );

        let c = contents(
            &[("", &["Root.dll"]), ("portable-net45+win8", &["P.dll"])],
            &[],
        );
        let a = select_assets("A", &fw("net8.0"), &c).unwrap();
        assert_eq!((a.framework.as_str(), a.assemblies.len()), ("any", 1));

        let c = contents(&[], &[]);
        let a = select_assets("Meta", &fw("net8.0"), &c).unwrap();
        assert_eq!(a.framework, "none");
        assert!(a.assemblies.is_empty());

        // A `_._` placeholder group: compatible, nothing to reference.
        let c = contents(&[("net45", &["A.dll"]), ("netstandard2.0", &[])], &[]);
        let a = select_assets("A", &fw("net8.0"), &c).unwrap();
        assert_eq!(a.framework, "netstandard2.0");
        assert!(a.assemblies.is_empty());
    }

    #[test]
    fn incompatible_assets_list_what_is_offered() {
        let c = contents(
            &[("net45", &["A.dll"]), ("portable-net45+win8", &["A.dll"])],
            &[],
        );
        let e = select_assets("Old", &fw("net8.0"), &c).unwrap_err();
        assert_eq!(e.offered, ["net45", "portable-net45+win8"]);
        assert!(
            e.to_string()
                .contains("Old has no assets compatible with net8.0")
        );
    }
}
