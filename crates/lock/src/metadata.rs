//! `metadata-sha256`: what a package's compile surface hashes to.
//!
//! For each package the assemblies NuGet would compile against are chosen
//! (`nuget::assets`): the nearest compatible `ref/<tfm>/` folder if the package
//! has one, else the nearest `lib/<tfm>/` folder (assemblies directly in that
//! folder; satellite resource folders are not part of the surface). Each
//! assembly's surface is read with `ecma335` and hashed (`Surface::sha256_hex`, the
//! SHA-256 of its canonical JSON). The package's `metadata-sha256` is the SHA-256
//! of the UTF-8 text made of one line per assembly, sorted by file name (byte
//! order): `<file name>\0<surface sha-256 hex>\n`. A package without assemblies
//! hashes the empty text.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Hashing one assembly's public surface.
pub trait AssemblyHasher: Sync {
    fn surface_sha256(&self, assembly: &Path) -> Result<String, String>;
}

/// The real hasher: the `ecma335` surface reader.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ecma335Hasher;

impl AssemblyHasher for Ecma335Hasher {
    fn surface_sha256(&self, assembly: &Path) -> Result<String, String> {
        ecma335::read_surface_file(assembly)
            .map(|s| s.sha256_hex())
            .map_err(|e| e.to_string())
    }
}

/// The package's metadata-sha256 (see the module docs for the exact combination).
pub fn metadata_sha256(
    root: &Path,
    assemblies: &[String],
    hasher: &dyn AssemblyHasher,
) -> Result<String, (PathBuf, String)> {
    let mut lines: Vec<(String, String)> = Vec::new();
    for rel in assemblies {
        let path = root.join(rel);
        let name = rel.rsplit('/').next().unwrap_or(rel).to_string();
        let sha = hasher
            .surface_sha256(&path)
            .map_err(|m| (PathBuf::from(rel), m))?;
        lines.push((name, sha));
    }
    lines.sort();
    let mut h = Sha256::new();
    for (name, sha) in &lines {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(sha.as_bytes());
        h.update(b"\n");
    }
    Ok(hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NameHasher;
    impl AssemblyHasher for NameHasher {
        fn surface_sha256(&self, assembly: &Path) -> Result<String, String> {
            let name = assembly.file_name().unwrap().to_string_lossy();
            if name.starts_with("Bad") {
                return Err("not managed".into());
            }
            Ok(format!("{:x}", Sha256::digest(name.as_bytes())))
        }
    }

    #[test]
    fn metadata_sha256_is_order_independent_and_documented() {
        let root = Path::new("/pkg");
        let a = metadata_sha256(
            root,
            &["lib/x/B.dll".into(), "lib/x/A.dll".into()],
            &NameHasher,
        )
        .unwrap();
        let b = metadata_sha256(
            root,
            &["lib/x/A.dll".into(), "lib/x/B.dll".into()],
            &NameHasher,
        )
        .unwrap();
        assert_eq!(a, b);
        let sha = |s: &str| format!("{:x}", Sha256::digest(s.as_bytes()));
        let text = format!("A.dll\0{}\nB.dll\0{}\n", sha("A.dll"), sha("B.dll"));
        assert_eq!(a, sha(&text));
        assert_eq!(metadata_sha256(root, &[], &NameHasher).unwrap(), sha(""));
        let e = metadata_sha256(root, &["lib/x/Bad.dll".into()], &NameHasher).unwrap_err();
        assert_eq!(e.0, PathBuf::from("lib/x/Bad.dll"));
    }
}
