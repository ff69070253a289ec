//! The integration tests of the `lock` crate, in one binary: the resolver over
//! in-memory graphs (NuGet's rules, conflicts, cycles, frameworks). `lock` and
//! `lock --check` end to end are the CLI's tests (`crates/cli/tests/it`).

mod issue10_regressions;
mod resolver;
