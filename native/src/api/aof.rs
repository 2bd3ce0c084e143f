//! The AOF's bindings: the command-form base written in process (at start,
//! for an empty dataset, as Redis's rewriteAppendOnlyFile does).
use crate::keyspace::ks;
use napi_derive::napi;

/// Writes the command-form AOF base of the whole dataset to `path`; an error text, or null.
#[napi(catch_unwind)]
pub fn aof_write_commands(path: String, timestamp: Option<i64>) -> Option<String> {
    crate::aof_rewrite::write_file(ks(), std::path::Path::new(&path), timestamp).err().map(|e| e.to_string())
}
