//! Persistence bindings (src/engine/persistence.ts): SAVE, BGSAVE in a forked
//! child (fork.rs), loading an RDB file or buffer, the background child's
//! state. The codec is rdb/.
use crate::keyspace::ks;
use crate::rdb::load::{install, load_bytes, load_file, Install, LoadOptions};
use crate::rdb::save::{save_file, SaveOptions};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

fn save_options(aux: Vec<String>, save_lru: bool, functions: Vec<Buffer>) -> SaveOptions {
    let cfg = crate::config::get();
    let k = ks();
    SaveOptions {
        compress: cfg.rdbcompression != 0,
        checksum: cfg.rdbchecksum != 0,
        save_lru: save_lru && !k.lfu.enabled,
        save_lfu: k.lfu.enabled,
        aux: aux.chunks(2).filter(|c| c.len() == 2).map(|c| (c[0].clone(), c[1].clone())).collect(),
        functions: functions.into_iter().map(|b| b.to_vec()).collect(),
        key_delay_us: cfg.rdb_key_save_delay.max(0) as u64,
        progress: None,
        exclude_data: false,
    }
}

#[napi(object)]
pub struct SaveResult {
    pub keys: f64,
    pub bytes: f64,
}

/// SAVE: writes the dataset to `path` (via a temp file and rename). `aux` is
/// the AUX fields as name, value, name, value...; `saveLru`: the policy is an
/// LRU one (idle times are saved); `functions`: the function libraries'
/// code; `onExit`: the save a shutdown makes, which a second SIGINT ends at
/// once (rdb/insist.rs). Throws with the OS error on failure.
#[napi(catch_unwind)]
pub fn rdb_save(path: String, aux: Vec<String>, save_lru: bool, functions: Vec<Buffer>, on_exit: Option<bool>) -> napi::Result<SaveResult> {
    let opts = save_options(aux, save_lru, functions);
    let path = std::path::Path::new(&path);
    let save = || save_file(ks(), path, &opts);
    let s = if on_exit == Some(true) { crate::rdb::insist::while_saving(&crate::rdb::save::temp_path(path), save) } else { save() };
    let s = s.map_err(|e| napi::Error::from_reason(e.to_string()))?;
    Ok(SaveResult { keys: s.keys as f64, bytes: s.bytes as f64 })
}

#[napi(object)]
pub struct ForkResult {
    pub pid: i32,
    pub fork_usec: f64,
}

/// BGSAVE: forks a child that writes the dataset as `rdb_save` does and exits.
/// Also the AOF's base file (an RDB with the `aof-base` AUX field set).
/// `checksum` overrides rdbchecksum (a backup is always checksummed).
#[napi(catch_unwind)]
pub fn rdb_bgsave(path: String, aux: Vec<String>, save_lru: bool, functions: Vec<Buffer>, checksum: Option<bool>) -> napi::Result<ForkResult> {
    let mut opts = save_options(aux, save_lru, functions);
    if let Some(c) = checksum {
        opts.checksum = c;
    }
    opts.progress = Some(crate::fork::report_progress);
    let (pid, usec) = crate::fork::fork_child(move || match save_file(ks(), std::path::Path::new(&path), &opts) {
        Ok(s) => crate::fork::JobResult { ok: true, count: s.keys },
        Err(e) => {
            eprintln!("Write error saving DB on disk: {e}");
            crate::fork::JobResult { ok: false, count: 0 }
        }
    })
    .map_err(|e| napi::Error::from_reason(e.to_string()))?;
    Ok(ForkResult { pid, fork_usec: usec as f64 })
}

#[napi(object)]
pub struct SyncForkResult {
    pub pid: i32,
    pub fork_usec: f64,
    /// The read end of the pipe the child writes the RDB into.
    pub fd: i32,
}

/// A full sync's snapshot for replicas (Redis's rdbSaveToSlavesSockets): forks a
/// child that writes the dataset as an RDB into a pipe and exits; the parent
/// gets the pipe's read end and passes what it reads on to the replicas.
/// `excludeData`: no keys, for replicas that asked for functions only (or nothing).
#[napi(catch_unwind)]
pub fn rdb_sync_fork(aux: Vec<String>, save_lru: bool, functions: Vec<Buffer>, exclude_data: Option<bool>) -> napi::Result<SyncForkResult> {
    use std::os::unix::io::FromRawFd;
    let mut opts = save_options(aux, save_lru, functions);
    opts.exclude_data = exclude_data == Some(true);
    opts.progress = Some(crate::fork::report_progress);
    let mut fds = [0i32; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(napi::Error::from_reason(std::io::Error::last_os_error().to_string()));
    }
    let (read_fd, write_fd) = (fds[0], fds[1]);
    let forked = crate::fork::fork_child_keeping(Some(write_fd), move || {
        unsafe { libc::close(read_fd) };
        let mut f = unsafe { std::fs::File::from_raw_fd(write_fd) };
        let mut w = crate::rdb::encode::Writer::to_file(&mut f, opts.compress, opts.checksum);
        match crate::rdb::save::write_dataset(&mut w, ks(), &opts) {
            Ok(s) => crate::fork::JobResult { ok: true, count: s.keys },
            Err(_) => crate::fork::JobResult { ok: false, count: 0 },
        }
    });
    unsafe { libc::close(write_fd) };
    match forked {
        Ok((pid, usec)) => Ok(SyncForkResult { pid, fork_usec: usec as f64, fd: read_fd }),
        Err(e) => {
            unsafe { libc::close(read_fd) };
            Err(napi::Error::from_reason(e.to_string()))
        }
    }
}

#[napi(object)]
pub struct ChildDone {
    pub pid: i32,
    pub ok: bool,
    /// The signal that ended it (0: it exited).
    pub signal: i32,
    pub cow_bytes: f64,
    pub count: f64,
}

fn child_done(f: crate::fork::Finished) -> ChildDone {
    ChildDone { pid: f.pid, ok: f.ok, signal: f.signal, cow_bytes: f.cow_bytes as f64, count: f.count as f64 }
}

/// The background child, if it has ended (reaped); null while it runs or when there is none.
#[napi(catch_unwind)]
pub fn child_poll() -> Option<ChildDone> {
    crate::fork::poll().map(child_done)
}

#[napi(object)]
pub struct ChildProgress {
    pub cow_bytes: f64,
    /// Keys written so far.
    pub count: f64,
    /// Seconds since the child reported it.
    pub age_sec: f64,
}

/// The running child's latest progress report, if it sent one.
#[napi(catch_unwind)]
pub fn child_progress() -> Option<ChildProgress> {
    crate::fork::progress().map(|(cow, n, age)| ChildProgress { cow_bytes: cow as f64, count: n as f64, age_sec: age as f64 })
}

/// The OOM killer score forked children give themselves (None: the parent's).
#[napi(catch_unwind)]
pub fn child_set_oom_score(score: Option<i32>) {
    crate::fork::set_child_oom_score(score);
}

/// The running child's pid, if any.
#[napi(catch_unwind)]
pub fn child_pid() -> Option<i32> {
    crate::fork::running()
}

/// Kills the running child (SIGUSR1) and reaps it.
#[napi(catch_unwind)]
pub fn child_kill() -> Option<ChildDone> {
    crate::fork::kill().map(child_done)
}

/// Blocks until the running child ends.
#[napi(catch_unwind)]
pub fn child_wait() -> Option<ChildDone> {
    crate::fork::wait().map(child_done)
}

#[napi(object)]
pub struct LoadResult {
    pub keys: f64,
    pub expired_skipped: f64,
    pub empty_skipped: f64,
    /// The empty keys skipped, by name.
    pub empty_keys: Vec<Buffer>,
    /// The keys skipped as expired, and their dbs (index by index).
    pub expired_keys: Vec<Buffer>,
    pub expired_dbs: Vec<u32>,
    pub version: u32,
    /// AUX fields as name, value, name, value...
    pub aux: Vec<Buffer>,
    /// Function libraries' code, in file order.
    pub functions: Vec<Buffer>,
    /// Bytes the RDB took (an AOF's preamble ends there).
    pub consumed: f64,
}

fn load_options(skip_expired: bool) -> LoadOptions {
    let k = ks();
    LoadOptions {
        now_ms: k.now_ms,
        skip_expired,
        databases: k.dbs.len(),
        verify_checksum: crate::config::get().rdbchecksum != 0,
        lfu: k.lfu.enabled,
        progress: None,
        key_delay_us: 0,
    }
}

/// `merge`: 0 replaces the dataset, 1 adds to it (a key in both is an
/// error), 2 adds to it replacing keys of the same name.
fn finish_load(r: crate::rdb::Result<crate::rdb::load::Loaded>, merge: u32) -> napi::Result<LoadResult> {
    let mut l = r.map_err(|e| napi::Error::from_reason(e.0))?;
    let how = match merge {
        0 => Install::Replace,
        1 => Install::Merge,
        _ => Install::MergeReplacing,
    };
    install(ks(), &mut l, how).map_err(|e| napi::Error::from_reason(e.0))?;
    Ok(LoadResult {
        keys: l.keys as f64,
        expired_skipped: l.expired_skipped as f64,
        empty_skipped: l.empty_skipped as f64,
        empty_keys: std::mem::take(&mut l.empty_keys).into_iter().map(Buffer::from).collect(),
        expired_dbs: l.expired_keys.iter().map(|(d, _)| *d).collect(),
        expired_keys: std::mem::take(&mut l.expired_keys).into_iter().map(|(_, k)| Buffer::from(k)).collect(),
        version: l.version as u32,
        aux: l.aux.into_iter().flat_map(|(k, v)| [Buffer::from(k), Buffer::from(v)]).collect(),
        functions: l.functions.into_iter().map(Buffer::from).collect(),
        consumed: l.consumed as f64,
    })
}

/// Loads an RDB file, replacing the whole dataset only if all of it loads;
/// throws with the reason otherwise (the dataset is then untouched).
/// `skipExpired`: a master drops keys already expired.
#[napi(catch_unwind)]
pub fn rdb_load(path: String, skip_expired: bool, merge: u32) -> napi::Result<LoadResult> {
    let opts = load_options(skip_expired);
    finish_load(load_file(std::path::Path::new(&path), &opts), merge)
}

/// Loads an RDB held in `data` (an AOF's RDB preamble: `consumed` says where it ends).
#[napi(catch_unwind)]
pub fn rdb_load_buffer(data: &[u8], skip_expired: bool, merge: u32) -> napi::Result<LoadResult> {
    let opts = load_options(skip_expired);
    finish_load(load_bytes(data, &opts), merge)
}

/// Starts loading an RDB file on a thread of its own (the server answers
/// -LOADING meanwhile); `rdbLoadPoll` installs it. Returns the file's size.
#[napi(catch_unwind)]
pub fn rdb_load_start(path: String, skip_expired: bool, key_delay_us: u32) -> napi::Result<f64> {
    let mut opts = load_options(skip_expired);
    opts.key_delay_us = key_delay_us as u64;
    crate::rdb::background::start(std::path::PathBuf::from(path), opts).map(|n| n as f64).map_err(|e| napi::Error::from_reason(e.0))
}

/// Bytes the background load has read so far.
#[napi(catch_unwind)]
pub fn rdb_load_progress() -> f64 {
    crate::rdb::background::progress() as f64
}

/// The background load's result once it ended (the dataset replaced), null while it runs.
/// Throws the reason when the file is bad (the dataset is then untouched).
#[napi(catch_unwind)]
pub fn rdb_load_poll() -> napi::Result<Option<LoadResult>> {
    match crate::rdb::background::poll() {
        None => Ok(None),
        Some(r) => finish_load(r, 0).map(Some),
    }
}

/// Whether the next RESTOREs sanitize deeply (sanitize-dump-payload for the calling client).
#[napi(catch_unwind)]
pub fn rdb_set_restore_deep(deep: bool) {
    crate::rdb::dump::DEEP.store(deep, std::sync::atomic::Ordering::Relaxed);
}

/// DEBUG SET-SKIP-CHECKSUM-VALIDATION.
#[napi(catch_unwind)]
pub fn rdb_set_skip_checksum(skip: bool) {
    crate::rdb::dump::SKIP_CHECKSUM.store(skip, std::sync::atomic::Ordering::Relaxed);
}

/// Why the last RESTORE refused its payload (taken: null once read).
#[napi(catch_unwind)]
pub fn rdb_take_restore_error() -> Option<String> {
    crate::rdb::dump::take_error()
}

/// INFO's migrate_cached_sockets: MIGRATE's open connections.
#[napi(catch_unwind)]
pub fn migrate_cached_sockets() -> u32 {
    crate::rdb::migrate::cached_sockets() as u32
}

/// Closes MIGRATE's connections unused for 10 seconds (the cron's part).
#[napi(catch_unwind)]
pub fn migrate_close_timed_out() {
    crate::rdb::migrate::close_timed_out()
}
