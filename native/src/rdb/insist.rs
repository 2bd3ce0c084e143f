//! A save on the way out (a shutdown a signal asked for) runs with the main
//! thread busy, so Node's own SIGINT handling cannot run until it ends. Redis
//! answers a second SIGINT then at once ("You insist... exiting now."): the
//! temp file removed and exit 1. `while_saving` installs a handler that does
//! that for the length of the save, and puts the previous one back after.
use std::ffi::CString;
use std::sync::atomic::{AtomicPtr, Ordering};

/// The temp file's path as a C string, for the handler (leaked while a save runs).
static TEMP: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn on_sigint(_: libc::c_int) {
    // Only async-signal-safe calls: write, unlink, _exit.
    const MSG: &[u8] = b"You insist... exiting now.\n";
    unsafe {
        libc::write(1, MSG.as_ptr() as *const libc::c_void, MSG.len());
        let p = TEMP.load(Ordering::SeqCst);
        if !p.is_null() {
            libc::unlink(p);
        }
        libc::_exit(1);
    }
}

/// Runs `f` (a save writing `temp`) with SIGINT ending the process as Redis's second SIGINT does.
pub fn while_saving<T>(temp: &std::path::Path, f: impl FnOnce() -> T) -> T {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = CString::new(temp.as_os_str().as_bytes()) else { return f() };
    let raw = c.into_raw();
    TEMP.store(raw, Ordering::SeqCst);
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigint as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGINT, &sa, &mut old);
    }
    let r = f();
    unsafe {
        libc::sigaction(libc::SIGINT, &old, std::ptr::null_mut());
        TEMP.store(std::ptr::null_mut(), Ordering::SeqCst);
        drop(CString::from_raw(raw));
    }
    r
}
