//! The zset type (listpack, skiplist + dict) and its commands' semantics (Redis's t_zset.c).
//! Skeleton: the zset family fills this in.
use crate::command::Cmd;
use crate::digest::Digest;

#[derive(Clone, Default)]
pub struct ZSet {}

impl ZSet {
    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        "unknown"
    }
    /// Mixes the contents into `digest` as Redis's xorObjectDigest does.
    pub fn digest(&self, _digest: &mut Digest) {}
    /// Redis's lazyfreeGetFreeEffort for this value.
    pub fn free_effort(&self) -> usize {
        1
    }
}

/// The zset commands the engine runs (command.rs registers them).
pub const COMMANDS: &[Cmd] = &[];
