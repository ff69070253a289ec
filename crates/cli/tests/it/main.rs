//! The integration tests of the `mochi-dotnet` binary, in one binary (uv's
//! `tests/it` layout): each test runs the real command line against the
//! in-tree loopback NuGet registry and real assemblies.

/// `insta::assert_snapshot!` under the committed names. insta names a snapshot
/// `<module path>__<name>.snap`, and in this one-binary layout every module path
/// starts with `it::`; the committed goldens keep their names of the
/// one-binary-per-file layout (`<file>__<name>.snap` in `tests/snapshots/`), byte
/// for byte.
macro_rules! assert_snapshot {
    ($name:expr, $value:expr $(,)?) => {{
        let module = module_path!().rsplit("::").next().expect("a module path");
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        settings.set_snapshot_path("../snapshots");
        settings.bind(|| insta::assert_snapshot!(format!("{module}__{}", $name), $value));
    }};
}

mod bind_e2e;
mod capi_and_cli;
mod corpus_listing;
mod invoke_cli;
mod lock_e2e;
mod shim_lock_sync;
