//! The commands of the tool, as library functions: each takes a request struct
//! and returns a report (with the text the CLI prints) or a typed error. The CLI
//! (`crates/cli`) and the C API ([`crate::capi`]) both call these, so a command
//! does the same thing whichever front end runs it.

pub mod add;
pub mod bind;
pub mod lock;
pub mod meta;
pub mod shim;
pub mod sync;
