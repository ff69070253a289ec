//! The alternate signal stack fix.
//!
//! CoreCLR turns a null dereference in managed code into a NullReferenceException
//! from its SIGSEGV handler, which runs on the thread's alternate signal stack when
//! one is installed. Rust installs a small one (about 8 KiB) on every thread it
//! starts, and CoreCLR keeps an existing alternate stack instead of installing its
//! own: its handler overflows it and the process dies with SIGSEGV
//! (netcorehost issue 38). So every thread that calls into .NET first gets a
//! larger alternate stack. Unlike `netcorehost::utils::altstack::set`, which this
//! follows, the mapping is owned by a thread-local and unmapped when the thread
//! exits, so short-lived threads do not leak it.

use std::cell::RefCell;
use std::io;
use std::ptr;

use netcorehost::utils::altstack::{self as nch_altstack, State};

/// Large enough for CoreCLR's SIGSEGV handler (it needs about 16 KiB plus its frames);
/// only touched pages cost memory.
pub const ALTSTACK_SIZE: usize = 256 * 1024;

struct OwnedAltStack {
    base: *mut libc::c_void,
    len: usize,
    stack: *mut libc::c_void,
}

impl Drop for OwnedAltStack {
    fn drop(&mut self) {
        // SAFETY: querying and (when it is ours) disabling this thread's altstack, then
        // unmapping the region this struct mapped; no signal handler can be using it
        // once it is disabled.
        unsafe {
            let mut cur: libc::stack_t = std::mem::zeroed();
            if libc::sigaltstack(ptr::null(), &mut cur) == 0 {
                if cur.ss_sp == self.stack && cur.ss_flags & libc::SS_ONSTACK != 0 {
                    return; // running on it (cannot happen in a TLS destructor); keep it mapped
                }
                if cur.ss_sp == self.stack {
                    let off = libc::stack_t {
                        ss_sp: ptr::null_mut(),
                        ss_flags: libc::SS_DISABLE,
                        ss_size: 0,
                    };
                    libc::sigaltstack(&off, ptr::null_mut());
                }
            }
            libc::munmap(self.base, self.len);
        }
    }
}

thread_local! {
    static INSTALLED: RefCell<Option<OwnedAltStack>> = const { RefCell::new(None) };
}

/// Makes sure the calling thread's alternate signal stack holds at least
/// [`ALTSTACK_SIZE`] bytes. Cheap after the first call on a thread.
pub fn prepare_current_thread() -> io::Result<()> {
    INSTALLED.with(|slot| {
        if slot.borrow().is_some() {
            return Ok(());
        }
        match nch_altstack::get()? {
            State::Enabled { size } if size >= ALTSTACK_SIZE => return Ok(()),
            _ => {}
        }
        let page = page_size();
        let len = ALTSTACK_SIZE + page;
        // SAFETY: a fresh private anonymous mapping, with a guard page below the
        // stack so an overflowing handler faults instead of corrupting memory.
        unsafe {
            let base = libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANON,
                -1,
                0,
            );
            if base == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
            let owned = OwnedAltStack {
                base,
                len,
                stack: base.cast::<u8>().add(page).cast(),
            };
            if libc::mprotect(base, page, libc::PROT_NONE) != 0 {
                return Err(io::Error::last_os_error());
            }
            let ss = libc::stack_t {
                ss_sp: owned.stack,
                ss_flags: 0,
                ss_size: ALTSTACK_SIZE,
            };
            if libc::sigaltstack(&ss, ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
            *slot.borrow_mut() = Some(owned);
        }
        Ok(())
    })
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 { p as usize } else { 4096 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enlarges_and_is_idempotent_per_thread() {
        std::thread::spawn(|| {
            prepare_current_thread().unwrap();
            assert_eq!(
                nch_altstack::get().unwrap(),
                State::Enabled {
                    size: ALTSTACK_SIZE
                }
            );
            prepare_current_thread().unwrap();
            assert_eq!(
                nch_altstack::get().unwrap(),
                State::Enabled {
                    size: ALTSTACK_SIZE
                }
            );
        })
        .join()
        .unwrap();
    }
}
