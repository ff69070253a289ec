//! Hosting CoreCLR for mochi-dotnet shims.
//!
//! A compiled Mochi program calls .NET through *shims*: assemblies whose static
//! `[UnmanagedCallersOnly]` methods follow the C ABI of `docs/hosting.md`. This
//! crate finds a .NET installation ([`locate`]), starts the one runtime of the
//! process through hostfxr ([`Runtime::start`]), resolves and caches entry
//! points ([`Runtime::entry_point`]) and wraps the parts of the ABI every shim
//! shares ([`Shim`]: ABI version check, `mochi_free`, handle release and count,
//! error out-parameters).
//!
//! ```no_run
//! use hosting::{MochiError, MochiStr, Runtime, RuntimeOptions, Shim};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let runtime = Runtime::start(&RuntimeOptions::default())?; // newest .NET 8 found
//! let shim = Shim::load(runtime, "dotnet_shim/text/Mochi.Shim.Text.dll".as_ref())?;
//! type Echo = unsafe extern "system" fn(*const u8, i32, *mut *mut u8, *mut i32, *mut MochiError) -> i32;
//! // SAFETY: Echo is the signature of this export.
//! let echo: Echo = unsafe { shim.export("Mochi.Shim.Text.Exports", "mochi_text_echo")? };
//! let arg = MochiStr::borrowed("héllo");
//! let (mut ptr, mut len, mut err) = (std::ptr::null_mut(), 0, MochiError::new());
//! let status = unsafe { echo(arg.ptr, arg.len, &mut ptr, &mut len, &mut err) };
//! shim.check(status, &mut err)?; // a .NET exception becomes a ManagedException
//! let text = unsafe { shim.take_string(ptr, len) }; // copied, then mochi_free
//! assert_eq!(text.as_deref(), Some("héllo"));
//! # Ok(())
//! # }
//! ```
//!
//! Threads: the runtime and shims are `Sync`. Every thread that calls shim
//! exports must call [`prepare_current_thread`] once first (entry-point lookups
//! do it for their thread), so a NullReferenceException in managed code becomes
//! an error value instead of killing the process.

#[cfg(unix)]
mod altstack;
pub mod capi;
pub mod error;
pub mod locate;
pub mod runtime;
pub mod runtimeconfig;
pub mod shim;
pub mod status;
pub mod version;

#[cfg(unix)]
pub use altstack::ALTSTACK_SIZE;
pub use error::{Error, Result};
pub use locate::{DotnetInstall, FrameworkRequirement, Locator, RollForward};
pub use runtime::{EntryPoint, LoadContext, Runtime, RuntimeOptions, StartTimings};
pub use shim::{ABI_VERSION, Handle, ManagedException, MochiError, MochiStr, Shim};
pub use version::RuntimeVersion;

/// The C# source of the fixed part of every shim (`Mochi.Interop.ShimAbi`): the
/// one in the `shimabi` crate.
pub use shimabi::SHIM_ABI_CS;

/// Enlarges the calling thread's alternate signal stack (once per thread) so
/// CoreCLR can turn a null dereference into a NullReferenceException; call it on
/// every thread before it calls shim exports.
pub fn prepare_current_thread() -> Result<()> {
    #[cfg(unix)]
    altstack::prepare_current_thread().map_err(Error::AltStack)?;
    Ok(())
}
