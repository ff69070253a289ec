//! The integration tests of `ecma335`, in one binary: crafted and hostile
//! metadata, property tests, the fuzz seeds, and the fixture surfaces against
//! their snapshots.

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

mod crafted;
mod fixture_surface;
mod fuzz_seeds;
mod hostile;
mod props;
mod support;
