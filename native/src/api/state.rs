//! Bindings of the write path: the shared state block (state.rs) and the
//! drain of the change record (changes.rs).
use crate::changes::EVENTS;
use crate::keyspace::ks;
use napi::bindgen_prelude::BufferSlice;
use napi_derive::napi;

/// Registers the Buffer JavaScript shares with the engine (state::SLOTS f64s);
/// JavaScript keeps it referenced for the life of the process. Takes effect for
/// the current keyspace and every one created later.
#[napi]
pub fn engine_register_state(mut block: BufferSlice) {
    assert!(block.len() >= crate::state::SLOTS * 8, "state block too small");
    let ptr = block.as_mut_ptr() as *mut f64;
    assert!((ptr as usize) % 8 == 0, "state block not aligned");
    unsafe { crate::state::register(ptr) };
    let k = ks();
    let dirty = k.dirty();
    k.shared = crate::state::Shared::new();
    k.add_dirty(dirty);
}

/// The keyspace events, indexed by their number: "<class letter><name>" each.
#[napi]
pub fn engine_event_table() -> Vec<String> {
    EVENTS.iter().map(|(name, class)| format!("{}{}", *class as char, name)).collect()
}

/// Bytes `engine_take_changes` needs for the waiting records.
#[napi]
pub fn engine_changes_bytes() -> u32 {
    ks().changes.iter().map(|c| c.encoded_len()).sum::<usize>() as u32
}

/// Moves the waiting change records into `buf` (sized by engine_changes_bytes);
/// returns the number written. Layout per record in changes.rs (`Change::encode`).
#[napi]
pub fn engine_take_changes(mut buf: BufferSlice) -> u32 {
    let changes = ks().take_changes();
    let mut pos = 0;
    for c in &changes {
        let n = c.encoded_len();
        c.encode(&mut buf[pos..pos + n]);
        pos += n;
    }
    changes.len() as u32
}
