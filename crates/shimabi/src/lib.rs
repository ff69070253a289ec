//! The shim ABI's one source (docs/hosting.md, "The shim ABI"): the C# every shim
//! compiles in (`Mochi.Interop.ShimAbi`: `mochi_abi_version`, `mochi_free`, handle
//! release and count), the ABI version it speaks, and the C header of the ABI
//! (`include/mochi_shim_abi.h`). The generator (`shimgen`) embeds the C#, the host
//! (`hosting`) checks the version, and the C headers of `hosting` and `bridge`
//! include (or inline) the header: none of them keeps a copy.

/// The ABI version every shim exports through `mochi_abi_version()` and every host
/// requires; a change of the ABI changes it (and `ShimAbi.cs`, and the header).
pub const ABI_VERSION: i32 = 2;

/// The C# source of the fixed part of every shim (`Mochi.Interop.ShimAbi`),
/// compiled into each shim next to its generated exports.
pub const SHIM_ABI_CS: &str = include_str!("../csharp/ShimAbi.cs");

/// The C header of the shim ABI (`crates/shimabi/include/mochi_shim_abi.h`).
pub const SHIM_ABI_H: &str = include_str!("../include/mochi_shim_abi.h");

/// The folder holding `mochi_shim_abi.h`, for a C compiler's `-I`.
pub fn include_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("include")
}

/// The folder holding `ShimAbi.cs`.
pub fn csharp_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("csharp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csharp_the_header_and_the_constant_agree() {
        assert!(SHIM_ABI_H.contains(&format!("#define MOCHI_ABI_VERSION {ABI_VERSION}\n")));
        assert!(
            SHIM_ABI_CS.contains(&format!(
                "public const int MochiAbiVersion = {ABI_VERSION};"
            )),
            "ShimAbi.cs speaks ABI version {ABI_VERSION}"
        );
    }
}
