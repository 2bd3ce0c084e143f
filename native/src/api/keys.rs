//! Key space commands' bindings.
use crate::keyspace::ks;
use napi_derive::napi;

/// DEL/UNLINK of one key: true if it existed.
#[napi]
pub fn key_del(db: u32, key: &[u8]) -> bool {
    ks().delete(db as usize, key)
}

#[napi]
pub fn key_exists(db: u32, key: &[u8]) -> bool {
    ks().exists(db as usize, key)
}

#[napi]
pub fn key_dbsize(db: u32) -> u32 {
    ks().dbs[db as usize].dict.len() as u32
}

#[napi]
pub fn key_flushdb(db: u32) {
    ks().dbs[db as usize].clear();
}

#[napi]
pub fn key_flushall() {
    for d in ks().dbs.iter_mut() {
        d.clear();
    }
}
