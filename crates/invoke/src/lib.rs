//! Calling translated members of a built shim with JSON arguments, for
//! `mochi-dotnet invoke <pkg-or-assembly> <Type.Member> [json-args…] [+ …]…`
//! (docs/shims.md, "invoke"): the call chain ([`parse_chain`]), the member a
//! `Type.Member` names ([`candidates`]), and the native call of its export with
//! the arguments converted per the plan's marshalling ([`call_one`]). Finding,
//! generating and building the shim and starting the runtime are the CLI's.
//!
//! A `+` chains calls: the previous result becomes the receiver of the next
//! member when it has one, else its first argument.
//!
//! The call is made through the native ABI of the export, built at run time:
//! on x86-64 System V and AArch64 (Linux) integer-class and floating-point
//! arguments go to separate register files and overflowing integer arguments
//! to the stack in order, so every export is called as
//! `fn(i64 × 16, f64 × 8) -> i32` with its integer-class slots first and its
//! doubles after (unused slots are ignored by the callee).

/// `InvokeError::Call` from a format string.
macro_rules! err {
    ($($t:tt)*) => { $crate::error::InvokeError::Call(format!($($t)*)) };
}

/// Returns `InvokeError::Call` from a format string.
macro_rules! bail {
    ($($t:tt)*) => { return Err(err!($($t)*)) };
}

mod call;
mod chain;
mod error;
mod resolve;
mod session;

pub use call::{box_json, call_one, describe_handle, invoke_item};
pub use chain::{Call, Val, parse_chain};
pub use error::InvokeError;
pub use resolve::{candidates, complete_args, fits_form};
pub use session::{Package, Session, offers};
