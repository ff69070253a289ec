//! The integration tests of `shimgen`, in one binary: the binding plan, the Mochi
//! files and the C# shims of the fixtures, real libraries and the framework
//! corpus against golden files and snapshots; the generated C# is compiled (by
//! `shimbuild`'s driver) to prove it builds.

mod common;
mod corpus;
mod csharp_gen;
mod fixture;
mod framework_index;
mod newtonsoft;
mod platform_index;
mod synthetic;
