//! Background jobs in a forked child (Redis's redisFork): the child gets a
//! copy-on-write snapshot of the whole process, so it sees the keyspace as
//! it was at the fork while the parent keeps serving writes. The child runs
//! only Rust (the job, then `_exit`): never V8, libuv or anything of Node's,
//! whose threads do not exist in the child. glibc's fork handlers leave
//! malloc usable in the child.
//!
//! One child at a time (as Redis: an RDB save or an AOF rewrite). The parent
//! polls `poll()` from the server cron; the child reports through a pipe, in
//! 24-byte records (kind, copy-on-write bytes, a count of its own: keys
//! written): at most once a second while it works (`report_progress`, for
//! INFO's current_cow_size and current_save_keys_processed), and once at its end.
use std::io;
use std::sync::Mutex;

/// What a job tells the parent: its exit code and a count (keys written, ...).
pub struct JobResult {
    pub ok: bool,
    pub count: u64,
}

/// A finished child.
#[derive(Debug, Clone, Copy)]
pub struct Finished {
    pub pid: i32,
    /// Exit code 0.
    pub ok: bool,
    /// Ended by a signal (killed: an aborted job, not a failure of its own).
    pub signal: i32,
    /// The bytes the child had to copy (Private_Dirty at its end).
    pub cow_bytes: u64,
    pub count: u64,
}

struct Running {
    pid: i32,
    pipe: i32,
    /// The latest progress report: (copy-on-write bytes, count, when).
    progress: Option<(u64, u64, std::time::Instant)>,
    /// The end report, once read.
    last: Option<(u64, u64)>,
}

static CHILD: Mutex<Option<Running>> = Mutex::new(None);

const RECORD_PROGRESS: u64 = 1;
const RECORD_END: u64 = 2;

/// In the child: the pipe to the parent, and when progress was last reported.
struct ChildSide {
    pipe: i32,
    last: Option<std::time::Instant>,
}
static CHILD_SIDE: Mutex<Option<ChildSide>> = Mutex::new(None);

fn send(pipe: i32, kind: u64, cow: u64, count: u64) {
    let mut msg = [0u8; 24];
    msg[..8].copy_from_slice(&kind.to_le_bytes());
    msg[8..16].copy_from_slice(&cow.to_le_bytes());
    msg[16..].copy_from_slice(&count.to_le_bytes());
    unsafe { libc::write(pipe, msg.as_ptr() as *const libc::c_void, msg.len()) };
}

/// Called by a job in the child as it goes (`count`: keys done so far); sends
/// a report at most once a second. Does nothing outside a child.
pub fn report_progress(count: u64) {
    let Ok(mut side) = CHILD_SIDE.try_lock() else { return };
    let Some(side) = side.as_mut() else { return };
    let now = std::time::Instant::now();
    if side.last.is_some_and(|t| now.duration_since(t) < std::time::Duration::from_secs(1)) {
        return;
    }
    side.last = Some(now);
    send(side.pipe, RECORD_PROGRESS, private_dirty(), count);
}

/// Reads the reports waiting in the pipe (non-blocking).
fn drain(c: &mut Running) {
    let mut msg = [0u8; 24];
    loop {
        let n = unsafe { libc::read(c.pipe, msg.as_mut_ptr() as *mut libc::c_void, msg.len()) };
        if n != 24 {
            return;
        }
        let word = |i: usize| u64::from_le_bytes(msg[i * 8..i * 8 + 8].try_into().unwrap());
        match word(0) {
            RECORD_PROGRESS => c.progress = Some((word(1), word(2), std::time::Instant::now())),
            RECORD_END => c.last = Some((word(1), word(2))),
            _ => return,
        }
    }
}

/// The running child's latest progress: (copy-on-write bytes, count, seconds since it was reported).
pub fn progress() -> Option<(u64, u64, u64)> {
    let mut slot = CHILD.lock().unwrap();
    let c = slot.as_mut()?;
    drain(c);
    c.progress.map(|(cow, n, at)| (cow, n, at.elapsed().as_secs()))
}

/// Private_Dirty of the whole process (the child's copy-on-write cost), from
/// /proc/self/smaps_rollup; 0 where that is not available.
fn private_dirty() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/smaps_rollup") else { return 0 };
    s.lines()
        .filter(|l| l.starts_with("Private_Dirty:"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

/// Closes every descriptor the child inherited but stdin/out/err and `keep`
/// (Redis's closeChildUnusedResourceAfterFork): the listening sockets above
/// all, so a child outliving its parent never holds the port.
fn close_inherited_fds(keep: i32, also: Option<i32>) {
    let fds: Vec<i32> = match std::fs::read_dir("/proc/self/fd") {
        Ok(dir) => dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect(),
        Err(_) => return,
    };
    for fd in fds {
        if fd > 2 && fd != keep && Some(fd) != also {
            unsafe { libc::close(fd) };
        }
    }
}

/// The OOM killer score a child sets for itself (oom-score-adj's background
/// child class, Redis's CONFIG_OOM_BGCHILD); i32::MIN: leave the parent's.
static CHILD_OOM_SCORE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(i32::MIN);

/// Sets (or with None clears) the score the next children write to their /proc/self/oom_score_adj.
pub fn set_child_oom_score(score: Option<i32>) {
    CHILD_OOM_SCORE.store(score.unwrap_or(i32::MIN), std::sync::atomic::Ordering::Relaxed);
}

/// The child's own score, as Redis's child calls setOOMScoreAdj(CONFIG_OOM_BGCHILD).
fn apply_child_oom_score() {
    let score = CHILD_OOM_SCORE.load(std::sync::atomic::Ordering::Relaxed);
    if score != i32::MIN {
        let _ = std::fs::write("/proc/self/oom_score_adj", format!("{}\n", score));
    }
}

/// The pid of the running child, if any.
pub fn running() -> Option<i32> {
    CHILD.lock().unwrap().as_ref().map(|c| c.pid)
}

/// Forks and runs `job` in the child; returns the child's pid and how long
/// the fork took (µs). Fails when a child already runs or fork fails.
pub fn fork_child(job: impl FnOnce() -> JobResult) -> io::Result<(i32, u64)> {
    fork_child_keeping(None, job)
}

/// `fork_child`, the child keeping the descriptor `keep` open too (the pipe a
/// replica's snapshot is streamed through).
pub fn fork_child_keeping(keep: Option<i32>, job: impl FnOnce() -> JobResult) -> io::Result<(i32, u64)> {
    let parent = unsafe { libc::getpid() };
    let mut slot = CHILD.lock().unwrap();
    if slot.is_some() {
        return Err(io::Error::new(io::ErrorKind::Other, "a child process is already running"));
    }
    let mut fds = [0i32; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let start = std::time::Instant::now();
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        let e = io::Error::last_os_error();
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
        return Err(e);
    }
    if pid == 0 {
        // The child: default signal handling (Node's handlers write to
        // pipes of a loop that does not run here), the job, the report, out.
        unsafe {
            for s in [libc::SIGTERM, libc::SIGINT, libc::SIGUSR1, libc::SIGHUP, libc::SIGPIPE] {
                libc::signal(s, libc::SIG_DFL);
            }
        }
        // The child dies with its parent (killed by the OOM killer or kill -9), as Redis's children notice.
        #[cfg(target_os = "linux")]
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() != parent {
                libc::_exit(1);
            }
        }
        let _ = parent;
        close_inherited_fds(fds[1], keep);
        apply_child_oom_score();
        // The parent's lock is held by the thread that forked, which is this
        // one's copy: the child side has its own.
        if let Ok(mut side) = CHILD_SIDE.try_lock() {
            *side = Some(ChildSide { pipe: fds[1], last: None });
        }
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).unwrap_or(JobResult { ok: false, count: 0 });
        send(fds[1], RECORD_END, private_dirty(), r.count);
        unsafe { libc::_exit(if r.ok { 0 } else { 1 }) };
    }
    let usec = start.elapsed().as_micros() as u64;
    unsafe {
        libc::close(fds[1]);
        libc::fcntl(fds[0], libc::F_SETFL, libc::O_NONBLOCK);
    }
    *slot = Some(Running { pid, pipe: fds[0], progress: None, last: None });
    crate::dict::set_avoid_resize(true);
    Ok((pid, usec))
}

/// Reaps the child if it has ended (waitpid WNOHANG).
pub fn poll() -> Option<Finished> {
    let mut slot = CHILD.lock().unwrap();
    let c = slot.as_ref()?;
    let mut status = 0i32;
    let r = unsafe { libc::waitpid(c.pid, &mut status, libc::WNOHANG) };
    if r == 0 {
        return None;
    }
    let mut c = slot.take().unwrap();
    crate::dict::set_avoid_resize(false);
    drain(&mut c);
    unsafe { libc::close(c.pipe) };
    let (cow_bytes, count) = c.last.unwrap_or((0, 0));
    let (ok, signal) = if r < 0 {
        (false, 0)
    } else if libc::WIFEXITED(status) {
        (libc::WEXITSTATUS(status) == 0, 0)
    } else if libc::WIFSIGNALED(status) {
        (false, libc::WTERMSIG(status))
    } else {
        (false, 0)
    };
    Some(Finished { pid: c.pid, ok, signal, cow_bytes, count })
}

/// Kills the running child (SIGUSR1, as Redis's killRDBChild: the parent
/// treats it as aborted) and reaps it.
pub fn kill() -> Option<Finished> {
    let pid = running()?;
    unsafe { libc::kill(pid, libc::SIGUSR1) };
    loop {
        let mut status = 0;
        // Block until it is gone (it dies at once).
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid || r < 0 {
            break;
        }
    }
    let c = CHILD.lock().unwrap().take()?;
    crate::dict::set_avoid_resize(false);
    unsafe { libc::close(c.pipe) };
    Some(Finished { pid, ok: false, signal: libc::SIGUSR1, cow_bytes: 0, count: 0 })
}

/// Waits for the child to end (SHUTDOWN while a save runs, tests).
pub fn wait() -> Option<Finished> {
    loop {
        running()?;
        if let Some(f) = poll() {
            return Some(f);
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}
