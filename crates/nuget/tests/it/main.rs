//! The integration tests of the `nuget` crate, in one binary (uv's `tests/it`
//! layout): the v3 client against the in-tree loopback registry, NuGet.config
//! merging, `.nupkg` reading, and the cache under concurrency and crashes.
//!
//! Tests that need a process of their own re-run this binary with
//! `--exact <module>::<test>`.

mod cache_concurrency;
mod cache_recovery;
mod nuget_client;
mod nuget_config;
mod nuget_nupkg;
