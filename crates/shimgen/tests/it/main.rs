//! The integration tests of `shimgen`, in one binary: the binding plan, the Mochi
//! files and the C# shims of the fixtures, real libraries and the framework
//! corpus against golden files and snapshots; the generated C# is compiled (by
//! `shimbuild`'s driver) to prove it builds.

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

mod common;
mod corpus;
mod csharp_gen;
mod fixture;
mod framework_index;
mod newtonsoft;
mod synthetic;
