//! The integration tests of the `project` crate, in one binary: mochi.toml
//! parsing and editing, and property tests of the parsers (versions, ranges,
//! frameworks, manifests, lockfiles).

mod manifest_edit;
mod manifest_parse;
mod parsers_prop;
