//! Client sockets read by the addon: one epoll set watched by one `uv_poll`
//! inside Node's own loop. On readiness every ready socket is read once (16 KB,
//! as Redis's PROTO_IOBUF_LEN) into one arena JavaScript shares, and one
//! JavaScript call gets the turn's reads, ends and errors as events. Node's
//! stream layer otherwise costs a C++-to-JS callback per read (MakeCallback and
//! its scope, onStreamRead, a Buffer view): at one command per read (-P 1)
//! that was a good part of the request's CPU.
//!
//! Sockets are added by their descriptor and a slot number JavaScript chooses
//! (its index for the client); Node keeps owning them (writes, close) but
//! never reads them. JavaScript removes a socket before closing it.
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::cell::RefCell;
use std::os::raw::{c_int, c_void};

extern "C" {
    fn uv_poll_init(lp: *mut c_void, handle: *mut c_void, fd: c_int) -> c_int;
    fn uv_poll_start(handle: *mut c_void, events: c_int, cb: extern "C" fn(*mut c_void, c_int, c_int)) -> c_int;
}
const UV_READABLE: c_int = 1;

/// One read per socket per turn, at most this much (Redis's PROTO_IOBUF_LEN).
const READ_LEN: usize = 16 * 1024;
/// Epoll events taken per turn.
const MAX_EVENTS: usize = 256;

/// Event kinds (the second field of each event).
pub const EV_DATA: u32 = 0;
pub const EV_END: u32 = 1;
pub const EV_ERROR: u32 = 2;
/// Bytes read into the socket's read target (see reads_target), not the arena.
pub const EV_TARGET: u32 = 3;
/// Fields per event: slot, kind, arena offset (or errno), length.
pub const EV_FIELDS: usize = 4;

struct Reader {
    env: sys::napi_env,
    epfd: c_int,
    callback: sys::napi_ref,
    context: sys::napi_async_context,
    arena: *mut u8,
    arena_len: usize,
    events: *mut u32,
    max_events: usize,
    /// The slot of each registered descriptor (+1; 0: none), by descriptor.
    slots: Vec<u32>,
    /// Where the next read of a descriptor goes instead of the arena (a big
    /// argument's own Buffer), by descriptor; taken by that one read.
    targets: Vec<(*mut u8, usize)>,
}

thread_local! {
    static READER: RefCell<Option<Reader>> = const { RefCell::new(None) };
}

/// Starts watching: `arena` receives the reads, `events` the turn's events,
/// `callback(count)` is called once per turn with events. Both buffers stay
/// referenced by JavaScript for the life of the process.
#[napi(catch_unwind)]
pub fn reads_start(env: Env, mut arena: BufferSlice, mut events: BufferSlice, callback: Function<u32, ()>) -> Result<()> {
    if READER.with(|r| r.borrow().is_some()) {
        return Err(Error::from_reason("reads already started"));
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
        let epfd = libc::epoll_create1(libc::EPOLL_CLOEXEC);
        if epfd < 0 {
            return Err(Error::from_reason(format!("epoll_create1: {}", std::io::Error::last_os_error())));
        }
        // uv_poll_t is smaller than this; it lives as long as the process.
        let handle = Box::leak(vec![0u64; 64].into_boxed_slice()).as_mut_ptr() as *mut c_void;
        if uv_poll_init(lp as *mut c_void, handle, epfd) != 0 || uv_poll_start(handle, UV_READABLE, on_ready) != 0 {
            libc::close(epfd);
            return Err(Error::from_reason("uv_poll on the epoll set failed"));
        }
        if (events.as_ptr() as usize) % 4 != 0 {
            return Err(Error::from_reason("event block not aligned"));
        }
        READER.with(|r| {
            *r.borrow_mut() = Some(Reader {
                env: raw_env,
                epfd,
                callback: cb_ref,
                context,
                arena: arena.as_mut_ptr(),
                arena_len: arena.len(),
                events: events.as_mut_ptr() as *mut u32,
                max_events: events.len() / 4 / EV_FIELDS,
                slots: Vec::new(),
                targets: Vec::new(),
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

/// Watches socket `fd` for client `slot`; false when it cannot be watched (JavaScript then lets Node read it).
#[napi(catch_unwind)]
pub fn reads_add(fd: u32, slot: u32) -> bool {
    READER.with(|r| {
        let mut r = r.borrow_mut();
        let Some(r) = r.as_mut() else { return false };
        let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: fd as u64 };
        if unsafe { libc::epoll_ctl(r.epfd, libc::EPOLL_CTL_ADD, fd as c_int, &mut ev) } != 0 {
            return false;
        }
        let i = fd as usize;
        if r.slots.len() <= i {
            r.slots.resize(i + 1, 0);
        }
        r.slots[i] = slot + 1;
        true
    })
}

/// The next read of socket `fd` (client `slot`) goes into `target`, the rest of
/// a big argument's Buffer, with no copy (an empty `target`: into the arena again). JavaScript keeps that Buffer alive
/// until the read is reported (the parser holds it) or the socket is removed.
#[napi(catch_unwind)]
pub fn reads_target(fd: u32, slot: u32, mut target: BufferSlice) {
    READER.with(|r| {
        if let Some(r) = r.borrow_mut().as_mut() {
            let i = fd as usize;
            if r.slots.get(i) != Some(&(slot + 1)) {
                return;
            }
            if r.targets.len() <= i {
                r.targets.resize(i + 1, (std::ptr::null_mut(), 0));
            }
            // An empty target takes back the one set before (its bytes came another way).
            r.targets[i] = if target.is_empty() { (std::ptr::null_mut(), 0) } else { (target.as_mut_ptr(), target.len()) };
        }
    })
}

/// Stops or restarts reading socket `fd` (a client whose output backs up, then drains).
#[napi(catch_unwind)]
pub fn reads_pause(fd: u32, paused: bool) {
    READER.with(|r| {
        if let Some(r) = r.borrow().as_ref() {
            let mut ev = libc::epoll_event { events: if paused { 0 } else { libc::EPOLLIN as u32 }, u64: fd as u64 };
            unsafe { libc::epoll_ctl(r.epfd, libc::EPOLL_CTL_MOD, fd as c_int, &mut ev) };
        }
    })
}

/// Stops watching socket `fd` of client `slot` (before Node closes it). When
/// Node closed it already and a newer client got the same descriptor, that
/// client's watch stays (a closed descriptor leaves the epoll set by itself).
#[napi(catch_unwind)]
pub fn reads_remove(fd: u32, slot: u32) {
    READER.with(|r| {
        if let Some(r) = r.borrow_mut().as_mut() {
            if let Some(s) = r.slots.get_mut(fd as usize) {
                if *s == slot + 1 {
                    *s = 0;
                    if let Some(t) = r.targets.get_mut(fd as usize) {
                        *t = (std::ptr::null_mut(), 0);
                    }
                    unsafe { libc::epoll_ctl(r.epfd, libc::EPOLL_CTL_DEL, fd as c_int, std::ptr::null_mut()) };
                }
            }
        }
    })
}

/// The uv_poll callback: reads every ready socket once, then one JavaScript call.
extern "C" fn on_ready(_handle: *mut c_void, _status: c_int, _events: c_int) {
    // A panic must not unwind into libuv: the turn's reads are then dropped.
    let turn = std::panic::catch_unwind(|| {
        READER.with(|r| {
            let mut r = r.borrow_mut();
            let r = r.as_mut()?;
            Some((fill(r), r.env, r.callback, r.context))
        })
    });
    let Ok(Some((count, env, callback, context))) = turn else { return };
    if count == 0 {
        return;
    }
    unsafe { call_js(env, callback, context, count) };
}

/// Reads the ready sockets into the arena and writes their events: how many.
fn fill(r: &mut Reader) -> usize {
    let mut evs: [libc::epoll_event; MAX_EVENTS] = unsafe { std::mem::zeroed() };
    let want = MAX_EVENTS.min(r.max_events);
    let n = unsafe { libc::epoll_wait(r.epfd, evs.as_mut_ptr(), want as c_int, 0) };
    if n <= 0 {
        return 0;
    }
    let mut used = 0usize;
    let mut count = 0usize;
    for ev in &evs[..n as usize] {
        let fd = ev.u64 as c_int;
        let slot = match r.slots.get(fd as usize) {
            Some(&s) if s != 0 => s - 1,
            _ => continue,
        };
        let target = match r.targets.get_mut(fd as usize) {
            Some(t) if !t.0.is_null() => std::mem::replace(t, (std::ptr::null_mut(), 0)),
            _ => (std::ptr::null_mut(), 0),
        };
        // A full arena: the socket stays readable and comes back next turn (level-triggered).
        if target.0.is_null() && used + READ_LEN > r.arena_len {
            break;
        }
        let got = if target.0.is_null() {
            unsafe { libc::read(fd, r.arena.add(used) as *mut c_void, READ_LEN) }
        } else {
            unsafe { libc::read(fd, target.0 as *mut c_void, target.1) }
        };
        if got < 0 && !target.0.is_null() {
            // Nothing read: the target stays for the next read.
            r.targets[fd as usize] = target;
        }
        let (kind, a, b) = if got > 0 && !target.0.is_null() {
            (EV_TARGET, 0, got as u32)
        } else if got > 0 {
            let at = used;
            used += got as usize;
            (EV_DATA, at as u32, got as u32)
        } else if got == 0 {
            stop(r, fd);
            (EV_END, 0, 0)
        } else {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO);
            if errno == libc::EAGAIN || errno == libc::EINTR {
                continue;
            }
            stop(r, fd);
            (EV_ERROR, errno as u32, 0)
        };
        unsafe {
            let e = r.events.add(count * EV_FIELDS);
            *e = slot;
            *e.add(1) = kind;
            *e.add(2) = a;
            *e.add(3) = b;
        }
        count += 1;
    }
    count
}

/// A socket that ended or failed is read no more (JavaScript closes it).
fn stop(r: &Reader, fd: c_int) {
    unsafe { libc::epoll_ctl(r.epfd, libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut()) };
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
