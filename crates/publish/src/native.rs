//! The native libraries of a package: format and architecture must match the runtime
//! identifier they are declared for, and the dynamic symbol table must export every
//! function of the ABI.

use std::collections::BTreeSet;

use object::{Architecture, BinaryFormat, Object};

/// What a native library is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeInfo {
    pub format: BinaryFormat,
    pub architecture: Architecture,
    /// Exported symbol names (a leading `_` of Mach-O dropped).
    pub exports: BTreeSet<String>,
}

/// Reads a native library's format, architecture and exports.
pub fn inspect(bytes: &[u8]) -> Result<NativeInfo, String> {
    let file = object::File::parse(bytes)
        .map_err(|e| format!("not a native library this tool can read: {e}"))?;
    let format = file.format();
    let mut exports = BTreeSet::new();
    for e in file
        .exports()
        .map_err(|e| format!("cannot read its exports: {e}"))?
    {
        let e = e.map_err(|e| format!("cannot read its exports: {e}"))?;
        if let object::read::NameOrOrdinal::Name(name) = e.name() {
            let n = String::from_utf8_lossy(name).into_owned();
            exports.insert(if format == BinaryFormat::MachO {
                n.strip_prefix('_').map(str::to_string).unwrap_or(n)
            } else {
                n
            });
        }
    }
    Ok(NativeInfo {
        format,
        architecture: file.architecture(),
        exports,
    })
}

/// The format and architecture a runtime identifier needs.
pub fn expected_for(rid: &str) -> Option<(BinaryFormat, Architecture)> {
    let (os, arch) = rid.rsplit_once('-')?;
    let format = if os.starts_with("linux") {
        BinaryFormat::Elf
    } else if os == "osx" {
        BinaryFormat::MachO
    } else if os == "win" {
        BinaryFormat::Pe
    } else {
        return None;
    };
    let arch = match arch {
        "x64" => Architecture::X86_64,
        "arm64" => Architecture::Aarch64,
        "x86" => Architecture::I386,
        "arm" => Architecture::Arm,
        _ => return None,
    };
    Some((format, arch))
}

/// Problems of `bytes` as the `rid` library that must export `symbols`.
pub fn check(bytes: &[u8], rid: &str, symbols: &[String]) -> Vec<String> {
    let info = match inspect(bytes) {
        Ok(i) => i,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    if let Some((format, arch)) = expected_for(rid)
        && (info.format != format || info.architecture != arch)
    {
        problems.push(format!(
            "it is a {:?} {:?} library, but {rid} needs {format:?} {arch:?}",
            info.format, info.architecture
        ));
    }
    let missing: Vec<&str> = symbols
        .iter()
        .filter(|s| !info.exports.contains(*s))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "it does not export {} (built from other declarations, or with hidden visibility?)",
            missing.join(", ")
        ));
    }
    problems
}
