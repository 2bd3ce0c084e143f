//! Client sockets read by the addon. Each socket has a `uv_poll` in Node's own
//! loop, on a duplicate of its descriptor (Node's handle keeps the original's
//! place in libuv's table), whose callback only notes the socket as ready; a
//! `uv_check`, right after the poll phase, then reads every noted socket once
//! (16 KB, as Redis's PROTO_IOBUF_LEN) into one arena JavaScript shares, and
//! one JavaScript call gets the turn's reads, ends and errors as events. Node's
//! stream layer otherwise costs a C++-to-JS callback per read (MakeCallback and
//! its scope, onStreamRead, a Buffer view): at one command per read (-P 1)
//! that was a good part of the request's CPU. An epoll set of our own under
//! one uv_poll (the first design) cost a second epoll_wait per turn and a
//! nested wake-up per ready socket. Reading in the check phase, after every
//! poll callback, keeps a turn's reads, the batches run on them and their
//! accounting in JavaScript together: no JavaScript of another handle runs
//! between them. The replies of the turn's batches go out after all its
//! reads, the client read last first, as Redis's (send_deferred). A quiet
//! turn's accounting waits for a later call (Carry);
//! JavaScript settles it first wherever it reads what that counts.
//!
//! A read that is one EVALSHA or FCALL runs its script here too (WORD_SCRIPTS,
//! batch.rs Scripts::Whole). Its crossings to JavaScript then happen in the
//! middle of the turn: what JavaScript asks of the reader meanwhile (a client
//! it pauses or closes) waits until the loop lets go of it (PENDING_OPS), a
//! crossing finds its client by FLAG_RUNNING, and a script that crossed or
//! was suspended as a busy one ends the turn's batching.
//!
//! Sockets are added by their descriptor and a slot number JavaScript chooses
//! (its index for the client); Node keeps owning them (writes, close) but
//! never reads them. JavaScript removes a socket before closing it (its
//! duplicate descriptor is closed then).
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::cell::RefCell;
use std::os::raw::{c_int, c_void};
use super::doze::Doze;
use super::held::Held;
use crate::batch::Scripts;

extern "C" {
    fn uv_poll_init(lp: *mut c_void, handle: *mut c_void, fd: c_int) -> c_int;
    fn uv_poll_start(handle: *mut c_void, events: c_int, cb: extern "C" fn(*mut c_void, c_int, c_int)) -> c_int;
    fn uv_poll_stop(handle: *mut c_void) -> c_int;
    fn uv_check_init(lp: *mut c_void, handle: *mut c_void) -> c_int;
    fn uv_check_start(handle: *mut c_void, cb: extern "C" fn(*mut c_void)) -> c_int;
    fn uv_close(handle: *mut c_void, cb: extern "C" fn(*mut c_void));
    fn uv_unref(handle: *mut c_void);
}
const UV_READABLE: c_int = 1;
/// u64 words reserved for a libuv handle (uv_poll_t and uv_check_t are smaller).
pub(super) const HANDLE_WORDS: usize = 64;

/// One read per socket per turn, at most this much (Redis's PROTO_IOBUF_LEN).
const READ_LEN: usize = 16 * 1024;
/// A client that has been sending big arguments (one spanned reads) is read
/// greedily, as Redis reads into a query buffer it sized for the last big
/// argument: up to that argument's size and some (at most this), so a command
/// of that size comes in one read and the batch path can run it in the loop.
const GREEDY_MAX: usize = 512 * 1024;
const GREEDY_SLACK: usize = 4 * 1024;

/// Event kinds (the second field of each event).
pub const EV_DATA: u32 = 0;
pub const EV_END: u32 = 1;
pub const EV_ERROR: u32 = 2;
/// Bytes read into the socket's read target (see reads_target), not the arena.
pub const EV_TARGET: u32 = 3;
/// A read the batch path ran (some of) here: its fields are EV_BATCH_*.
pub const EV_BATCH: u32 = 4;
/// Bytes read into the client's held command (held.rs), still coming: the
/// length; then what CLIENT LIST shows of it: the argument's bytes come so
/// far (offset field), its length and the other arguments' (fields 4, 5).
pub const EV_HELD: u32 = 5;
/// The client's held command is whole but the loop may not run it now:
/// JavaScript takes it (reads_take_held) and runs it. The length: bytes read.
pub const EV_HELD_TAKE: u32 = 6;
/// Fields per event: slot, kind, arena offset (or errno), length; an
/// EV_BATCH also: input consumed, its log segment's start (in f64s), its
/// replies [start, end) in the reply arena, bytes of them sent, EVB_* bits.
pub const EV_FIELDS: usize = 10;
/// EV_BATCH bits: the last reply waits in the overflow area (nothing was sent);
/// the batch left change records (drained by JavaScript: the last command's, or
/// keyspace events alone, which may be earlier batches' of the turn too);
/// the batch panicked (the log counts the commands before it).
pub const EVB_SPILLED: u32 = 1;
pub const EVB_RECORDS: u32 = 2;
pub const EVB_PANICKED: u32 = 4;
/// The batch is a held command (held.rs) that ran whole.
pub const EVB_HELD: u32 = 8;
/// The batch waited for JavaScript (Carry): it ran while nothing propagated.
pub const EVB_WAITED: u32 = 16;
/// The batch ran a PUBLISH: never quiet, JavaScript delivers its messages this turn.
pub const EVB_PUBLISHED: u32 = 32;
/// The batch's script ran past busy-reply-threshold and was suspended
/// (batch.rs LOG_SUSPENDED): JavaScript takes it over as a busy script.
pub const EVB_SUSPENDED: u32 = 64;
/// The batch's script crossed to JavaScript: never quiet (clients the crossing made ready are served this turn).
pub const EVB_CROSSED: u32 = 128;

/// The flag block: the server's word (WORD_* bits), the slow log's threshold
/// (µs, -1: none; a held command's bytes are kept for an entry that slow),
/// the events waiting for JavaScript (FLAG_WAITING, written here), the slot
/// whose batch runs now plus 1 (FLAG_RUNNING, written here: a script's
/// crossing asks whose it is), then per slot: eligible (1), db, RESP
/// version, NO-TOUCH.
pub const FLAG_HEADER: usize = 4;
pub const FLAG_WAITING: usize = 2;
pub const FLAG_RUNNING: usize = 3;
/// Events of quiet turns wait while each buffer they fill holds at most this
/// many bytes (see Carry): the turns reuse cache-warm memory.
const CARRY_BYTES: usize = 32 * 1024;
/// The batch path may run in the loop this turn.
pub const WORD_BATCH: i32 = 1;
/// Commands propagate (replicas, a backlog): a held command's bytes are kept for it.
pub const WORD_PROPAGATING: i32 = 2;
/// Big arguments may be held (nothing weighs client memory: maxmemory-clients is off).
pub const WORD_HOLD: i32 = 4;
/// A read that is one EVALSHA or FCALL (or their _RO forms) may run its script
/// here (batch.rs Scripts::Whole): the server lets the batch path run scripts.
pub const WORD_SCRIPTS: i32 = 8;
pub const FLAG_FIELDS: usize = 4;
/// Batching in the loop stops for the turn when less than this is left of the
/// reply arena (bytes) or of the turn log (f64s).
const OUT_ROOM_MIN: usize = 64 * 1024;
const LOG_ROOM_MIN: usize = crate::batch::LOG_HEADER + 64 * crate::batch::LOG_FIELDS;

/// What the read loop's batches use, registered by reads_batching.
struct Batching {
    flags: *mut i32,
    flags_len: usize,
    out: *mut u8,
    out_len: usize,
    log: *mut f64,
    log_len: usize,
}

/// A watched socket: Node's descriptor (replies are sent on it), the
/// duplicate its uv_poll watches (and reads), the poll handle.
struct Conn {
    fd: c_int,
    dup: c_int,
    poll: *mut c_void,
    /// Noted ready this turn (in `ready`).
    queued: bool,
    /// Not read while its output backs up (reads_pause).
    paused: bool,
    /// Ended or failed: read no more (JavaScript removes it).
    stopped: bool,
    /// Where its next read goes instead of the arena (a big argument's own
    /// Buffer); taken by that one read.
    target: (*mut u8, usize),
    /// How much its next arena read takes: READ_LEN, or more while it sends big arguments (GREEDY_MAX).
    read_len: usize,
    /// libuv saw an error on the socket (a reset: POLLERR), stopped its poll
    /// and said so once; the poll was started again so the socket is read
    /// until its end or error shows, and a read finding nothing now is that error.
    failed: bool,
    /// A command whose big last argument is coming straight into its own buffer (held.rs).
    held: Option<Box<Held>>,
    /// The doze's window this socket was last counted in (doze.rs).
    seen: u32,
}

/// Where the turn's buffers (events, read arena, reply arena, log) are filled
/// to by earlier turns whose events JavaScript has not had yet. A turn whose
/// events are all quiet batches (every byte read ran in the loop, every reply
/// went out, nothing propagates: nothing left for JavaScript to do but count)
/// does not call JavaScript; the next turn appends to the same buffers, and
/// one call gets them all, in order, when a turn has something else or the
/// buffers reach CARRY_BYTES. JavaScript settles them itself (reads_settle)
/// before anything that reads what they count: every command, its cron,
/// closing a client. At one command per read, the call per turn (MakeCallback
/// and its scopes, the turn's JavaScript) was 3-4% of the request's CPU. A
/// timer bounding the wait (1 ms) cost more than that: the server then spent
/// 0.8 µs more per request than without it (redis-benchmark -P 1), so there is none.
#[derive(Clone, Copy, Default)]
struct Carry {
    count: usize,
    used: usize,
    out_used: usize,
    log_used: usize,
}

struct Reader {
    env: sys::napi_env,
    lp: *mut c_void,
    callback: sys::napi_ref,
    context: sys::napi_async_context,
    arena: *mut u8,
    arena_len: usize,
    events: *mut u32,
    max_events: usize,
    /// The watched sockets, by slot.
    conns: Vec<Option<Conn>>,
    /// Slots whose poll said readable since the last check.
    ready: Vec<u32>,
    batching: Option<Batching>,
    /// Events waiting for JavaScript (see Carry).
    carry: Option<Carry>,
    /// What decides a doze before the next poll (doze.rs).
    doze: Doze,
}

thread_local! {
    static READER: RefCell<Option<Reader>> = const { RefCell::new(None) };
    /// What JavaScript asked of the reader while the loop held it (a script's
    /// crossing in the middle of a turn: a client paused or closed by what the
    /// crossing wrote), done as soon as the loop lets go of the socket it reads.
    static PENDING_OPS: RefCell<Vec<Box<dyn FnOnce(&mut Reader)>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on the reader now, or once the loop's turn lets go of it (see PENDING_OPS).
fn with_reader(f: impl FnOnce(&mut Reader) + 'static) {
    READER.with(|r| match r.try_borrow_mut() {
        Ok(mut r) => {
            if let Some(r) = r.as_mut() {
                f(r);
            }
        }
        Err(_) => PENDING_OPS.with(|d| d.borrow_mut().push(Box::new(f))),
    })
}

/// Does what was deferred while the turn held the reader.
fn apply_deferred(r: &mut Reader) {
    loop {
        let ops = PENDING_OPS.with(|d| std::mem::take(&mut *d.borrow_mut()));
        if ops.is_empty() {
            return;
        }
        for op in ops {
            op(r);
        }
    }
}

/// A zeroed block for a libuv handle, freed by `free_handle` (its close callback).
fn new_handle() -> *mut c_void {
    Box::into_raw(Box::new([0u64; HANDLE_WORDS])) as *mut c_void
}

extern "C" fn free_handle(handle: *mut c_void) {
    drop(unsafe { Box::from_raw(handle as *mut [u64; HANDLE_WORDS]) });
}

/// Starts watching: `arena` receives the reads, `events` the turn's events,
/// `callback(count)` is called once per turn with events. Both buffers stay
/// referenced by JavaScript for the life of the process.
#[napi(catch_unwind)]
pub fn reads_start(env: Env, mut arena: BufferSlice, mut events: BufferSlice, callback: Function<u32, ()>) -> Result<()> {
    if READER.with(|r| r.borrow().is_some()) {
        return Err(Error::from_reason("reads already started"));
    }
    if (events.as_ptr() as usize) % 4 != 0 {
        return Err(Error::from_reason("event block not aligned"));
    }
    unsafe {
        let raw_env = env.raw();
        let mut cb_ref: sys::napi_ref = std::ptr::null_mut();
        check(sys::napi_create_reference(raw_env, callback.raw(), 1, &mut cb_ref))?;
        let mut resource: sys::napi_value = std::ptr::null_mut();
        check(sys::napi_create_object(raw_env, &mut resource))?;
        let mut name: sys::napi_value = std::ptr::null_mut();
        check(sys::napi_create_string_utf8(raw_env, c"nodis.reads".as_ptr(), 11, &mut name))?;
        let mut context: sys::napi_async_context = std::ptr::null_mut();
        check(sys::napi_async_init(raw_env, resource, name, &mut context))?;
        let mut lp: *mut sys::uv_loop_s = std::ptr::null_mut();
        check(sys::napi_get_uv_event_loop(raw_env, &mut lp))?;
        // Lives as long as the process; unreferenced: the sockets' polls keep the loop alive, not it.
        let handle = new_handle();
        if uv_check_init(lp as *mut c_void, handle) != 0 || uv_check_start(handle, on_check) != 0 {
            return Err(Error::from_reason("uv_check for the reads failed"));
        }
        uv_unref(handle);
        let mut doze = Doze::off();
        if std::env::var_os("NODIS_DOZE").is_none_or(|v| v != "off") && !super::doze::start(lp as *mut c_void, &mut doze) {
            return Err(Error::from_reason("uv_prepare for the doze failed"));
        }
        READER.with(|r| {
            *r.borrow_mut() = Some(Reader {
                env: raw_env,
                lp: lp as *mut c_void,
                callback: cb_ref,
                context,
                arena: arena.as_mut_ptr(),
                arena_len: arena.len(),
                events: events.as_mut_ptr() as *mut u32,
                max_events: events.len() / 4 / EV_FIELDS,
                conns: Vec::new(),
                ready: Vec::new(),
                batching: None,
                carry: None,
                doze,
            })
        });
    }
    Ok(())
}

fn check(status: sys::napi_status) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Error::from_reason(format!("N-API call failed ({status})")))
    }
}

/// Starts the batch path in the read loop: `flags` (i32s, FLAG_*), the reply
/// arena `out` and the turn log `log` (f64s, batch.rs segments), all kept
/// referenced by JavaScript for the life of the process.
#[napi(catch_unwind)]
pub fn reads_batching(mut flags: BufferSlice, mut out: BufferSlice, mut log: BufferSlice) -> Result<()> {
    if (flags.as_ptr() as usize) % 4 != 0 || (log.as_ptr() as usize) % 8 != 0 {
        return Err(Error::from_reason("flag block or log not aligned"));
    }
    if flags.len() / 4 <= FLAG_HEADER || out.len() < 2 * OUT_ROOM_MIN || log.len() / 8 < 2 * LOG_ROOM_MIN {
        return Err(Error::from_reason("flag block, reply arena or log too small"));
    }
    READER.with(|r| {
        let mut r = r.borrow_mut();
        let Some(r) = r.as_mut() else { return Err(Error::from_reason("reads not started")) };
        r.batching = Some(Batching {
            flags: flags.as_mut_ptr() as *mut i32,
            flags_len: flags.len() / 4,
            out: out.as_mut_ptr(),
            out_len: out.len(),
            log: log.as_mut_ptr() as *mut f64,
            log_len: log.len() / 8,
        });
        Ok(())
    })
}

/// Watches socket `fd` for client `slot`; false when it cannot be watched
/// (no descriptor left for the duplicate...: JavaScript then lets Node read it).
#[napi(catch_unwind)]
pub fn reads_add(fd: u32, slot: u32) -> bool {
    READER.with(|r| {
        let mut r = r.borrow_mut();
        let Some(r) = r.as_mut() else { return false };
        let i = slot as usize;
        if r.conns.get(i).is_some_and(|c| c.is_some()) {
            return false;
        }
        let dup = unsafe { libc::fcntl(fd as c_int, libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return false;
        }
        // Half the descriptors at most go to sockets and their duplicates: past that, Node reads
        // the client (a duplicate per client would otherwise halve how many can connect).
        if !below_half_limit(dup as u64) {
            unsafe { libc::close(dup) };
            return false;
        }
        let poll = new_handle();
        unsafe {
            if uv_poll_init(r.lp, poll, dup) != 0 {
                free_handle(poll);
                libc::close(dup);
                return false;
            }
            // The handle's `data` (its first field) is the slot.
            *(poll as *mut usize) = i;
            if uv_poll_start(poll, UV_READABLE, on_socket) != 0 {
                uv_close(poll, free_handle);
                libc::close(dup);
                return false;
            }
        }
        if r.conns.len() <= i {
            r.conns.resize_with(i + 1, || None);
        }
        r.conns[i] = Some(Conn { fd: fd as c_int, dup, poll, queued: false, paused: false, stopped: false, target: (std::ptr::null_mut(), 0), read_len: READ_LEN, failed: false, held: None, seen: 0 });
        true
    })
}

/// Whether descriptor `fd` is below half the process's descriptor limit. The
/// limit is read once and again only when `fd` reaches half of it (it rises
/// only if another process raises it): a read per connection was one system
/// call in every accept.
fn below_half_limit(fd: u64) -> bool {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LIMIT: AtomicU64 = AtomicU64::new(0);
    let known = LIMIT.load(Ordering::Relaxed);
    if known != 0 && fd < known / 2 {
        return true;
    }
    let limit = fd_limit();
    LIMIT.store(limit, Ordering::Relaxed);
    fd < limit / 2
}

/// The process's descriptor limit (RLIMIT_NOFILE's soft limit; Node raises it to the hard one at start).
fn fd_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 || lim.rlim_cur == libc::RLIM_INFINITY {
        return u64::MAX;
    }
    lim.rlim_cur as u64
}

/// The watched socket of `slot` if it is `fd`'s.
fn conn_of(r: &mut Reader, fd: u32, slot: u32) -> Option<&mut Conn> {
    r.conns.get_mut(slot as usize)?.as_mut().filter(|c| c.fd == fd as c_int)
}

/// The next read of socket `fd` (client `slot`) goes into `target`, the rest of
/// a big argument's Buffer, with no copy (an empty `target`: into the arena again). JavaScript keeps that Buffer alive
/// until the read is reported (the parser holds it) or the socket is removed.
#[napi(catch_unwind)]
pub fn reads_target(fd: u32, slot: u32, mut target: BufferSlice) {
    // An empty target takes back the one set before (its bytes came another way).
    let (ptr, len) = if target.is_empty() { (0usize, 0) } else { (target.as_mut_ptr() as usize, target.len()) };
    with_reader(move |r| {
        if let Some(c) = conn_of(r, fd, slot) {
            c.target = (ptr as *mut u8, len);
        }
    })
}

/// The command held for socket `fd` (client `slot`), whole, taken by
/// JavaScript to run it the usual way (after an EV_HELD_TAKE); None when
/// there is none.
#[napi(catch_unwind)]
pub fn reads_take_held(fd: u32, slot: u32) -> Option<Buffer> {
    READER.with(|r| {
        let mut r = r.try_borrow_mut().ok()?;
        let c = r.as_mut().and_then(|r| conn_of(r, fd, slot))?;
        if !c.held.as_ref().is_some_and(|h| h.whole()) {
            return None;
        }
        c.held.take().map(|h| Buffer::from(h.into_bytes()))
    })
}

/// Whether part of a command of socket `fd` (client `slot`) is held by the loop (held.rs): none of its later bytes may be read elsewhere.
#[napi(catch_unwind)]
pub fn reads_holding(fd: u32, slot: u32) -> bool {
    READER.with(|r| r.try_borrow_mut().ok().and_then(|mut r| r.as_mut().and_then(|r| conn_of(r, fd, slot)).map(|c| c.held.is_some())).unwrap_or(false))
}

/// Stops or restarts reading socket `fd` of client `slot` (a client whose output backs up, then drains).
#[napi(catch_unwind)]
pub fn reads_pause(fd: u32, slot: u32, paused: bool) {
    with_reader(move |r| {
        if let Some(c) = conn_of(r, fd, slot) {
            if c.paused == paused || c.stopped {
                c.paused = paused;
                return;
            }
            c.paused = paused;
            unsafe {
                if paused {
                    uv_poll_stop(c.poll);
                } else {
                    uv_poll_start(c.poll, UV_READABLE, on_socket);
                }
            }
        }
    })
}

/// Stops watching socket `fd` of client `slot` (before Node closes it): its
/// poll is closed and its duplicate descriptor with it.
#[napi(catch_unwind)]
pub fn reads_remove(fd: u32, slot: u32) {
    with_reader(move |r| {
        if conn_of(r, fd, slot).is_none() {
            return;
        }
        if let Some(c) = r.conns[slot as usize].take() {
            // uv_close stops the poll (and drops its events still pending in this poll phase); the handle is freed after.
            unsafe {
                uv_close(c.poll, free_handle);
                libc::close(c.dup);
            }
        }
    })
}

/// A socket's uv_poll callback: noted ready; the check reads it.
extern "C" fn on_socket(handle: *mut c_void, status: c_int, _events: c_int) {
    let slot = unsafe { *(handle as *const usize) } as u32;
    let _ = READER.try_with(|r| {
        if let Ok(mut r) = r.try_borrow_mut() {
            if let Some(r) = r.as_mut() {
                if let Some(Some(c)) = r.conns.get_mut(slot as usize) {
                    if status < 0 {
                        // libuv stopped the poll on POLLERR (a reset), reporting it this once; the
                        // bytes before the reset and the reset itself are still to be read, so it
                        // polls on (the error stays level: each turn notes the socket again).
                        c.failed = true;
                        if !c.paused && !c.stopped {
                            unsafe { uv_poll_start(c.poll, UV_READABLE, on_socket) };
                        }
                    }
                    if !c.queued {
                        c.queued = true;
                        r.ready.push(slot);
                    }
                }
            }
        }
    });
}

/// The uv_check callback, after the poll phase: reads every ready socket once, then one JavaScript call.
extern "C" fn on_check(_handle: *mut c_void) {
    // A panic must not unwind into libuv: the turn's reads are then dropped.
    let turn = std::panic::catch_unwind(|| {
        READER.with(|r| {
            let mut r = r.borrow_mut();
            let r = r.as_mut()?;
            if r.ready.is_empty() {
                return Some((0, r.env, r.callback, r.context));
            }
            let count = fill(r);
            // Quiet: the events wait (Carry).
            let count = if r.carry.is_some() { 0 } else { count };
            Some((count, r.env, r.callback, r.context))
        })
    });
    let Ok(Some((count, env, callback, context))) = turn else { return };
    if count == 0 {
        return;
    }
    unsafe { call_js(env, callback, context, count) };
}

/// Sets the events waiting for JavaScript (None: none), and their count where JavaScript looks (FLAG_WAITING).
fn wait(r: &mut Reader, carry: Option<Carry>) {
    r.carry = carry;
    if let Some(b) = r.batching.as_ref() {
        // reads_batching checked that the flag block has its header.
        unsafe { *b.flags.add(FLAG_WAITING) = carry.map_or(0, |c| c.count as i32) };
    }
}

/// Takes the events waiting for JavaScript (the caller gives them to it now): how many.
fn take_carry(r: &mut Reader) -> usize {
    let count = r.carry.map_or(0, |c| c.count);
    wait(r, None);
    count
}

/// JavaScript is about to read what the waiting events count (see Carry):
/// how many there are, given to it now (its own call handles them).
#[napi(catch_unwind)]
pub fn reads_settle() -> u32 {
    // During a turn (a script's crossing): the turn's own call gets them.
    READER.with(|r| r.try_borrow_mut().ok().and_then(|mut r| r.as_mut().map(|r| take_carry(r) as u32)).unwrap_or(0))
}

/// Runs `f` on the reader's doze state (None before reads_start).
pub(super) fn with_doze<R>(f: impl FnOnce(&mut Doze) -> R) -> Option<R> {
    READER.with(|r| r.try_borrow_mut().ok()?.as_mut().map(|r| f(&mut r.doze)))
}

/// Whether `events` are all quiet batches (nothing for JavaScript to do now but count: see Carry).
fn quiet(events: &[u32]) -> bool {
    events.chunks_exact(EV_FIELDS).all(|e| e[1] == EV_BATCH && e[9] == 0 && e[4] == e[3] && e[8] == e[7] - e[6])
}

/// Reads the ready sockets into the arena and writes their events: how many.
/// Sockets left unread (a full arena or event block) stay readable and are
/// noted again by the next poll (level-triggered).
fn fill(r: &mut Reader) -> usize {
    let carried = r.carry.take().unwrap_or_default();
    // Given to JavaScript with this turn's: nothing waits for reads_settle meanwhile.
    wait(r, None);
    let mut used = carried.used;
    let mut count = carried.count;
    let mut turn = r.batching.as_ref().and_then(|b| Turn::start(b, carried.out_used, carried.log_used));
    let ready = std::mem::take(&mut r.ready);
    let mut reads = 0;
    let mut full = false;
    for &slot in &ready {
        apply_deferred(r);
        let Some(Some(c)) = r.conns.get_mut(slot as usize) else { continue };
        c.queued = false;
        if full || c.paused || c.stopped {
            continue;
        }
        let fd = c.dup;
        let target = std::mem::replace(&mut c.target, (std::ptr::null_mut(), 0));
        let holding = c.held.is_some();
        // A full arena or event block (a read may make two events): this socket and the rest come back next turn.
        if count + 2 > r.max_events || (target.0.is_null() && !holding && used + READ_LEN > r.arena_len) {
            c.target = target;
            full = true;
            continue;
        }
        let mut ev = |e: [u32; EV_FIELDS]| {
            unsafe { std::ptr::copy_nonoverlapping(e.as_ptr(), r.events.add(count * EV_FIELDS), EV_FIELDS) };
            count += 1;
        };
        let arena = Arena { ptr: r.arena, len: r.arena_len };
        let got = if holding {
            let h = c.held.as_mut().unwrap();
            // Whole already: JavaScript has not taken it yet (it was told so); nothing more is read before it.
            if h.whole() {
                ev([slot, EV_HELD_TAKE, 0, 0, 0, 0, 0, 0, 0, 0]);
                continue;
            }
            h.read(fd)
        } else if target.0.is_null() {
            // Greedy only where the loop runs the batch: elsewhere JavaScript would copy the whole read out of the arena.
            let greedy = c.read_len > READ_LEN && matches!((turn.as_ref(), r.batching.as_ref()), (Some(t), Some(b)) if t.runs(b, slot));
            let len = if greedy { c.read_len } else { READ_LEN }.min(r.arena_len - used);
            unsafe { libc::read(fd, r.arena.add(used) as *mut c_void, len) }
        } else {
            unsafe { libc::read(fd, target.0 as *mut c_void, target.1) }
        };
        if got > 0 {
            reads += 1;
            r.doze.note_read(&mut c.seen);
        }
        if got < 0 && !target.0.is_null() {
            // Nothing read: the target stays for the next read.
            c.target = target;
        }
        let (kind, a, b) = if got > 0 && holding {
            ev(held_event(&mut turn, r.batching.as_ref(), slot, c, &arena, &mut used, got as u32));
            continue;
        } else if got > 0 && !target.0.is_null() {
            // A big argument's rest: its command runs in JavaScript once whole, before later reads' (see below).
            if let Some(t) = turn.as_mut() {
                t.on = false;
            }
            // The rest of a big argument: the client's next reads take about its size at once (the head read 16 KB of it).
            let big = target.1 + READ_LEN + GREEDY_SLACK;
            c.read_len = if big <= GREEDY_MAX { c.read_len.max(big) } else { READ_LEN };
            (EV_TARGET, 0, got as u32)
        } else if got > 0 {
            let at = used;
            used += got as usize;
            // Small reads again: back to Redis's usual 16 KB.
            if (got as usize) < READ_LEN {
                c.read_len = READ_LEN;
            }
            if let (Some(t), Some(b)) = (turn.as_mut(), r.batching.as_ref()) {
                // The arena up to the end of this read: the log's offsets are the arena's (JavaScript needs no view per read).
                let input = unsafe { std::slice::from_raw_parts(r.arena, at + got as usize) };
                let fields = t.batch(b, slot, input, at);
                // What the batch left may be a big argument's head: held, read on into its own buffer.
                let consumed = fields.map_or(0, |f| f[0] as usize);
                // Nothing spilled or panicked: its replies go out at the turn's end, before the held command's.
                let in_order = fields.is_none_or(|f| f[5] == 0);
                let held = if consumed < got as usize && in_order && t.holds(b, slot) { Held::start(&input[at + consumed..]) } else { None };
                let rest = held.is_some();
                if let Some(h) = held {
                    c.held = Some(h);
                    c.read_len = READ_LEN;
                } else if t.on && crate::batch::starts_with_whole_command(&input[at + consumed..]) {
                    // JavaScript runs a command of this read (it was not batched here, or the
                    // batch stopped before it): Redis runs a turn's reads in order, so the
                    // later reads of this turn go to JavaScript too.
                    t.on = false;
                }
                if let Some(mut fields) = fields {
                    if rest {
                        fields[0] = got as u32;
                    }
                    let mut e = [slot, EV_BATCH, at as u32, got as u32, 0, 0, 0, 0, 0, 0];
                    e[4..].copy_from_slice(&fields);
                    ev(e);
                }
                if rest {
                    // The rest is often there already: read now, the command may run this turn.
                    let counted = if fields.is_some() { 0 } else { got as u32 };
                    let more = c.held.as_mut().unwrap().read(fd);
                    if more > 0 {
                        ev(held_event(&mut turn, r.batching.as_ref(), slot, c, &arena, &mut used, counted + more as u32));
                    } else {
                        ev(held_coming(slot, c.held.as_ref().unwrap(), counted));
                    }
                    continue;
                }
                if fields.is_some() {
                    continue;
                }
            }
            (EV_DATA, at as u32, got as u32)
        } else if got == 0 {
            stop(c);
            (EV_END, 0, 0)
        } else {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO);
            if errno == libc::EINTR || (errno == libc::EAGAIN && !c.failed) {
                continue;
            }
            stop(c);
            // Nothing to read on a socket libuv saw fail: its error was taken already (reported as a reset).
            (EV_ERROR, if errno == libc::EAGAIN { libc::ECONNRESET } else { errno } as u32, 0)
        };
        ev([slot, kind, a, b, 0, 0, 0, 0, 0, 0]);
    }
    apply_deferred(r);
    if let Some(b) = r.batching.as_ref() {
        send_deferred(&r.conns, b, unsafe { std::slice::from_raw_parts_mut(r.events.add(carried.count * EV_FIELDS), (count - carried.count) * EV_FIELDS) });
    }
    r.doze.note_turn(reads, turn.as_ref().map_or(0, |t| t.commands));
    // The list's allocation is kept for the next turn.
    let mut ready = ready;
    ready.clear();
    if r.ready.is_empty() {
        r.ready = ready;
    }
    let (out_used, log_used) = turn.as_ref().map_or((carried.out_used, carried.log_used), |t| (t.out_used, t.log_used));
    if let Some(t) = turn {
        t.end();
    }
    // Quiet, with room left for more turns: the events wait (Carry).
    let mut carry = None;
    if let Some(b) = r.batching.as_ref() {
        let fresh = unsafe { std::slice::from_raw_parts_mut(r.events.add(carried.count * EV_FIELDS), (count - carried.count) * EV_FIELDS) };
        if !full
            && unsafe { *b.flags } & WORD_HOLD != 0
            // Set as a consumer registers (the word follows later): what ran is propagated from the log now.
            && crate::keyspace::ks().shared.listen() & crate::state::LISTEN_PROPAGATE == 0
            && count * EV_FIELDS * 4 <= CARRY_BYTES
            && used <= CARRY_BYTES
            && out_used <= CARRY_BYTES
            && log_used * 8 <= CARRY_BYTES
            && count > 0
            && quiet(fresh)
        {
            for e in fresh.chunks_exact_mut(EV_FIELDS) {
                e[9] |= EVB_WAITED;
            }
            carry = Some(Carry { count, used, out_used, log_used });
        }
    }
    wait(r, carry);
    count
}

/// The EV_HELD event of `nread` bytes read into `h`, still coming.
fn held_coming(slot: u32, h: &Held, nread: u32) -> [u32; EV_FIELDS] {
    [slot, EV_HELD, h.have() as u32, nread, h.bulk as u32, h.argv as u32, 0, 0, 0, 0]
}

/// The read arena (JavaScript's view of the turn's reads).
struct Arena {
    ptr: *mut u8,
    len: usize,
}

/// The event for `nread` bytes just read into `c`'s held argument: still
/// coming (EV_HELD); whole and run here (EV_BATCH); whole and left to
/// JavaScript (EV_HELD_TAKE: the loop may not run it now).
fn held_event(turn: &mut Option<Turn>, b: Option<&Batching>, slot: u32, c: &mut Conn, arena: &Arena, used: &mut usize, nread: u32) -> [u32; EV_FIELDS] {
    let h = c.held.as_mut().expect("a held argument");
    if !h.whole() {
        return held_coming(slot, h, nread);
    }
    if let (Some(t), Some(b)) = (turn.as_mut(), b) {
        if t.runs(b, slot) {
            if let Some(fields) = t.run_held(b, slot, c, arena, used) {
                let mut e = [slot, EV_BATCH, 0, nread, 0, 0, 0, 0, 0, 0];
                e[4..].copy_from_slice(&fields);
                e[4] = nread;
                e[9] |= EVB_HELD;
                return e;
            }
        }
    }
    [slot, EV_HELD_TAKE, 0, nread, 0, 0, 0, 0, 0, 0]
}

/// One turn's batches in the loop: where the reply arena and the turn log are
/// filled to, and the engine state the batches changed (put back at the end).
struct Turn {
    out_used: usize,
    log_used: usize,
    /// Still batching this turn (a batch that left records, spilled or panicked
    /// stops it, and so does a read JavaScript runs a command of).
    on: bool,
    /// RESP and NO-TOUCH as JavaScript left them; the clock set once.
    saved: Option<(f64, f64)>,
    /// The time-stamp counter's rate (µs per stamp) measured across turns, once known.
    usec_per_stamp: Option<f64>,
    /// Commands the turn's batches ran.
    commands: u32,
    /// A batch of the turn ran a PUBLISH (no script runs after it: see Turn::batch).
    published: bool,
}

thread_local! {
    /// Where the last measure of the time-stamp counter's rate began (monotonic clock, stamp), and the rate.
    static STAMP_RATE: std::cell::Cell<(Option<std::time::Instant>, u64, f64)> = const { std::cell::Cell::new((None, 0, 0.0)) };
}

/// The time-stamp counter's µs per stamp, measured over at least 10 ms between
/// turns with batches (one clock read per such turn instead of two per batch); None until measured.
fn stamp_rate() -> Option<f64> {
    let now = std::time::Instant::now();
    let s = crate::batch::stamp();
    STAMP_RATE.with(|c| {
        let (base, s0, rate) = c.get();
        match base {
            None => c.set((Some(now), s, rate)),
            Some(b) => {
                let us = now.duration_since(b).as_nanos() as f64 / 1000.0;
                if us >= 10_000.0 && s > s0 {
                    c.set((Some(now), s, us / (s - s0) as f64));
                }
            }
        }
        let rate = c.get().2;
        if rate > 0.0 {
            Some(rate)
        } else {
            None
        }
    })
}

impl Turn {
    /// A turn with batching, if the server's word allows it now.
    fn start(b: &Batching, out_used: usize, log_used: usize) -> Option<Turn> {
        if b.flags_len < FLAG_HEADER || unsafe { *b.flags } & WORD_BATCH == 0 {
            return None;
        }
        // Someone needs every change (BCAST tracking, a replica's keys): the engine's own
        // listen bits say so at once, whoever turned them on. (Blocked clients, WATCH and
        // tracking need their keys' changes alone, LISTEN_WAITED: a batch stops after one, its
        // records drained; notifications their classes' events, LISTEN_EVENTS and LISTEN_KEYMISS.)
        if crate::keyspace::ks().shared.listen() & crate::state::LISTEN_RECORD != 0 {
            return None;
        }
        Some(Turn { out_used, log_used, on: true, saved: None, usec_per_stamp: None, commands: 0, published: false })
    }

    /// Whether a command of client `slot` may be held (held.rs) now: it would run here, holding is allowed.
    fn holds(&self, b: &Batching, slot: u32) -> bool {
        self.runs(b, slot) && unsafe { *b.flags } & WORD_HOLD != 0
    }

    /// Whether a read of client `slot` would be run here now (batching on, the client marked eligible).
    fn runs(&self, b: &Batching, slot: u32) -> bool {
        let base = FLAG_HEADER + slot as usize * FLAG_FIELDS;
        self.on && base + FLAG_FIELDS <= b.flags_len && unsafe { *b.flags.add(base) } == 1
    }

    /// Runs the batch path over `input[from..]`, a read of client `slot`
    /// when TypeScript marked it eligible: the EV_BATCH fields
    /// after the read's offset and length (what it consumed counted from
    /// `from`), or None (nothing ran: the read goes to JavaScript as it is).
    fn batch(&mut self, b: &Batching, slot: u32, input: &[u8], from: usize) -> Option<[u32; 6]> {
        let (ks, db) = self.enter(b, slot)?;
        let out = unsafe { std::slice::from_raw_parts_mut(b.out, b.out_len) };
        let log = unsafe { std::slice::from_raw_parts_mut(b.log.add(self.log_used), b.log_len - self.log_used) };
        let (out_start, limit) = (self.out_used, b.out_len - OUT_ROOM_MIN / 2);
        // A script may run after no PUBLISH of the turn (its message is delivered when JavaScript accounts for the turn).
        let scripts = if unsafe { *b.flags } & WORD_SCRIPTS != 0 && !self.published { Scripts::Whole } else { Scripts::None };
        unsafe { *b.flags.add(FLAG_RUNNING) = slot as i32 + 1 };
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| crate::batch::run_logged(ks, db, input, from, out, out_start, limit, &mut *log, self.usec_per_stamp, scripts)));
        unsafe { *b.flags.add(FLAG_RUNNING) = 0 };
        self.commands += *ran.as_ref().unwrap_or(&0) as u32;
        let mut fields = self.leave(b, ran.is_err())?;
        fields[0] -= from as u32;
        Some(fields)
    }

    /// Runs the command held for client `slot` (whole now) when it can here:
    /// the EV_BATCH fields after the read's offset and length (what it consumed
    /// is the caller's), or None (JavaScript takes it: nothing ran). Its bytes
    /// are copied to the arena at `used` when JavaScript needs them
    /// (propagation, a slow log entry); the argument becomes the value else.
    fn run_held(&mut self, b: &Batching, slot: u32, c: &mut Conn, arena: &Arena, used: &mut usize) -> Option<[u32; 6]> {
        use crate::batch::LOG_HEADER;
        let h = c.held.as_mut()?;
        let len = h.command_len();
        let (propagating, slow_from) = (unsafe { *b.flags } & WORD_PROPAGATING != 0, unsafe { *b.flags.add(1) });
        // Room for the copy propagation needs (else JavaScript runs the command itself).
        if propagating && *used + len > arena.len {
            return None;
        }
        let arg = h.take_arg()?;
        let Some((ks, db)) = self.enter(b, slot) else {
            h.put_back(arg);
            return None;
        };
        let (at, bytes) = (*used, arg.as_ptr());
        let out = unsafe { std::slice::from_raw_parts_mut(b.out, b.out_len) };
        let log = unsafe { std::slice::from_raw_parts_mut(b.log.add(self.log_used), b.log_len - self.log_used) };
        let head: &[u8] = &h.head;
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| crate::batch::run_held(ks, db, head, arg, out, self.out_used, &mut *log, self.usec_per_stamp, at)));
        let panicked = ran.is_err();
        let left = match ran {
            Ok((true, left)) => left,
            Ok((false, Some(arg))) => {
                h.put_back(arg);
                return None;
            }
            // A panic (the argument is gone) or the argument lost: what JavaScript is told of the panic.
            _ => None,
        };
        if log[crate::batch::LOG_COUNT] > 0.0 {
            let usec = log[LOG_HEADER + 1];
            // A slow log entry's arguments, when the arena has room for them (a turn of many big reads may not).
            if propagating || (slow_from >= 0 && usec >= slow_from as f64 && *used + len <= arena.len) {
                // The argument's bytes are where they were: the value (nothing ran since it took them) or `left`.
                unsafe {
                    let to = arena.ptr.add(at);
                    std::ptr::copy_nonoverlapping(h.head.as_ptr(), to, h.head.len());
                    std::ptr::copy_nonoverlapping(bytes, to.add(h.head.len()), len - h.head.len() - 2);
                    std::ptr::copy_nonoverlapping(b"\r\n".as_ptr(), to.add(len - 2), 2);
                }
                *used += len;
            } else {
                // No bytes for JavaScript: the entry says so (an empty command).
                log[LOG_HEADER + 3] = log[LOG_HEADER + 2];
            }
        }
        drop(left);
        c.held = None;
        self.leave(b, panicked)
    }

    /// Sets the engine up for a batch of client `slot` (checks, the clock, RESP, NO-TOUCH): the keyspace and db, or None (nothing may run).
    fn enter(&mut self, b: &Batching, slot: u32) -> Option<(&'static mut crate::keyspace::Keyspace, usize)> {
        use crate::state::{NOW_MS, NO_TOUCH, RESP};
        if !self.on {
            return None;
        }
        let flags = unsafe { std::slice::from_raw_parts_mut(b.flags, b.flags_len) };
        let base = FLAG_HEADER + slot as usize * FLAG_FIELDS;
        if base + FLAG_FIELDS > flags.len() || flags[base] != 1 {
            return None;
        }
        if self.out_used + OUT_ROOM_MIN > b.out_len || self.log_used + LOG_ROOM_MIN > b.log_len {
            self.on = false;
            return None;
        }
        // What leave asks: whether JavaScript ran during this batch (a script's crossing).
        crate::lua::bridge::take_crossed();
        let ks = crate::keyspace::ks();
        // Records waiting belong to a command JavaScript has not accounted for yet
        // (keyspace events alone are published in order when it accounts for the turn).
        if ks.urgent_records() {
            self.on = false;
            return None;
        }
        if self.saved.is_none() {
            self.saved = Some((ks.shared.get(RESP), ks.shared.get(NO_TOUCH)));
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
            ks.shared.set(NOW_MS, now as f64);
            self.usec_per_stamp = stamp_rate();
        }
        ks.shared.set(RESP, flags[base + 2] as f64);
        ks.shared.set(NO_TOUCH, flags[base + 3] as f64);
        // ks() took the clock and NO-TOUCH before they were set: again, as each entry into the engine does.
        ks.sync_from_shared();
        Some((ks, flags[base + 1].max(0) as usize))
    }

    /// After a batch logged at `log_used`: what JavaScript must do (EV_BATCH's
    /// fields, what it consumed counted from the arena's start), or None when
    /// nothing ran. Its replies are sent at the turn's end (send_deferred):
    /// TypeScript marks a client eligible only while nothing of its output
    /// waits in Node, and no JavaScript runs before then.
    fn leave(&mut self, b: &Batching, panicked: bool) -> Option<[u32; 6]> {
        use crate::batch::{LOG_COUNT, LOG_FIELDS, LOG_HEADER, LOG_IN, LOG_OUT, LOG_SPILLED, LOG_SUSPENDED};
        let log = unsafe { std::slice::from_raw_parts(b.log.add(self.log_used), b.log_len - self.log_used) };
        let n = log[LOG_COUNT] as usize;
        let mut bits = 0;
        if panicked {
            bits |= EVB_PANICKED;
            self.on = false;
        }
        // A script that crossed (JavaScript ran in the turn, clients it made ready are served
        // before anything else runs) or was suspended (a busy script: others get -BUSY) ends the turn's batching.
        // The bridge notes every crossing; a script that crossed is ended by one too (scripting.rs run_for_batch).
        if crate::lua::bridge::take_crossed() {
            bits |= EVB_CROSSED;
            self.on = false;
        }
        if !panicked && log[LOG_SUSPENDED] != 0.0 {
            bits |= EVB_SUSPENDED;
            self.on = false;
        } else if n == 0 {
            return None;
        }
        let ks = crate::keyspace::ks();
        let (consumed, out_start, out_end) = (log[LOG_IN] as usize, self.out_used, log[LOG_OUT] as usize);
        if log[LOG_SPILLED] != 0.0 {
            bits |= EVB_SPILLED;
            self.on = false;
        }
        if !ks.changes.is_empty() {
            bits |= EVB_RECORDS;
            if ks.urgent_records() {
                self.on = false;
            }
        }
        if crate::pubsub::published() {
            bits |= EVB_PUBLISHED;
            self.published = true;
        }
        let log_at = self.log_used;
        self.log_used += LOG_HEADER + n * LOG_FIELDS;
        self.out_used = out_end;
        // A spilled reply or a panic: JavaScript sends it all (the overflow area after the arena's part).
        let sent = if bits & (EVB_SPILLED | EVB_PANICKED) != 0 { 0 } else { DEFERRED };
        Some([consumed as u32, log_at as u32, out_start as u32, out_end as u32, sent, bits])
    }

    /// Puts back the engine state JavaScript left.
    fn end(self) {
        if let Some((resp, no_touch)) = self.saved {
            let ks = crate::keyspace::ks();
            ks.shared.set(crate::state::RESP, resp);
            ks.shared.set(crate::state::NO_TOUCH, no_touch);
        }
    }
}

/// The sent field of an EV_BATCH whose replies wait for the turn's end (send_deferred).
const DEFERRED: u32 = u32::MAX;

/// Sends the replies of the turn's batches (`events`, the turn's own), as
/// Redis writes its clients' replies after reading and running them all
/// (handleClientsWithPendingWrites in beforeSleep), and in its order: the
/// client read last first (its pending list takes each client at its head).
/// Sending each reply right after its read, in the order read, made
/// redis-benchmark's p50 for 100 KB GETs three times Redis's (a Redis
/// patched to write each client's reply right after its read showed the
/// same; reading all of a turn's sockets first and sending in the order
/// read did not help); this order brings it to Redis's. A client's own events (a batch,
/// then its held command) go in their order, and after a send the kernel
/// took only part of, its later ones wait too (JavaScript sends what is left
/// of each, in order).
fn send_deferred(conns: &[Option<Conn>], b: &Batching, events: &mut [u32]) {
    let out = unsafe { std::slice::from_raw_parts(b.out, b.out_len) };
    let mut end = events.len() / EV_FIELDS;
    while end > 0 {
        let slot = events[(end - 1) * EV_FIELDS];
        let mut start = end - 1;
        while start > 0 && events[(start - 1) * EV_FIELDS] == slot {
            start -= 1;
        }
        let fd = conns.get(slot as usize).and_then(|c| c.as_ref()).map(|c| c.fd);
        let mut blocked = false;
        for e in events[start * EV_FIELDS..end * EV_FIELDS].chunks_exact_mut(EV_FIELDS) {
            if e[1] != EV_BATCH || e[8] != DEFERRED {
                continue;
            }
            let reply = &out[e[6] as usize..e[7] as usize];
            let sent = match fd {
                Some(fd) if !blocked => super::io::write_fd(fd as u32, reply).max(0) as usize,
                _ => 0,
            };
            blocked |= sent < reply.len();
            e[8] = sent as u32;
        }
        end = start;
    }
}

/// A socket that ended or failed is read no more (JavaScript closes it).
fn stop(c: &mut Conn) {
    c.stopped = true;
    if !c.paused {
        unsafe { uv_poll_stop(c.poll) };
    }
}

/// Calls the JavaScript callback with the event count, as Node calls its own
/// callbacks (microtasks and process.nextTick run after it); an exception it
/// throws goes to Node's uncaught exception handling.
unsafe fn call_js(env: sys::napi_env, callback: sys::napi_ref, context: sys::napi_async_context, count: usize) {
    let mut scope: sys::napi_handle_scope = std::ptr::null_mut();
    if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
        return;
    }
    let mut func: sys::napi_value = std::ptr::null_mut();
    let mut recv: sys::napi_value = std::ptr::null_mut();
    let mut arg: sys::napi_value = std::ptr::null_mut();
    let mut result: sys::napi_value = std::ptr::null_mut();
    sys::napi_get_reference_value(env, callback, &mut func);
    // napi_make_callback wants an object as `this` (undefined throws a TypeError).
    sys::napi_get_global(env, &mut recv);
    sys::napi_create_uint32(env, count as u32, &mut arg);
    let status = sys::napi_make_callback(env, context, recv, func, 1, &arg, &mut result);
    if status != sys::Status::napi_ok {
        let mut err: sys::napi_value = std::ptr::null_mut();
        sys::napi_get_and_clear_last_exception(env, &mut err);
        sys::napi_fatal_exception(env, err);
    }
    sys::napi_close_handle_scope(env, scope);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An EV_BATCH event: read `length` bytes, consumed `consumed`, replies [0, out) of which `sent` went out, `bits`.
    fn batch(length: u32, consumed: u32, out: u32, sent: u32, bits: u32) -> [u32; EV_FIELDS] {
        [7, EV_BATCH, 0, length, consumed, 0, 0, out, sent, bits]
    }

    /// A watched socket on descriptor `fd` (nothing polls it here).
    fn conn(fd: c_int) -> Option<Conn> {
        Some(Conn { fd, dup: fd, poll: std::ptr::null_mut(), queued: false, paused: false, stopped: false, target: (std::ptr::null_mut(), 0), read_len: READ_LEN, failed: false, held: None, seen: 0 })
    }

    /// A connected pair of Unix stream sockets, non-blocking.
    fn pair() -> (c_int, c_int) {
        let mut fds = [0; 2];
        assert_eq!(unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0, fds.as_mut_ptr()) }, 0);
        (fds[0], fds[1])
    }

    fn drain(fd: c_int) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            let n = unsafe { libc::read(fd, buf.as_mut_ptr() as *mut c_void, buf.len()) };
            if n <= 0 {
                return got;
            }
            got.extend_from_slice(&buf[..n as usize]);
        }
    }

    #[test]
    fn deferred_replies_go_out_last_client_first_each_clients_in_order() {
        let (ours, theirs) = pair();
        let mut out = b"+A1\r\n+A2\r\n+B\r\n:0\r\n+C\r\n".to_vec();
        let b = Batching { flags: std::ptr::null_mut(), flags_len: 0, out: out.as_mut_ptr(), out_len: out.len(), log: std::ptr::null_mut(), log_len: 0 };
        // Three clients on one socket, so its bytes tell the order of the sends.
        let conns = vec![conn(ours), conn(ours), conn(ours)];
        let ev = |slot: u32, kind: u32, from: u32, to: u32, sent: u32| [slot, kind, 0, 0, 0, 0, from, to, sent, 0];
        let mut events = [
            ev(0, EV_BATCH, 0, 5, DEFERRED),
            ev(0, EV_BATCH, 5, 10, DEFERRED),
            ev(1, EV_BATCH, 10, 14, DEFERRED),
            // Sent already (not deferred): left as it is.
            ev(1, EV_BATCH, 14, 18, 4),
            ev(2, EV_DATA, 0, 0, 0),
            ev(2, EV_BATCH, 18, 22, DEFERRED),
        ]
        .concat();
        send_deferred(&conns, &b, &mut events);
        assert_eq!(drain(theirs), b"+C\r\n+B\r\n+A1\r\n+A2\r\n");
        let sent: Vec<u32> = events.chunks_exact(EV_FIELDS).map(|e| e[8]).collect();
        assert_eq!(sent, [5, 5, 4, 4, 0, 4]);
        unsafe {
            libc::close(ours);
            libc::close(theirs);
        }
    }

    #[test]
    fn after_a_partial_send_a_clients_later_replies_wait() {
        let (ours, theirs) = pair();
        // Fill the socket until a little room is left: the first reply goes in part.
        let junk = [b'x'; 4096];
        while unsafe { libc::send(ours, junk.as_ptr() as *const c_void, junk.len(), libc::MSG_DONTWAIT) } > 0 {}
        let mut out = vec![b'r'; 300_000];
        let b = Batching { flags: std::ptr::null_mut(), flags_len: 0, out: out.as_mut_ptr(), out_len: out.len(), log: std::ptr::null_mut(), log_len: 0 };
        let conns = vec![conn(ours)];
        // Some room again: less than the first reply.
        let mut some = [0u8; 8192];
        unsafe { libc::read(theirs, some.as_mut_ptr() as *mut c_void, some.len()) };
        let mut events = [[0, EV_BATCH, 0, 0, 0, 0, 0, 200_000, DEFERRED, 0], [0, EV_BATCH, 0, 0, 0, 0, 200_000, 200_005, DEFERRED, 0]].concat();
        send_deferred(&conns, &b, &mut events);
        assert!(events[8] < 200_000, "the first reply went in part: {}", events[8]);
        assert_eq!(events[EV_FIELDS + 8], 0);
        unsafe {
            libc::close(ours);
            libc::close(theirs);
        }
    }

    #[test]
    fn quiet_only_when_every_event_is_a_whole_batch_sent_with_nothing_left() {
        assert!(quiet(&[]));
        assert!(quiet(&batch(30, 30, 5, 5, 0)));
        assert!(quiet(&[batch(30, 30, 5, 5, 0), batch(64, 64, 12, 12, 0)].concat()));
        // What JavaScript must do now: the read's rest, replies not sent, a spilled or held batch, records, messages to deliver.
        assert!(!quiet(&batch(30, 20, 5, 5, 0)));
        assert!(!quiet(&batch(30, 30, 5, 3, 0)));
        for bits in [EVB_SPILLED, EVB_RECORDS, EVB_PANICKED, EVB_HELD, EVB_PUBLISHED] {
            assert!(!quiet(&batch(30, 30, 5, 5, bits)));
        }
        // Any other event in the turn.
        let data = [7, EV_DATA, 0, 30, 0, 0, 0, 0, 0, 0];
        assert!(!quiet(&[batch(30, 30, 5, 5, 0), data].concat()));
        assert!(!quiet(&[7, EV_END, 0, 0, 0, 0, 0, 0, 0, 0]));
    }
}
