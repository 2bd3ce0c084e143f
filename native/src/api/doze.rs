//! A short doze on a timer before libuv's poll, when many clients keep
//! pipelining to the server but nothing is ready at this instant (issue 7;
//! bench/PERF-NOTES.md, "Dozing before the poll").
//!
//! A server that goes to sleep in epoll_wait makes each client's next send wake
//! it: an inter-processor interrupt paid inside the client's send, costly in a
//! VM. When the clients are the slow side (redis-benchmark -P 16 against a
//! server that needs less CPU per request than it), the server sleeps thousands
//! of times per million requests and every wake-up comes out of the clients'
//! rate. Redis, busier per request, finds work at nearly every poll and
//! sleeps a hundred times less. A doze on a timer instead lets the next
//! pipelines arrive without waking anyone (nobody waits on the sockets), and
//! the turn after it reads them together.
//!
//! The same holds at -P 1 with many clients: each sends one request per round
//! trip, and a server that sleeps between them is woken by nearly every one.
//!
//! It is taken only where it pays: many clients are sending (ACTIVE_MIN
//! sockets read within the last window of turns), nothing is ready now (an
//! epoll_wait of zero timeout on libuv's own descriptor: level triggered, so
//! libuv still sees what it reports), and the turn just done had reads and
//! either ran pipelines (at least PIPELINED commands per read, in the read
//! loop's batches) or the requests come fast enough for a doze to gather
//! GATHER of them (socket reads over the window before, timed once per
//! window). A lightly loaded server, its requests coming one at a time, does
//! not add a doze to its replies. A busy server never dozes (something is
//! always ready), nor does one with a few clients waiting on their replies,
//! where a doze would only add to each round trip.
use std::os::raw::{c_int, c_void};
use std::time::{Duration, Instant};

extern "C" {
    fn uv_prepare_init(lp: *mut c_void, handle: *mut c_void) -> c_int;
    fn uv_prepare_start(handle: *mut c_void, cb: extern "C" fn(*mut c_void)) -> c_int;
    fn uv_unref(handle: *mut c_void);
    fn uv_backend_fd(lp: *const c_void) -> c_int;
}

/// How long a doze lasts.
const DOZE: Duration = Duration::from_micros(30);
/// Commands per read in the last turn that make it a pipelining one.
const PIPELINED: u32 = 4;
/// Sockets read within the last window that make many clients.
const ACTIVE_MIN: u32 = 16;
/// The window over which sending clients are counted, in turns with reads
/// (counted in turns, not time: no clock read per turn).
const WINDOW_TURNS: u32 = 64;
/// Socket reads a doze is to gather, at the rate of the window before, for
/// requests of one command to be worth one.
const GATHER: u32 = 2;

/// What the read loop tells the doze (kept in the reader).
pub struct Doze {
    /// libuv's epoll descriptor (-1: dozing is off).
    backend: c_int,
    /// The window being counted: its number (sockets remember the last one they were counted in) and its turns so far.
    window: u32,
    window_turns: u32,
    /// Sockets read in this window, and in the one before.
    active: u32,
    active_before: u32,
    /// Reads in this window, and when it began (None: not yet timed).
    window_reads: u32,
    window_start: Option<Instant>,
    /// The window before read fast enough for a doze to gather GATHER reads.
    fast: bool,
    /// The last turn: reads and the commands its batches ran.
    reads: u32,
    commands: u32,
}

impl Doze {
    pub fn off() -> Doze {
        Doze { backend: -1, window: 1, window_turns: 0, active: 0, active_before: 0, window_reads: 0, window_start: None, fast: false, reads: 0, commands: 0 }
    }

    /// A socket was read this turn; `seen` is its own note of the window it was last counted in.
    #[inline]
    pub fn note_read(&mut self, seen: &mut u32) {
        if *seen != self.window {
            *seen = self.window;
            self.active += 1;
        }
    }

    /// The turn's reads and the commands its batches ran; a new window when this one is over.
    pub fn note_turn(&mut self, reads: u32, commands: u32) {
        self.reads = reads;
        self.commands = commands;
        self.window_reads += reads;
        self.window_turns += 1;
        if self.window_turns >= WINDOW_TURNS {
            self.end_window(Instant::now());
        }
    }

    /// Closes the window at `now`: its rate of reads decides `fast` for the next one.
    fn end_window(&mut self, now: Instant) {
        let reads = std::mem::take(&mut self.window_reads);
        self.fast = self.window_start.is_some_and(|start| DOZE * reads >= (now - start) * GATHER);
        self.window_start = Some(now);
        self.window = self.window.wrapping_add(1).max(1);
        self.window_turns = 0;
        self.active_before = self.active;
        self.active = 0;
    }

    /// Whether to doze before the next poll (the last turn is consumed).
    fn wanted(&mut self) -> bool {
        let (reads, commands) = (std::mem::take(&mut self.reads), std::mem::take(&mut self.commands));
        self.backend >= 0 && reads > 0 && (self.fast || commands >= PIPELINED * reads) && self.active.max(self.active_before) >= ACTIVE_MIN
    }
}

/// Starts the prepare handle that dozes (before each poll) on loop `lp`.
///
/// # Safety
/// `lp` must be the thread's libuv loop, alive for the life of the process.
pub unsafe fn start(lp: *mut c_void, doze: &mut Doze) -> bool {
    // Timers of this thread (the doze's) fire on time: the default slack is 50 µs.
    libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong);
    let handle = Box::into_raw(Box::new([0u64; super::reads::HANDLE_WORDS])) as *mut c_void;
    if uv_prepare_init(lp, handle) != 0 || uv_prepare_start(handle, on_prepare) != 0 {
        return false;
    }
    // The sockets' polls keep the loop alive, not this.
    uv_unref(handle);
    doze.backend = uv_backend_fd(lp);
    true
}

extern "C" fn on_prepare(_handle: *mut c_void) {
    let Some(backend) = super::reads::with_doze(|d| if d.wanted() { Some(d.backend) } else { None }).flatten() else { return };
    let mut ev = libc::epoll_event { events: 0, u64: 0 };
    if unsafe { libc::epoll_wait(backend, &mut ev, 1, 0) } != 0 {
        return;
    }
    let ts = libc::timespec { tv_sec: 0, tv_nsec: DOZE.as_nanos() as libc::c_long };
    unsafe { libc::clock_nanosleep(libc::CLOCK_MONOTONIC, 0, &ts, std::ptr::null_mut()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A doze state as after start (the descriptor is not used by `wanted`).
    fn started() -> Doze {
        let mut d = Doze::off();
        d.backend = 0;
        d
    }

    /// A turn reading each of `sockets` once, running `per_read` commands of each read.
    fn turn(d: &mut Doze, sockets: &mut [u32], per_read: u32) {
        for seen in sockets.iter_mut() {
            d.note_read(seen);
        }
        d.note_turn(sockets.len() as u32, sockets.len() as u32 * per_read);
    }

    #[test]
    fn dozes_only_after_pipelines_from_many_clients() {
        let mut d = started();
        let mut clients = [0u32; 16];
        turn(&mut d, &mut clients, 16);
        assert!(d.wanted());
        // Each turn is asked about once.
        assert!(!d.wanted());
        // -P 1: one command a read, the requests not yet known to come fast.
        turn(&mut d, &mut clients, 1);
        assert!(!d.wanted());
        turn(&mut d, &mut clients[..1], 16);
        assert!(d.wanted(), "one pipelining read among 16 clients sending");

        // A few clients pipelining: each round trip would wait for the doze.
        let mut d = started();
        let mut few = [0u32; 4];
        for _ in 0..10 {
            turn(&mut d, &mut few, 16);
            assert!(!d.wanted());
        }
        // Counted once per window however often they are read; others add up.
        let mut more = [0u32; 12];
        turn(&mut d, &mut more, 16);
        assert!(d.wanted());
        // Two windows later the twelve are forgotten.
        for _ in 0..2 * WINDOW_TURNS {
            turn(&mut d, &mut few, 16);
        }
        assert!(!d.wanted());

        // Not started (NODIS_DOZE=off): never (fast or not).
        let mut d = Doze::off();
        turn(&mut d, &mut clients, 16);
        assert!(!d.wanted());
        d.fast = true;
        turn(&mut d, &mut clients, 1);
        assert!(!d.wanted());
    }

    #[test]
    fn dozes_at_one_command_a_read_when_requests_come_fast() {
        let mut d = started();
        let mut clients = [0u32; 50];
        let start = Instant::now();
        // Not timed yet: the first window only starts the clock.
        d.window_reads = 1000;
        d.end_window(start);
        assert!(!d.fast);
        turn(&mut d, &mut clients, 1);
        assert!(!d.wanted());

        // 120k reads a second: a doze of 30 µs gathers 3.6.
        d.window_reads = 120;
        d.end_window(start + Duration::from_millis(1));
        assert!(d.fast);
        turn(&mut d, &mut clients, 1);
        assert!(d.wanted(), "one command a read, many clients, requests coming fast");
        // A turn without reads is not followed by a doze.
        d.note_turn(0, 0);
        assert!(!d.wanted());

        // 15k reads a second: under one request per doze; no doze at one command a read, still after pipelines.
        d.window_reads = 15;
        d.end_window(start + Duration::from_millis(2));
        assert!(!d.fast);
        turn(&mut d, &mut clients, 1);
        assert!(!d.wanted());
        turn(&mut d, &mut clients, 16);
        assert!(d.wanted());

        // The rate is GATHER reads per doze, exactly.
        d.window_reads = GATHER;
        d.end_window(start + Duration::from_millis(2) + DOZE);
        assert!(d.fast);
        d.window_reads = GATHER - 1;
        d.end_window(start + Duration::from_millis(2) + DOZE * 2);
        assert!(!d.fast);

        // A few clients, however fast: never.
        let mut d = started();
        d.fast = true;
        let mut few = [0u32; 4];
        turn(&mut d, &mut few, 1);
        assert!(!d.wanted());
    }
}
