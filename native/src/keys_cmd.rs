//! The generic key commands as engine commands: DEL, UNLINK, EXISTS and TYPE
//! (whose TypeScript handlers count through the keyspace, src/commands/keys.ts),
//! and TOUCH, RANDOMKEY, RENAME(NX), MOVE, COPY, DBSIZE, KEYS, SCAN, the EXPIRE
//! and TTL families and PERSIST (whose handlers are these; the EXPIRE family's,
//! src/commands/expire.ts; SCAN's, src/commands/scan.ts). A script's redis.call runs them this way
//! (lua/direct.rs), and so does the batch path for clients' pipelines (batch.rs).
use crate::command::Cmd;
use crate::expire::{expire_cmd_name, EXPIRE_GT, EXPIRE_LT, EXPIRE_NX, EXPIRE_XX};
use crate::generic::SAME_OBJECT;
use crate::util::{cstr, i64_to_vec, parse_range};
use crate::keyspace::Keyspace;
use crate::reply::{code, Out};

fn del(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, lazy: Option<bool>) -> i64 {
    let lazy = lazy.unwrap_or(ks.lazy.user_del);
    let n = argv[1..].iter().filter(|k| ks.delete_freeing(db, k, lazy)).count();
    out.int(n as i64);
    code::WRITTEN
}

fn exists(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let n = argv[1..].iter().filter(|k| ks.exists_cmd(db, k)).count();
    out.int(n as i64);
    code::WRITTEN
}

/// EXPIRE's NX/XX/GT/LT after the time argument (Redis's
/// parseExtendedExpireArgumentsOrReply: matched up to a NUL byte, as C's
/// strcasecmp): the EXPIRE_* flags, or Err after writing the error.
fn expire_options(argv: &[&[u8]], out: &mut Out) -> Result<u32, i64> {
    let mut flags = 0;
    for &a in &argv[3..] {
        flags |= match cstr(a) {
            o if o.eq_ignore_ascii_case(b"nx") => EXPIRE_NX,
            o if o.eq_ignore_ascii_case(b"xx") => EXPIRE_XX,
            o if o.eq_ignore_ascii_case(b"gt") => EXPIRE_GT,
            o if o.eq_ignore_ascii_case(b"lt") => EXPIRE_LT,
            o => return Err(out.error_format(&[b"ERR Unsupported option ", o])),
        };
    }
    if flags & EXPIRE_NX != 0 && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT) != 0 {
        return Err(out.error("ERR NX and XX, GT or LT options at the same time are not compatible"));
    }
    if flags & EXPIRE_GT != 0 && flags & EXPIRE_LT != 0 {
        return Err(out.error("ERR GT and LT options at the same time are not compatible"));
    }
    Ok(flags)
}

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with their options. What changed
/// propagates as Redis rewrites it: PEXPIREAT key ms [options] (PEXPIREAT as
/// sent), or DEL / UNLINK (lazyfree-lazy-expire) when the time had passed.
fn expire(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, unit_seconds: bool, relative: bool) -> i64 {
    let flags = match expire_options(argv, out) {
        Ok(f) => f,
        Err(c) => return c,
    };
    // A replica keeps keys whose time has passed: its primary sends the DEL.
    let may_delete = crate::state::replica_expiry() == 0;
    ks.rewriting(
        |ks| match ks.expire_cmd(db, argv[1], argv[2], unit_seconds, relative, flags, may_delete) {
            Ok(n) => {
                out.int(n);
                code::WRITTEN
            }
            Err(bad) => bad.reply(out, expire_cmd_name(unit_seconds, relative)),
        },
        |ks| {
            let when = ks.last_expire();
            if when == crate::state::EXPIRE_DELETED {
                ks.propagate_past_expire(db, argv[1]);
            } else if unit_seconds || relative {
                let ms = i64_to_vec(when);
                let mut rewrite: Vec<&[u8]> = vec![b"PEXPIREAT", argv[1], &ms];
                rewrite.extend_from_slice(&argv[3..]);
                ks.also_propagate(db, &rewrite);
            }
        },
    )
}

/// A DB index argument as Redis's getIntFromObjectOrReply and selectDb check
/// it (src/commands/keys.ts parseDbIndex): the index, or Err after writing the error.
fn db_index(ks: &Keyspace, arg: &[u8], out: &mut Out) -> Result<usize, i64> {
    let n = parse_range(arg, i32::MIN as i64, i32::MAX as i64, None, out)?;
    if n < 0 || n as usize >= ks.dbs.len() {
        return Err(out.error("ERR DB index is out of range"));
    }
    Ok(n as usize)
}

fn cluster_enabled() -> bool {
    crate::config::get().cluster_enabled != 0
}

/// RENAME (OK) and RENAMENX (1 or 0), or Redis's error.
fn rename(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, nx: bool) -> i64 {
    match ks.rename_cmd(db, argv[1], argv[2], nx) {
        Ok(code::OK) => code::OK,
        Ok(n) => {
            out.int(n);
            code::WRITTEN
        }
        Err(e) => out.error(e),
    }
}

/// MOVE key db: 1 if moved.
fn move_key(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    if cluster_enabled() {
        return out.error("ERR MOVE is not allowed in cluster mode");
    }
    let dst = match db_index(ks, argv[2], out) {
        Ok(d) => d,
        Err(c) => return c,
    };
    if dst == db {
        return out.error(SAME_OBJECT);
    }
    out.int(ks.move_cmd(db, argv[1], dst) as i64);
    code::WRITTEN
}

/// COPY source destination [DB n] [REPLACE]: 1 if copied, else 0.
fn copy(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let mut dst_db = db;
    let mut replace = false;
    let mut i = 3;
    while i < argv.len() {
        let opt = cstr(argv[i]);
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"db") && i + 1 < argv.len() {
            i += 1;
            dst_db = match db_index(ks, argv[i], out) {
                Ok(d) => d,
                Err(c) => return c,
            };
        } else {
            return out.error(crate::reply::err::SYNTAX);
        }
        i += 1;
    }
    if cluster_enabled() && (db != 0 || dst_db != 0) {
        return out.error("ERR Copying to another database is not allowed in cluster mode");
    }
    match ks.copy_cmd(db, argv[1], dst_db, argv[2], replace) {
        Ok(n) => {
            out.int(n);
            code::WRITTEN
        }
        Err(e) => out.error(e),
    }
}

/// SCAN cursor [MATCH pattern] [COUNT n] [TYPE type].
fn scan(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    let Some(cursor) = crate::generic::parse_cursor(argv[1]) else {
        return out.error("ERR invalid cursor");
    };
    match crate::generic::scan_options(argv, 2, true, out) {
        Ok(o) => ks.scan_cmd(db, cursor, o.count, o.pattern, o.type_name, out),
        Err(c) => return c,
    }
    code::WRITTEN
}

fn ttl(ks: &mut Keyspace, db: usize, argv: &[&[u8]], out: &mut Out, ms: bool, absolute: bool) -> i64 {
    ks.ttl_cmd(db, argv[1], ms, absolute, out);
    code::WRITTEN
}

pub const COMMANDS: &[Cmd] = &[
    Cmd { name: "del", f: |ks, db, argv, out| del(ks, db, argv, out, None) },
    Cmd { name: "unlink", f: |ks, db, argv, out| del(ks, db, argv, out, Some(true)) },
    Cmd { name: "exists", f: exists },
    Cmd {
        name: "type",
        f: |ks, db, argv, out| {
            out.simple(ks.type_cmd(db, argv[1]).as_bytes());
            code::WRITTEN
        },
    },
    Cmd { name: "expire", f: |ks, db, argv, out| expire(ks, db, argv, out, true, true) },
    Cmd { name: "pexpire", f: |ks, db, argv, out| expire(ks, db, argv, out, false, true) },
    Cmd { name: "expireat", f: |ks, db, argv, out| expire(ks, db, argv, out, true, false) },
    Cmd { name: "pexpireat", f: |ks, db, argv, out| expire(ks, db, argv, out, false, false) },
    Cmd { name: "ttl", f: |ks, db, argv, out| ttl(ks, db, argv, out, false, false) },
    Cmd { name: "pttl", f: |ks, db, argv, out| ttl(ks, db, argv, out, true, false) },
    Cmd { name: "expiretime", f: |ks, db, argv, out| ttl(ks, db, argv, out, false, true) },
    Cmd { name: "pexpiretime", f: |ks, db, argv, out| ttl(ks, db, argv, out, true, true) },
    Cmd {
        name: "touch",
        f: |ks, db, argv, out| {
            out.int(argv[1..].iter().filter(|k| ks.touch_cmd(db, k)).count() as i64);
            code::WRITTEN
        },
    },
    Cmd { name: "randomkey", f: |ks, db, _, out| ks.randomkey_cmd(db, out) },
    Cmd { name: "rename", f: |ks, db, argv, out| rename(ks, db, argv, out, false) },
    Cmd { name: "renamenx", f: |ks, db, argv, out| rename(ks, db, argv, out, true) },
    Cmd { name: "move", f: move_key },
    Cmd { name: "copy", f: copy },
    Cmd {
        name: "keys",
        f: |ks, db, argv, out| {
            ks.keys_cmd(db, argv[1], out);
            code::WRITTEN
        },
    },
    Cmd { name: "scan", f: scan },
    Cmd {
        name: "dbsize",
        f: |ks, db, _, out| {
            out.int(ks.dbs[db].dict.len() as i64);
            code::WRITTEN
        },
    },
    Cmd {
        name: "persist",
        f: |ks, db, argv, out| {
            out.int(ks.persist(db, argv[1]) as i64);
            code::WRITTEN
        },
    },
];

#[cfg(test)]
mod tests {
    use super::COMMANDS;
    use crate::keyspace::Keyspace;
    use crate::reply::{code, Out};

    const NOW: i64 = 1_700_000_000_000;

    /// Runs a command of this table or the string family by name; its RESP2 reply.
    fn cmd(k: &mut Keyspace, argv: &[&str]) -> String {
        let c = COMMANDS.iter().chain(crate::t_string::COMMANDS).find(|c| c.name == argv[0]).expect("a command");
        let args: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        let mut buf = vec![0u8; 1 << 12];
        let mut o = Out::new(&mut buf, 0);
        let r = (c.f)(k, 0, &args, &mut o);
        let end = o.finish() as usize;
        match r {
            code::WRITTEN => String::from_utf8_lossy(&buf[..end]).into_owned(),
            code::OK => "+OK\r\n".into(),
            other => panic!("{argv:?}: code {other}"),
        }
    }

    #[test]
    fn answers_as_the_key_commands() {
        let mut k = Keyspace::new(1);
        k.now_ms = NOW;
        cmd(&mut k, &["set", "a", "1"]);
        cmd(&mut k, &["set", "b", "2"]);
        assert_eq!(cmd(&mut k, &["exists", "a", "a", "nokey", "b"]), ":3\r\n");
        assert_eq!(cmd(&mut k, &["type", "a"]), "+string\r\n");
        assert_eq!(cmd(&mut k, &["type", "nokey"]), "+none\r\n");
        assert_eq!(cmd(&mut k, &["ttl", "a"]), ":-1\r\n");
        assert_eq!(cmd(&mut k, &["expire", "a", "100"]), ":1\r\n");
        assert_eq!(cmd(&mut k, &["ttl", "a"]), ":100\r\n");
        assert_eq!(cmd(&mut k, &["pttl", "a"]), ":100000\r\n");
        assert_eq!(cmd(&mut k, &["expiretime", "a"]), format!(":{}\r\n", NOW / 1000 + 100));
        assert_eq!(cmd(&mut k, &["expire", "a", "soon"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(cmd(&mut k, &["persist", "a"]), ":1\r\n");
        assert_eq!(cmd(&mut k, &["persist", "a"]), ":0\r\n");
        assert_eq!(cmd(&mut k, &["pexpireat", "nokey", "1"]), ":0\r\n");
        // An expire time already past deletes the key.
        assert_eq!(cmd(&mut k, &["pexpireat", "b", "1"]), ":1\r\n");
        assert_eq!(cmd(&mut k, &["exists", "b"]), ":0\r\n");
        assert_eq!(cmd(&mut k, &["ttl", "b"]), ":-2\r\n");
        assert_eq!(cmd(&mut k, &["del", "a", "a", "nokey"]), ":1\r\n");
        cmd(&mut k, &["set", "c", "3"]);
        assert_eq!(cmd(&mut k, &["unlink", "c", "nokey"]), ":1\r\n");
    }
}
