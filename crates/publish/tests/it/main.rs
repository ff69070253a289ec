//! The integration tests of `publish`, in one binary: the facade generator, dry
//! runs and validation of the package, bad input, the CI template, trusted
//! publishing and pushes against the mock nuget.org, and round trips through
//! `dotnet` and `mochi-dotnet`.

mod bad_input;
mod common;
mod dry_run;
mod emit_ci;
mod facade_gen;
mod mock_nugetorg;
mod roundtrip;
mod trusted_publishing;
mod validation;
