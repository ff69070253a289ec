//! hostfxr/hostpolicy status codes (`host-error-codes.md` of dotnet/runtime)
//! turned into names and advice a user can act on.

/// What a hostfxr status code means and what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusInfo {
    pub code: u32,
    pub name: &'static str,
    pub advice: &'static str,
}

const INSTALL: &str = "install the .NET runtime the shim targets (Debian/Ubuntu: `apt-get install dotnet-runtime-8.0`; elsewhere https://dot.net) or set DOTNET_ROOT to the folder that holds `host/fxr` and `shared/Microsoft.NETCore.App`";

/// Known codes; anything else is reported with its hex value.
pub fn describe(code: u32) -> StatusInfo {
    let (name, advice) = match code {
        0x0000_0000 => ("Success", "no action needed"),
        0x0000_0001 => (
            "Success_HostAlreadyInitialized",
            "the runtime was already started in this process; the running one is reused",
        ),
        0x0000_0002 => (
            "Success_DifferentRuntimeProperties",
            "the runtime was already started with other runtime properties; the running one is reused",
        ),
        0x8000_8081 => (
            "InvalidArgFailure",
            "hostfxr rejected an argument; this is also what a second runtime initialisation in one process returns: start the runtime once and reuse it (hosting::Runtime::start does)",
        ),
        0x8000_8082 => (
            "CoreHostLibLoadFailure",
            "hostpolicy or coreclr exists but could not be loaded; the installation may be for another architecture or damaged: reinstall the .NET runtime",
        ),
        0x8000_8083 => (
            "CoreHostLibMissingFailure",
            "hostpolicy is missing from the runtime folder; the installation is incomplete: reinstall the .NET runtime",
        ),
        0x8000_8084 => (
            "CoreHostEntryPointFailure",
            "hostpolicy lacks an expected entry point; hostfxr and the runtime come from different releases: reinstall the .NET runtime",
        ),
        0x8000_8085 => (
            "CoreHostCurHostFindFailure",
            "hostfxr could not locate itself; set DOTNET_ROOT to the .NET installation folder",
        ),
        0x8000_8087 => (
            "CoreClrResolveFailure",
            "libcoreclr.so was not found in the selected framework; reinstall the .NET runtime",
        ),
        0x8000_8088 => (
            "CoreClrBindFailure",
            "libcoreclr.so lacks an expected export; the runtime installation is damaged: reinstall it",
        ),
        0x8000_8089 => (
            "CoreClrInitFailure",
            "CoreCLR failed to initialise; on a machine without ICU set System.Globalization.Invariant=true (the default of hosting::RuntimeOptions) or install libicu; check that the runtime matches the CPU architecture",
        ),
        0x8000_808a => ("CoreClrExeFailure", "the managed application failed to run"),
        0x8000_808b => (
            "ResolverInitFailure",
            "a .deps.json could not be read; rebuild the shim",
        ),
        0x8000_808c => (
            "ResolverResolveFailure",
            "an assembly listed in a .deps.json was not found; rebuild the shim or restore its package",
        ),
        0x8000_808d => (
            "LibHostCurExeFindFailure",
            "the current executable could not be determined",
        ),
        0x8000_808e => (
            "LibHostInitFailure",
            "hostpolicy failed to initialise; hostfxr and hostpolicy come from different releases: reinstall the .NET runtime",
        ),
        0x8000_8090 => (
            "LibHostExecModeFailure",
            "hostpolicy could not determine its execution mode",
        ),
        0x8000_8091 => (
            "LibHostSdkFindFailure",
            "no .NET SDK found; running shims needs only the runtime, building them with `dotnet build` needs the SDK (or use the direct compiler path)",
        ),
        0x8000_8092 => (
            "LibHostInvalidArgs",
            "invalid arguments were passed to hostpolicy",
        ),
        0x8000_8093 => (
            "InvalidConfigFile",
            "the runtimeconfig.json is malformed or lacks `runtimeOptions.framework`; let hosting write it, or fix the file",
        ),
        0x8000_8094 => (
            "AppArgNotRunnable",
            "the given path is not a runnable application",
        ),
        0x8000_8095 => (
            "AppHostExeNotBoundFailure",
            "the apphost is not bound to an application",
        ),
        0x8000_8096 => ("FrameworkMissingFailure", INSTALL),
        0x8000_8097 => ("HostApiFailed", "a hostfxr API call failed"),
        0x8000_8098 => (
            "HostApiBufferTooSmall",
            "internal: a hostfxr buffer was too small",
        ),
        0x8000_8099 => ("LibHostUnknownCommand", "unknown hostpolicy command"),
        0x8000_809a => (
            "LibHostAppRootFindFailure",
            "the application root folder could not be found",
        ),
        0x8000_809b => (
            "SdkResolverResolveFailure",
            "no .NET SDK matches global.json; the SDK is not needed to run shims",
        ),
        0x8000_809c => (
            "FrameworkCompatFailure",
            "the frameworks the shim and the running runtime need are incompatible; rebuild the shim for the running framework",
        ),
        0x8000_809d => (
            "FrameworkCompatRetry",
            "internal: framework resolution must be retried",
        ),
        0x8000_809f => (
            "BundleExtractionFailure",
            "a single-file bundle could not be extracted",
        ),
        0x8000_80a0 => (
            "BundleExtractionIOError",
            "I/O error while extracting a single-file bundle; check disk space and permissions",
        ),
        0x8000_80a1 => (
            "LibHostDuplicateProperty",
            "a runtime property is set twice (runtimeconfig.json and host); remove one",
        ),
        0x8000_80a2 => (
            "HostApiUnsupportedVersion",
            "this hostfxr is too old for the hosting API in use; install the .NET 8 runtime (its hostfxr is used) or newer",
        ),
        0x8000_80a3 => (
            "HostInvalidState",
            "the hosting layer is in an invalid state for this call: the runtime is already running or its start failed earlier in this process",
        ),
        0x8000_80a4 => (
            "HostPropertyNotFound",
            "the requested runtime property does not exist",
        ),
        0x8000_80a5 => (
            "CoreHostIncompatibleConfig",
            "the runtime already running in this process cannot satisfy this runtimeconfig (other framework or version); all shims of a process must target one framework",
        ),
        0x8000_80a6 => (
            "HostApiUnsupportedScenario",
            "hostfxr does not support this call in this hosting scenario",
        ),
        0x8000_80a7 => (
            "HostFeatureDisabled",
            "the hosting feature is disabled in this runtime configuration",
        ),
        // HRESULTs of load_assembly_and_get_function_pointer.
        0x8007_0002 => (
            "COR_E_FILENOTFOUND",
            "the shim assembly or one of its dependencies was not found; rebuild the shim or check the path",
        ),
        0x8013_1522 => (
            "COR_E_TYPELOAD",
            "the type was not found in the shim assembly; the shim and the bindings are out of date: rebuild the shim",
        ),
        0x8013_1513 => (
            "COR_E_MISSINGMETHOD",
            "the method was not found on the type; the shim and the bindings are out of date: rebuild the shim",
        ),
        0x8007_0057 => (
            "COR_E_ARGUMENT",
            "the method was not found or its signature does not match; rebuild the shim",
        ),
        0x8013_1509 => (
            "COR_E_INVALIDOPERATION",
            "the method is not marked [UnmanagedCallersOnly], or the shim was compiled against a framework other than .NET 8 (a shim's own copy of UnmanagedCallersOnlyAttribute is refused): compile against the .NET 8 reference assemblies",
        ),
        0x8013_101b => (
            "COR_E_NEWER_RUNTIME",
            "the assembly was built for a newer runtime than the one running; install a newer .NET runtime",
        ),
        0x8013_1047 => (
            "FUSION_E_INVALID_NAME",
            "the type name is not a valid assembly-qualified name",
        ),
        _ => (
            "unknown status",
            "see host-error-codes.md in dotnet/runtime",
        ),
    };
    StatusInfo { code, name, advice }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_known_codes() {
        assert_eq!(describe(0x8000_8081).name, "InvalidArgFailure");
        assert!(describe(0x8000_8081).advice.contains("once"));
        assert_eq!(describe(0x8000_8096).name, "FrameworkMissingFailure");
        assert!(describe(0x8000_8096).advice.contains("DOTNET_ROOT"));
        assert_eq!(describe(0x8000_80a5).name, "CoreHostIncompatibleConfig");
        assert_eq!(describe(0x1234_5678).name, "unknown status");
    }
}
