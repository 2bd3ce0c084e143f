//! Loading an RDB file at start on a thread of its own, as Redis answers
//! -LOADING while it loads: the thread builds fresh databases (it touches no
//! live data), publishes the bytes read, and the main thread installs the
//! result when `poll` sees it done.
use super::load::{load_file_sized, Loaded, LoadOptions};
use super::{Error, Result};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

static READ: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static JOB: RefCell<Option<JoinHandle<Result<Loaded>>>> = const { RefCell::new(None) };
}

/// Starts the load; the file's size.
pub fn start(path: std::path::PathBuf, mut opts: LoadOptions) -> Result<u64> {
    if JOB.with(|j| j.borrow().is_some()) {
        return Err(Error::new("a load is already running"));
    }
    let size = std::fs::metadata(&path).map_err(|e| Error::new(format!("Fatal error loading the DB: {e}. Exiting.")))?.len();
    READ.store(0, Ordering::Relaxed);
    opts.progress = Some(&READ);
    let handle = std::thread::Builder::new()
        .name("rdb-load".into())
        .spawn(move || load_file_sized(&path, &opts))
        .map_err(|e| Error::new(format!("Fatal error loading the DB: {e}. Exiting.")))?;
    JOB.with(|j| *j.borrow_mut() = Some(handle));
    Ok(size)
}

/// Bytes read so far.
pub fn progress() -> u64 {
    READ.load(Ordering::Relaxed)
}

/// The result once the load ended; None while it runs (or when none was started).
pub fn poll() -> Option<Result<Loaded>> {
    let done = JOB.with(|j| j.borrow().as_ref().is_some_and(|h| h.is_finished()));
    if !done {
        return None;
    }
    let h = JOB.with(|j| j.borrow_mut().take())?;
    Some(match h.join() {
        Ok(r) => r,
        Err(_) => Err(Error::new("Internal error: the loading thread panicked")),
    })
}
