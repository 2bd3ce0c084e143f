//! MIGRATE (cluster.c's migrateCommand): DUMP payloads sent as RESTORE
//! commands over a blocking connection to the target, with Redis's cache of
//! connections (one per host:port, at most 64, closed after 10 s unused).
//! Like Redis, the whole exchange blocks the server: the command stays
//! atomic, and the timeout bounds it.
use super::dump::payload;
use crate::command::Cmd;
use crate::keyspace::Keyspace;
use crate::reply::{code, err, Out};
use crate::util::parse_i64;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

const CACHE_ITEMS: usize = 64;
const CACHE_TTL_SECS: u64 = 10;
/// The longest reply line kept (Redis reads into 1024-byte buffers).
const LINE_MAX: usize = 1023;

struct Cached {
    conn: TcpStream,
    last_dbid: i64,
    last_use: Instant,
}

thread_local! {
    static CACHE: RefCell<HashMap<Vec<u8>, Cached>> = RefCell::new(HashMap::new());
}

/// INFO's migrate_cached_sockets.
pub fn cached_sockets() -> usize {
    CACHE.with(|c| c.borrow().len())
}

/// serverCron's migrateCloseTimedoutSockets.
pub fn close_timed_out() {
    let ttl = Duration::from_secs(CACHE_TTL_SECS);
    CACHE.with(|c| c.borrow_mut().retain(|_, cs| cs.last_use.elapsed() <= ttl));
}

fn cache_name(host: &[u8], port: &[u8]) -> Vec<u8> {
    let mut n = host.to_vec();
    n.push(b':');
    n.extend_from_slice(port);
    n
}

fn close_socket(name: &[u8]) {
    CACHE.with(|c| c.borrow_mut().remove(name));
}

/// C's atoi: leading blanks, a sign, then digits up to the first non-digit.
fn atoi(s: &[u8]) -> i64 {
    let t = std::str::from_utf8(s).unwrap_or("").trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).take(18).collect();
    let v = digits.parse::<i64>().unwrap_or(0);
    if neg { -v } else { v }
}

/// What a blocking connect gave.
enum Connect {
    Ok(TcpStream),
    /// No answer in time, or the address did not resolve (Redis: "connecting").
    Failed,
    /// The target refused: Redis's non-blocking connect sees the socket
    /// writable and fails on the first write instead.
    Refused,
}

fn connect(host: &[u8], port: &[u8], timeout: Duration) -> Connect {
    let Ok(host) = std::str::from_utf8(host) else { return Connect::Failed };
    let Ok(port) = u16::try_from(atoi(port)) else { return Connect::Failed };
    let Ok(addrs) = (host, port).to_socket_addrs() else { return Connect::Failed };
    let deadline = Instant::now() + timeout;
    let mut refused = false;
    for addr in addrs {
        let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else { break };
        match TcpStream::connect_timeout(&addr, left) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Connect::Ok(s);
            }
            Err(e) if e.kind() != ErrorKind::TimedOut && e.kind() != ErrorKind::WouldBlock => refused = true,
            Err(_) => {}
        }
    }
    if refused { Connect::Refused } else { Connect::Failed }
}

/// migrateGetSocket: the cached connection to host:port, or a new one (the
/// cache full: one dropped at random). Ok(()): it is in the cache.
fn get_socket(name: &[u8], host: &[u8], port: &[u8], timeout: Duration) -> Result<(), Connect> {
    let cached = CACHE.with(|c| {
        c.borrow_mut().get_mut(name).map(|cs| cs.last_use = Instant::now()).is_some()
    });
    if cached {
        return Ok(());
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_ITEMS {
            if let Some(k) = c.keys().next().cloned() {
                c.remove(&k);
            }
        }
    });
    match connect(host, port, timeout) {
        Connect::Ok(conn) => {
            CACHE.with(|c| c.borrow_mut().insert(name.to_vec(), Cached { conn, last_dbid: -1, last_use: Instant::now() }));
            Ok(())
        }
        other => Err(other),
    }
}

/// Why an exchange with the target stopped.
#[derive(PartialEq)]
enum IoFail {
    /// A timeout (Redis's errno ETIMEDOUT: no retry).
    Timeout,
    /// Any other error, or the peer closed.
    Other,
}

fn io_fail(e: std::io::Error) -> IoFail {
    match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => IoFail::Timeout,
        _ => IoFail::Other,
    }
}

/// connSyncWrite in 64 KB chunks, each within `timeout`.
fn sync_write(s: &mut TcpStream, buf: &[u8], timeout: Duration) -> Result<(), IoFail> {
    s.set_write_timeout(Some(timeout)).map_err(io_fail)?;
    for chunk in buf.chunks(64 * 1024) {
        let deadline = Instant::now() + timeout;
        let mut pos = 0;
        while pos < chunk.len() {
            if Instant::now() >= deadline {
                return Err(IoFail::Timeout);
            }
            match s.write(&chunk[pos..]) {
                Ok(0) => return Err(IoFail::Other),
                Ok(n) => pos += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(io_fail(e)),
            }
        }
    }
    Ok(())
}

/// connSyncReadLine: one reply line without its CRLF, within `timeout`.
fn sync_read_line(s: &mut TcpStream, timeout: Duration) -> Result<Vec<u8>, IoFail> {
    let deadline = Instant::now() + timeout;
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        let left = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()).ok_or(IoFail::Timeout)?;
        s.set_read_timeout(Some(left)).map_err(io_fail)?;
        match s.read(&mut b) {
            Ok(0) => return Err(IoFail::Other),
            Ok(_) if b[0] == b'\n' => {
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return if line.is_empty() { Err(IoFail::Other) } else { Ok(line) };
            }
            Ok(_) => {
                if line.len() < LINE_MAX {
                    line.push(b[0]);
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(io_fail(e)),
        }
    }
}

fn bulk(buf: &mut Vec<u8>, s: &[u8]) {
    buf.extend_from_slice(format!("${}\r\n", s.len()).as_bytes());
    buf.extend_from_slice(s);
    buf.extend_from_slice(b"\r\n");
}

fn count(buf: &mut Vec<u8>, n: usize) {
    buf.extend_from_slice(format!("*{n}\r\n").as_bytes());
}

struct Options<'a> {
    copy: bool,
    replace: bool,
    user: Option<&'a [u8]>,
    password: Option<&'a [u8]>,
    first_key: usize,
    num_keys: usize,
}

fn parse_options<'a>(argv: &[&'a [u8]]) -> Result<Options<'a>, &'static str> {
    let mut o = Options { copy: false, replace: false, user: None, password: None, first_key: 3, num_keys: 1 };
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let a = argv[j];
        if a.eq_ignore_ascii_case(b"copy") {
            o.copy = true;
        } else if a.eq_ignore_ascii_case(b"replace") {
            o.replace = true;
        } else if a.eq_ignore_ascii_case(b"auth") {
            if more == 0 {
                return Err(err::SYNTAX);
            }
            j += 1;
            o.password = Some(argv[j]);
        } else if a.eq_ignore_ascii_case(b"auth2") {
            if more < 2 {
                return Err(err::SYNTAX);
            }
            o.user = Some(argv[j + 1]);
            o.password = Some(argv[j + 2]);
            j += 2;
        } else if a.eq_ignore_ascii_case(b"keys") {
            if !argv[3].is_empty() {
                return Err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string");
            }
            o.first_key = j + 1;
            o.num_keys = argv.len() - j - 1;
            break;
        } else {
            return Err(err::SYNTAX);
        }
        j += 1;
    }
    Ok(o)
}

/// The target's first error among the AUTH, SELECT and RESTORE replies.
fn target_error(auth: &Option<Vec<u8>>, select: &Option<Vec<u8>>, restore: &[u8]) -> Option<Vec<u8>> {
    [auth.as_deref(), select.as_deref(), Some(restore)]
        .into_iter()
        .flatten()
        .find(|l| l.first() == Some(&b'-'))
        .map(|l| l.to_vec())
}

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
/// [AUTH password | AUTH2 username password] [KEYS key...]
fn migrate_cmd(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let o = match parse_options(argv) {
        Ok(o) => o,
        Err(e) => return out.error(e),
    };
    let Some(mut timeout_ms) = parse_i64(argv[5]) else { return out.error(err::NOT_INT) };
    let Some(dbid) = parse_i64(argv[4]) else { return out.error(err::NOT_INT) };
    if timeout_ms <= 0 {
        timeout_ms = 1000;
    }
    let timeout = Duration::from_millis(timeout_ms as u64);

    // The keys that are here; none at all is NOKEY, not an error.
    let mut keys: Vec<&[u8]> = Vec::with_capacity(o.num_keys);
    for &k in &argv[o.first_key..o.first_key + o.num_keys] {
        if ks.lookup_read(db, k).is_some() {
            keys.push(k);
        }
    }
    if keys.is_empty() {
        out.simple(b"NOKEY");
        return code::WRITTEN;
    }

    let (host, port) = (argv[1], argv[2]);
    let name = cache_name(host, port);
    let mut may_retry = true;
    loop {
        let refused = match get_socket(&name, host, port, timeout) {
            Ok(()) => false,
            Err(Connect::Refused) => true,
            Err(_) => return out.error("IOERR error or timeout connecting to the client"),
        };
        let last_dbid = CACHE.with(|c| c.borrow().get(&name).map(|cs| cs.last_dbid).unwrap_or(-1));

        let mut cmd = Vec::new();
        if let Some(pw) = o.password {
            count(&mut cmd, if o.user.is_some() { 3 } else { 2 });
            bulk(&mut cmd, b"AUTH");
            if let Some(u) = o.user {
                bulk(&mut cmd, u);
            }
            bulk(&mut cmd, pw);
        }
        let select = last_dbid != dbid;
        if select {
            count(&mut cmd, 2);
            bulk(&mut cmd, b"SELECT");
            bulk(&mut cmd, dbid.to_string().as_bytes());
        }
        // Keys that expired since the lookup are left out.
        let now = ks.now_ms;
        let mut sent: Vec<&[u8]> = Vec::with_capacity(keys.len());
        for &k in &keys {
            if ks.peek(db, k).is_none() {
                continue;
            }
            let d = &ks.dbs[db];
            let Some(e) = d.dict.get(k) else { continue };
            let expire = d.expire_of(k, e);
            let mut ttl = 0;
            if expire >= 0 {
                ttl = expire - now;
                if ttl < 0 {
                    continue;
                }
                ttl = ttl.max(1);
            }
            let p = payload(&e.value);
            count(&mut cmd, if o.replace { 5 } else { 4 });
            bulk(&mut cmd, b"RESTORE");
            bulk(&mut cmd, k);
            bulk(&mut cmd, ttl.to_string().as_bytes());
            bulk(&mut cmd, &p);
            if o.replace {
                bulk(&mut cmd, b"REPLACE");
            }
            sent.push(k);
        }

        let exchange = if refused {
            Exchange::Failed { fail: IoFail::Other, write_error: true }
        } else {
            CACHE.with(|c| {
                let mut c = c.borrow_mut();
                let cs = c.get_mut(&name).expect("socket just cached");
                exchange(&mut cs.conn, &cmd, o.password.is_some(), select, sent.len(), timeout)
            })
        };
        let (auth_line, select_line, replies, fail) = match exchange {
            Exchange::Failed { fail, write_error } => {
                close_socket(&name);
                if fail != IoFail::Timeout && may_retry {
                    may_retry = false;
                    continue;
                }
                return io_error(out, write_error);
            }
            Exchange::Replies { auth, select, replies, fail } => (auth, select, replies, fail),
        };

        // Replies in order: each acknowledged key is deleted here (unless COPY).
        let mut target_err: Option<Vec<u8>> = None;
        let mut deleted: Vec<&[u8]> = Vec::new();
        for (j, line) in replies.iter().enumerate() {
            if let Some(e) = target_error(&auth_line, &select_line, line) {
                if target_err.is_none() {
                    target_err = Some(e);
                }
            } else if !o.copy {
                let k = sent[j];
                if ks.delete(db, k) {
                    deleted.push(k);
                }
            }
        }
        if target_err.is_some() {
            CACHE.with(|c| c.borrow_mut().get_mut(&name).map(|cs| cs.last_dbid = -1));
        }
        if let Some(f) = &fail {
            // Nothing read yet and not a timeout: a stale cached socket; try once more.
            if target_err.is_none() && replies.is_empty() && may_retry && *f != IoFail::Timeout {
                close_socket(&name);
                may_retry = false;
                continue;
            }
            close_socket(&name);
        }
        if !deleted.is_empty() {
            // Replicas and the AOF see a DEL of the moved keys.
            let mut v: Vec<&[u8]> = Vec::with_capacity(deleted.len() + 1);
            v.push(b"DEL");
            v.extend_from_slice(&deleted);
            ks.also_propagate(db, &v);
        }
        if let Some(e) = target_err {
            let text = String::from_utf8_lossy(&e[1..]).replace(['\r', '\n'], " ");
            return out.error(&format!("ERR Target instance replied with error: {text}"));
        }
        if fail.is_some() {
            return io_error(out, false);
        }
        CACHE.with(|c| c.borrow_mut().get_mut(&name).map(|cs| cs.last_dbid = dbid));
        return code::OK;
    }
}

fn io_error(out: &mut Out, write_error: bool) -> i64 {
    out.error(if write_error {
        "IOERR error or timeout writing to target instance"
    } else {
        "IOERR error or timeout reading to target instance"
    })
}

enum Exchange {
    /// The write, or the AUTH or SELECT reply, failed: nothing was restored.
    Failed { fail: IoFail, write_error: bool },
    /// The RESTORE replies read (all of them unless `fail`).
    Replies { auth: Option<Vec<u8>>, select: Option<Vec<u8>>, replies: Vec<Vec<u8>>, fail: Option<IoFail> },
}

fn exchange(s: &mut TcpStream, cmd: &[u8], auth: bool, select: bool, n: usize, timeout: Duration) -> Exchange {
    if let Err(fail) = sync_write(s, cmd, timeout) {
        return Exchange::Failed { fail, write_error: true };
    }
    let line = |s: &mut TcpStream| sync_read_line(s, timeout);
    let auth = if auth {
        match line(s) {
            Ok(l) => Some(l),
            Err(fail) => return Exchange::Failed { fail, write_error: false },
        }
    } else {
        None
    };
    let select = if select {
        match line(s) {
            Ok(l) => Some(l),
            Err(fail) => return Exchange::Failed { fail, write_error: false },
        }
    } else {
        None
    };
    let mut replies = Vec::with_capacity(n);
    for _ in 0..n {
        match line(s) {
            Ok(l) => replies.push(l),
            Err(fail) => return Exchange::Replies { auth, select, replies, fail: Some(fail) },
        }
    }
    Exchange::Replies { auth, select, replies, fail: None }
}

pub static COMMANDS: &[Cmd] = &[Cmd { name: "migrate", f: migrate_cmd }];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_as_redis() {
        let a: Vec<&[u8]> = vec![b"migrate", b"h", b"1", b"", b"0", b"10", b"copy", b"AUTH2", b"u", b"p", b"keys", b"a", b"b"];
        let o = parse_options(&a).ok().unwrap();
        assert!(o.copy && !o.replace);
        assert_eq!((o.user, o.password), (Some(&b"u"[..]), Some(&b"p"[..])));
        assert_eq!((o.first_key, o.num_keys), (11, 2));
        let bad: Vec<&[u8]> = vec![b"migrate", b"h", b"1", b"k", b"0", b"10", b"keys", b"a"];
        assert!(parse_options(&bad).is_err());
        let short: Vec<&[u8]> = vec![b"migrate", b"h", b"1", b"k", b"0", b"10", b"auth"];
        assert_eq!(parse_options(&short).err(), Some(err::SYNTAX));
        assert_eq!(atoi(b" 12x"), 12);
        assert_eq!(atoi(b"x"), 0);
    }
}
