//! Local folder feeds: flat folders of `*.nupkg` files, and the hierarchical
//! `<id>/<version>/<id>.<version>.nupkg` layout that `nuget add` and the global
//! packages folder use. Both may be mixed in one folder.

use std::fs;
use std::path::{Path, PathBuf};

use super::error::NuGetError;
use crate::nupkg;
use crate::version::normalize_version;

/// One package version found in a folder feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocalEntry {
    pub id: String,
    pub version: String,
    pub nupkg: PathBuf,
}

/// Every version of `id` in the folder `root`.
pub(crate) fn find(root: &Path, id: &str) -> Result<Vec<LocalEntry>, NuGetError> {
    let lid = id.trim().to_ascii_lowercase();
    let rd = fs::read_dir(root).map_err(|source| NuGetError::LocalFeed {
        path: root.to_path_buf(),
        source,
    })?;
    let mut out: Vec<LocalEntry> = Vec::new();
    let mut names: Vec<(String, PathBuf, bool)> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let is_dir = e.file_type().ok()?.is_dir();
            Some((e.file_name().into_string().ok()?, e.path(), is_dir))
        })
        .collect();
    names.sort();
    for (name, path, is_dir) in names {
        let lname = name.to_ascii_lowercase();
        if is_dir && lname == lid {
            out.extend(hierarchical_versions(&path, &lid));
        } else if !is_dir
            && lname.starts_with(&format!("{lid}."))
            && lname.ends_with(".nupkg")
            && !lname.ends_with(".symbols.nupkg")
        {
            // The file name cannot be split into id and version reliably (both may
            // contain dots and digits): the nuspec inside is the authority.
            let label = path.display().to_string();
            if let Ok(spec) = nupkg::read_nuspec_from_nupkg(&path, &label)
                && spec.id.eq_ignore_ascii_case(&lid)
            {
                out.push(LocalEntry {
                    id: spec.id,
                    version: spec.version,
                    nupkg: path,
                });
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|e| seen.insert(normalize_version(&e.version)));
    Ok(out)
}

fn hierarchical_versions(id_dir: &Path, lid: &str) -> Vec<LocalEntry> {
    let Ok(rd) = fs::read_dir(id_dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut dirs: Vec<(String, PathBuf)> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .collect();
    dirs.sort();
    for (version, dir) in dirs {
        let expected = dir.join(format!("{lid}.{}.nupkg", version.to_ascii_lowercase()));
        let nupkg = if expected.is_file() {
            Some(expected)
        } else {
            fs::read_dir(&dir).ok().and_then(|rd| {
                let mut files: Vec<PathBuf> = rd
                    .filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| {
                        p.extension()
                            .is_some_and(|x| x.eq_ignore_ascii_case("nupkg"))
                            && !p
                                .to_string_lossy()
                                .to_ascii_lowercase()
                                .ends_with(".symbols.nupkg")
                    })
                    .collect();
                files.sort();
                files.into_iter().next()
            })
        };
        if let Some(nupkg) = nupkg {
            out.push(LocalEntry {
                id: lid.to_string(),
                version,
                nupkg,
            });
        }
    }
    out
}
