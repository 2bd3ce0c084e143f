//! Background jobs in a forked child (Redis's redisFork): the child gets a
//! copy-on-write snapshot of the whole process, so it sees the keyspace as
//! it was at the fork while the parent keeps serving writes. The child runs
//! only Rust (the job, then `_exit`): never V8, libuv or anything of Node's,
//! whose threads do not exist in the child. glibc's fork handlers leave
//! malloc usable in the child.
//!
//! One child at a time (as Redis: an RDB save or an AOF rewrite). The parent
//! polls `poll()` from the server cron; the child reports what it measured
//! (its copy-on-write bytes, and a number of its own: keys written) through a
//! pipe as it ends.
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
}

static CHILD: Mutex<Option<Running>> = Mutex::new(None);

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

/// The pid of the running child, if any.
pub fn running() -> Option<i32> {
    CHILD.lock().unwrap().as_ref().map(|c| c.pid)
}

/// Forks and runs `job` in the child; returns the child's pid and how long
/// the fork took (µs). Fails when a child already runs or fork fails.
pub fn fork_child(job: impl FnOnce() -> JobResult) -> io::Result<(i32, u64)> {
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
            libc::close(fds[0]);
        }
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).unwrap_or(JobResult { ok: false, count: 0 });
        let mut msg = [0u8; 16];
        msg[..8].copy_from_slice(&private_dirty().to_le_bytes());
        msg[8..].copy_from_slice(&r.count.to_le_bytes());
        unsafe {
            libc::write(fds[1], msg.as_ptr() as *const libc::c_void, msg.len());
            libc::_exit(if r.ok { 0 } else { 1 });
        }
    }
    let usec = start.elapsed().as_micros() as u64;
    unsafe { libc::close(fds[1]) };
    *slot = Some(Running { pid, pipe: fds[0] });
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
    let c = slot.take().unwrap();
    let mut msg = [0u8; 16];
    let n = unsafe { libc::read(c.pipe, msg.as_mut_ptr() as *mut libc::c_void, msg.len()) };
    unsafe { libc::close(c.pipe) };
    let (cow_bytes, count) = if n == 16 {
        (u64::from_le_bytes(msg[..8].try_into().unwrap()), u64::from_le_bytes(msg[8..].try_into().unwrap()))
    } else {
        (0, 0)
    };
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
