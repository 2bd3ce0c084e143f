//! The AOF base in command form (aof-use-rdb-preamble no): the commands that
//! rebuild the dataset, as Redis's rewriteAppendOnlyFileRio writes them. Per
//! db a SELECT, then per key SET / RPUSH / SADD / ZADD / HMSET (at most 64
//! items per command) or the XADD, XSETID, XGROUP and XCLAIM of a stream, then
//! PEXPIREAT for a key with an expire. Hash fields with a TTL are written one
//! HMSET each, followed by their HPEXPIREAT (as Redis 7.4 does).
use crate::keyspace::Keyspace;
use crate::object::Value;
use crate::t_hash::NO_TTL;
use crate::t_stream::{Id, Stream};
use crate::util::dtoa::dtoa;
use std::io::{self, Write};

/// Redis's AOF_REWRITE_ITEMS_PER_CMD.
const ITEMS_PER_CMD: usize = 64;

fn count(w: &mut impl Write, prefix: u8, n: usize) -> io::Result<()> {
    write!(w, "{}{}\r\n", prefix as char, n)
}

fn bulk(w: &mut impl Write, b: &[u8]) -> io::Result<()> {
    write!(w, "${}\r\n", b.len())?;
    w.write_all(b)?;
    w.write_all(b"\r\n")
}

fn bulk_i64(w: &mut impl Write, v: i64) -> io::Result<()> {
    bulk(w, v.to_string().as_bytes())
}

fn bulk_id(w: &mut impl Write, id: Id) -> io::Result<()> {
    bulk(w, format!("{}-{}", id.ms, id.seq).as_bytes())
}

fn bulk_double(w: &mut impl Write, d: f64) -> io::Result<()> {
    let mut b = [0u8; 32];
    let n = dtoa(d, &mut b);
    bulk(w, &b[..n])
}

/// Writes items in commands of at most 64: `head` starts each command (given
/// the items it will hold), `item` writes one item.
struct Batcher {
    left: usize,
    in_cmd: usize,
}

impl Batcher {
    fn new(total: usize) -> Batcher {
        Batcher { left: total, in_cmd: 0 }
    }
    fn next<W: Write>(&mut self, w: &mut W, head: impl FnOnce(&mut W, usize) -> io::Result<()>) -> io::Result<()> {
        if self.in_cmd == 0 {
            head(w, self.left.min(ITEMS_PER_CMD))?;
        }
        self.in_cmd += 1;
        if self.in_cmd == ITEMS_PER_CMD {
            self.in_cmd = 0;
        }
        self.left -= 1;
        Ok(())
    }
}

fn head<W: Write>(w: &mut W, name: &[u8], key: &[u8], args: usize) -> io::Result<()> {
    count(w, b'*', 2 + args)?;
    bulk(w, name)?;
    bulk(w, key)
}

/// One key's commands.
pub fn rewrite_key(w: &mut impl Write, key: &[u8], value: &Value, expire: i64) -> io::Result<()> {
    match value {
        Value::Int(_) | Value::Str(_) | Value::Raw(_) => {
            w.write_all(b"*3\r\n$3\r\nSET\r\n")?;
            bulk(w, key)?;
            crate::t_string::with_bytes(value, |b| bulk(w, b))?;
        }
        Value::List(l) => {
            let mut b = Batcher::new(l.len());
            let mut res: io::Result<()> = Ok(());
            l.for_each(|e| {
                if res.is_ok() {
                    res = b.next(w, |w, n| head(w, b"RPUSH", key, n)).and_then(|_| bulk(w, e));
                }
            });
            res?;
        }
        Value::Set(s) => {
            let mut b = Batcher::new(s.len());
            for e in s.iter() {
                b.next(w, |w, n| head(w, b"SADD", key, n))?;
                e.with_bytes(|x| bulk(w, x))?;
            }
        }
        Value::ZSet(z) => {
            let mut b = Batcher::new(z.len());
            let mut res: io::Result<()> = Ok(());
            z.for_each(|m, score| {
                if res.is_ok() {
                    res = b
                        .next(w, |w, n| head(w, b"ZADD", key, n * 2))
                        .and_then(|_| bulk_double(w, score))
                        .and_then(|_| bulk(w, m));
                }
            });
            res?;
        }
        Value::Hash(h) => {
            let mut with_ttl = false;
            h.for_each_entry(|_, _, t| with_ttl |= t != NO_TTL);
            let mut res: io::Result<()> = Ok(());
            if !with_ttl {
                let mut b = Batcher::new(h.len());
                h.for_each_entry(|k, v, _| {
                    if res.is_ok() {
                        res = b
                            .next(w, |w, n| head(w, b"HMSET", key, n * 2))
                            .and_then(|_| k.with_bytes(|k| bulk(w, k)))
                            .and_then(|_| v.with_bytes(|v| bulk(w, v)));
                    }
                });
            } else {
                h.for_each_entry(|k, v, t| {
                    if res.is_err() {
                        return;
                    }
                    res = (|| {
                        head(w, b"HMSET", key, 2)?;
                        k.with_bytes(|k| bulk(w, k))?;
                        v.with_bytes(|v| bulk(w, v))?;
                        if t != NO_TTL {
                            w.write_all(b"*6\r\n$10\r\nHPEXPIREAT\r\n")?;
                            bulk(w, key)?;
                            bulk_i64(w, t)?;
                            bulk(w, b"FIELDS")?;
                            bulk(w, b"1")?;
                            k.with_bytes(|k| bulk(w, k))?;
                        }
                        Ok(())
                    })();
                });
            }
            res?;
        }
        Value::Stream(s) => rewrite_stream(w, key, s)?,
    }
    if expire != -1 {
        w.write_all(b"*3\r\n$9\r\nPEXPIREAT\r\n")?;
        bulk(w, key)?;
        bulk_i64(w, expire)?;
    }
    Ok(())
}

/// A stream: its entries (XADD), its ids (XSETID), its groups with their consumers and pending entries.
fn rewrite_stream(w: &mut impl Write, key: &[u8], s: &Stream) -> io::Result<()> {
    if s.length > 0 {
        let mut res: io::Result<()> = Ok(());
        s.range(Id::MIN, Id::MAX, false, 0, |id, fields| {
            res = (|| {
                count(w, b'*', 3 + fields.len())?;
                bulk(w, b"XADD")?;
                bulk(w, key)?;
                bulk_id(w, id)?;
                for f in fields {
                    bulk(w, f)?;
                }
                Ok(())
            })();
            res.is_ok()
        });
        res?;
    } else {
        // The XADD MAXLEN 0 trick makes an empty stream.
        w.write_all(b"*7\r\n$4\r\nXADD\r\n")?;
        bulk(w, key)?;
        bulk(w, b"MAXLEN")?;
        bulk(w, b"0")?;
        bulk_id(w, Id::new(0, 1))?;
        bulk(w, b"x")?;
        bulk(w, b"y")?;
    }
    w.write_all(b"*7\r\n$6\r\nXSETID\r\n")?;
    bulk(w, key)?;
    bulk_id(w, s.last_id)?;
    bulk(w, b"ENTRIESADDED")?;
    bulk_i64(w, s.entries_added as i64)?;
    bulk(w, b"MAXDELETEDID")?;
    bulk_id(w, s.max_deleted)?;
    for (name, g) in &s.groups {
        w.write_all(b"*7\r\n$6\r\nXGROUP\r\n$6\r\nCREATE\r\n")?;
        bulk(w, key)?;
        bulk(w, &name)?;
        bulk_id(w, g.last_id)?;
        bulk(w, b"ENTRIESREAD")?;
        bulk_i64(w, g.entries_read)?;
        for (cname, c) in &g.consumers {
            if c.pel.is_empty() {
                w.write_all(b"*5\r\n$6\r\nXGROUP\r\n$14\r\nCREATECONSUMER\r\n")?;
                bulk(w, key)?;
                bulk(w, &name)?;
                bulk(w, &cname)?;
                continue;
            }
            for id in c.pel.keys() {
                let Some(nack) = g.pel.get(&id) else { continue };
                w.write_all(b"*12\r\n$6\r\nXCLAIM\r\n")?;
                bulk(w, key)?;
                bulk(w, &name)?;
                bulk(w, &cname)?;
                bulk(w, b"0")?;
                bulk_id(w, id)?;
                bulk(w, b"TIME")?;
                bulk_i64(w, nack.delivery_time)?;
                bulk(w, b"RETRYCOUNT")?;
                bulk_i64(w, nack.delivery_count as i64)?;
                bulk(w, b"JUSTID")?;
                bulk(w, b"FORCE")?;
            }
        }
    }
    Ok(())
}

/// What a base holds besides the keys.
#[derive(Default)]
pub struct Extras {
    /// `#TS:<unix seconds>` first (aof-timestamp-enabled).
    pub timestamp: Option<i64>,
    /// The function libraries' code: a FUNCTION LOAD each, before the keys.
    pub functions: Vec<Vec<u8>>,
    /// rdb-key-save-delay: microseconds slept after each key (tests slow a rewrite down with it).
    pub key_delay_us: u64,
}

/// The whole dataset (rewriteAppendOnlyFileRio).
pub fn rewrite(ks: &Keyspace, w: &mut impl Write, x: &Extras) -> io::Result<()> {
    if let Some(ts) = x.timestamp {
        write!(w, "#TS:{ts}\r\n")?;
    }
    for code in &x.functions {
        w.write_all(b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n")?;
        bulk(w, code)?;
    }
    for (j, db) in ks.dbs.iter().enumerate() {
        if db.dict.is_empty() {
            continue;
        }
        w.write_all(b"*2\r\n$6\r\nSELECT\r\n")?;
        bulk_i64(w, j as i64)?;
        for (k, e) in db.dict.iter() {
            rewrite_key(w, k.as_slice(), &e.value, db.expire_of(k.as_slice(), e))?;
            if x.key_delay_us > 0 {
                std::thread::sleep(std::time::Duration::from_micros(x.key_delay_us));
            }
        }
    }
    Ok(())
}

/// Writes the command-form base to `path` (through a temp file in the same
/// directory, fsynced, then renamed, as rewriteAppendOnlyFile does).
pub fn write_file(ks: &Keyspace, path: &std::path::Path, x: &Extras) -> io::Result<()> {
    let tmp = path.with_file_name(format!("temp-rewriteaof-{}.aof", std::process::id()));
    let res = (|| {
        let f = std::fs::File::create(&tmp)?;
        let mut w = io::BufWriter::with_capacity(1 << 20, f);
        rewrite(ks, &mut w, x)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbytes::SBytes;

    fn text(ks: &Keyspace) -> String {
        let mut out = Vec::new();
        rewrite(ks, &mut out, &Extras::default()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_and_expires() {
        let mut k = Keyspace::new(2);
        k.set(1, b"a", Value::Int(12), 1234);
        assert_eq!(
            text(&k),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$2\r\n12\r\n*3\r\n$9\r\nPEXPIREAT\r\n$1\r\na\r\n$4\r\n1234\r\n"
        );
        let mut k = Keyspace::new(1);
        k.set(0, b"s", Value::Str(SBytes::new(b"hi")), -1);
        assert!(text(&k).ends_with("*3\r\n$3\r\nSET\r\n$1\r\ns\r\n$2\r\nhi\r\n"));
    }

    #[test]
    fn timestamp_and_functions_come_first() {
        let mut k = Keyspace::new(1);
        k.set(0, b"a", Value::Int(1), -1);
        let mut out = Vec::new();
        let x = Extras { timestamp: Some(1700000000), functions: vec![b"#!lua name=l".to_vec()], key_delay_us: 0 };
        rewrite(&k, &mut out, &x).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("#TS:1700000000\r\n*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$12\r\n#!lua name=l\r\n*2\r\n$6\r\nSELECT\r\n"));
    }

    #[test]
    fn batches_of_64() {
        let mut w = Vec::new();
        let mut b = Batcher::new(130);
        let mut heads = Vec::new();
        for _ in 0..130 {
            b.next(&mut w, |_, n| {
                heads.push(n);
                Ok(())
            })
            .unwrap();
        }
        assert_eq!(heads, vec![64, 64, 2]);
    }
}
