//! The AOF's bindings: the command-form base (aof-use-rdb-preamble no),
//! written in process (at start, for an empty dataset, as Redis's
//! rewriteAppendOnlyFile) or by a forked child (BGREWRITEAOF; fork.rs).
//! An RDB base is persistence.rs's rdb_save / rdb_bgsave.
use crate::api::persistence::ForkResult;
use crate::keyspace::ks;
use napi_derive::napi;

/// rdb-key-save-delay (µs after each key; tests slow a rewrite down with it).
fn key_delay() -> u64 {
    crate::config::get().rdb_key_save_delay.max(0) as u64
}

/// Writes the command-form AOF base of the whole dataset to `path`; an error text, or null.
#[napi(catch_unwind)]
pub fn aof_write_commands(path: String, timestamp: Option<i64>) -> Option<String> {
    crate::aof_rewrite::write_file(ks(), std::path::Path::new(&path), timestamp, key_delay()).err().map(|e| e.to_string())
}

/// BGREWRITEAOF: forks a child that writes the command-form base to `path`
/// (`timestamp`: a `#TS:` annotation first) and exits; the child's end comes
/// through child_poll. Throws when it cannot fork.
#[napi(catch_unwind)]
pub fn aof_rewrite_background(path: String, timestamp: Option<i64>) -> napi::Result<ForkResult> {
    let delay = key_delay();
    let (pid, usec) = crate::fork::fork_child(move || {
        let k = ks();
        let keys: u64 = k.dbs.iter().map(|d| d.dict.len() as u64).sum();
        match crate::aof_rewrite::write_file(k, std::path::Path::new(&path), timestamp, delay) {
            Ok(()) => crate::fork::JobResult { ok: true, count: keys },
            Err(e) => {
                eprintln!("Write error writing append only file on disk: {e}");
                crate::fork::JobResult { ok: false, count: 0 }
            }
        }
    })
    .map_err(|e| napi::Error::from_reason(e.to_string()))?;
    Ok(ForkResult { pid, fork_usec: usec as f64 })
}
