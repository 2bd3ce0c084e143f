//! The engine's command table: the data-type commands (and PING and ECHO,
//! connection.rs) whose whole semantics
//! (argument parsing included) live in Rust, each a function over the client's
//! argv (argv[0] is the command name, as in Redis's C). TypeScript holds the
//! table's metadata (arity, flags, keys, docs) in src/commands/<family>.ts and
//! calls these by number through one raw binding (`rawCommand`), so adding a
//! command is one entry here and one definition there.
//!
//! A function writes its reply with `Out` (errors included: `out.error(..)`)
//! and returns `code::WRITTEN`, or returns a status code it leaves to
//! TypeScript (`code::NIL`, `code::OK`, `code::BLOCK`, ...).
use crate::keyspace::Keyspace;
use crate::reply::Out;
use std::sync::OnceLock;

/// One engine command: `f(keyspace, db, argv, out)`.
pub type CmdFn = fn(&mut Keyspace, usize, &[&[u8]], &mut Out) -> i64;

pub struct Cmd {
    /// Lowercase, as in the TypeScript table.
    pub name: &'static str,
    pub f: CmdFn,
}

/// Every family's commands, in one table whose positions are the ids TypeScript uses.
pub fn table() -> &'static [Cmd] {
    static FLAT: OnceLock<Vec<Cmd>> = OnceLock::new();
    FLAT.get_or_init(|| {
        let families: &[&[Cmd]] = &[
            crate::t_string::COMMANDS,
            crate::t_list::COMMANDS,
            crate::t_hash::COMMANDS,
            crate::t_set::COMMANDS,
            crate::t_zset::COMMANDS,
            crate::bitops::COMMANDS,
            crate::hyperloglog::COMMANDS,
            crate::geo::COMMANDS,
            crate::sort::COMMANDS,
            crate::t_stream::COMMANDS,
            crate::rdb::dump::COMMANDS,
            crate::keys_cmd::COMMANDS,
            crate::rdb::migrate::COMMANDS,
            crate::connection::COMMANDS,
        ];
        families.iter().flat_map(|f| f.iter()).map(|c| Cmd { name: c.name, f: c.f }).collect()
    })
}

/// Runs command `id` of `table()`.
#[inline]
pub fn run(ks: &mut Keyspace, id: u32, db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    (table()[id as usize].f)(ks, db, argv, out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_unique_and_lowercase() {
        let t = super::table();
        let mut seen = std::collections::HashSet::new();
        for c in t {
            assert_eq!(c.name, c.name.to_lowercase());
            assert!(seen.insert(c.name), "{} twice", c.name);
        }
    }
}
