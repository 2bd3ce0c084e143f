//! The state block JavaScript and the engine share: a few f64 slots in a
//! Buffer that JavaScript allocates once and registers (api/state.rs), so the
//! per-command facts cross without a call: the clock and NO-TOUCH go in, the
//! dirty count and the number of waiting change records come out.
//! Without a registered block (Rust tests) each keyspace uses its own.
use std::sync::atomic::{AtomicPtr, Ordering};

pub const SLOTS: usize = 10;
/// The clock for the commands that follow, unix ms (JavaScript writes).
pub const NOW_MS: usize = 0;
/// Changes since start, Redis's server.dirty (both add to it).
pub const DIRTY: usize = 1;
/// Change records waiting to be drained (the engine writes).
pub const RECORDS: usize = 2;
/// What to record, LISTEN_* bits (JavaScript writes).
pub const LISTEN: usize = 3;
/// CLIENT NO-TOUCH of the client whose command runs, 0 or 1 (JavaScript writes).
pub const NO_TOUCH: usize = 4;
/// Scripts on the batch path (JavaScript writes): 1 + busy-reply-threshold in
/// ms while EVALSHA and FCALL may run there (nothing refuses a script now:
/// not a replica, no -BUSY, -MISCONF, -LOADING...), 0 while they may not.
pub const SCRIPTS: usize = 5;
/// The RESP version of the client whose command runs, 2 or 3 (JavaScript writes): replies take their shapes from it.
pub const RESP: usize = 6;
/// 1 while the running command comes from a client the server must obey (the
/// AOF being loaded; Redis's mustObeyClient): limits meant for users are not applied.
pub const OBEY: usize = 7;
/// Expiry on a replica (JavaScript writes): 0 a primary (expired keys are
/// deleted when met), 1 a replica (expired keys read as missing but stay: the
/// primary's DEL removes them), 2 a replica running its primary's commands
/// (no key counts as expired), 3 a writable replica's own clients (a write's
/// lookup deletes, a read's hides). Redis's expireIfNeeded with masterhost set.
pub const REPLICA_EXPIRY: usize = 8;
/// The reply size past which the running client's commands stop replying in a
/// loop (JavaScript writes; 0: no cap): its output limit would close it (Redis's
/// CLIENT_CLOSE_ASAP checked inside HRANDFIELD, SRANDMEMBER, ZRANDMEMBER, KEYS).
pub const REPLY_CAP: usize = 9;
/// Keyspace::last_expire when the command deleted the key instead (a time already past).
pub const EXPIRE_DELETED: i64 = i64::MIN;

/// Record key changes and keyspace events.
pub const LISTEN_RECORD: u32 = 1;
/// Also record `keymiss` events (every missed read lookup).
pub const LISTEN_KEYMISS: u32 = 2;
/// Also record what commands propagate in place of their argv (`Keyspace::also_propagate`).
pub const LISTEN_PROPAGATE: u32 = 4;
/// Without LISTEN_RECORD: record the changes of the keys in `Keyspace::waited`
/// alone (and flushes and swaps), for the clients blocked on them or WATCHing
/// them, and of the keys client-side caching tracks (by key or BCAST prefix).
pub const LISTEN_WAITED: u32 = 8;
/// Record the keyspace events of the classes notify-keyspace-events turns on
/// alone (`Keyspace::set_event_classes`), with their keys' changes.
pub const LISTEN_EVENTS: u32 = 16;

/// The block JavaScript registered, if any.
static JS_BLOCK: AtomicPtr<f64> = AtomicPtr::new(std::ptr::null_mut());

pub struct Shared {
    ptr: *mut f64,
    _own: Box<[f64; SLOTS]>,
}

impl Default for Shared {
    fn default() -> Self {
        Shared::new()
    }
}

impl Shared {
    /// The registered block, or a block of its own.
    pub fn new() -> Shared {
        let mut own = Box::new([0f64; SLOTS]);
        let js = JS_BLOCK.load(Ordering::Relaxed);
        let ptr = if js.is_null() { own.as_mut_ptr() } else { js };
        Shared { ptr, _own: own }
    }

    #[inline]
    pub fn get(&self, slot: usize) -> f64 {
        debug_assert!(slot < SLOTS);
        unsafe { *self.ptr.add(slot) }
    }

    #[inline]
    pub fn set(&mut self, slot: usize, v: f64) {
        debug_assert!(slot < SLOTS);
        unsafe { *self.ptr.add(slot) = v }
    }

    #[inline]
    pub fn listen(&self) -> u32 {
        self.get(LISTEN) as u32
    }
}

/// Whether the running command comes from a client the server must obey (state::OBEY).
#[inline]
pub fn obeying() -> bool {
    let p = JS_BLOCK.load(Ordering::Relaxed);
    !p.is_null() && unsafe { *p.add(OBEY) } == 1.0
}

/// The REPLY_CAP in bytes (0: none, and without a registered block).
#[inline]
pub fn reply_cap() -> usize {
    let p = JS_BLOCK.load(Ordering::Relaxed);
    if p.is_null() {
        0
    } else {
        unsafe { *p.add(REPLY_CAP) as usize }
    }
}

/// The REPLICA_EXPIRY mode (0 without a registered block).
#[inline]
pub fn replica_expiry() -> u8 {
    let p = JS_BLOCK.load(Ordering::Relaxed);
    if p.is_null() {
        0
    } else {
        unsafe { *p.add(REPLICA_EXPIRY) as u8 }
    }
}

/// Whether the running command's client speaks RESP3 (false without a registered block).
#[inline]
pub fn resp3() -> bool {
    let p = JS_BLOCK.load(Ordering::Relaxed);
    !p.is_null() && unsafe { *p.add(RESP) } == 3.0
}

/// Registers JavaScript's block for every keyspace created from now on.
///
/// # Safety
/// `ptr` must point to SLOTS f64s that stay allocated and in place for the
/// life of the process (JavaScript keeps the Buffer referenced forever).
pub unsafe fn register(ptr: *mut f64) {
    JS_BLOCK.store(ptr, Ordering::Relaxed);
}
