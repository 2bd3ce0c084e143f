//! Skeleton: the bitops commands (Redis's bitops.c), filled in by their family.
use crate::command::Cmd;

/// The bitops commands the engine runs (command.rs registers them).
pub const COMMANDS: &[Cmd] = &[];
