//! Skeleton: the sort commands (Redis's sort.c), filled in by their family.
use crate::command::Cmd;

/// The sort commands the engine runs (command.rs registers them).
pub const COMMANDS: &[Cmd] = &[];
