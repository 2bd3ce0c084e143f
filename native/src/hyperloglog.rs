//! Skeleton: the hyperloglog commands (Redis's hyperloglog.c), filled in by their family.
use crate::command::Cmd;

/// The hyperloglog commands the engine runs (command.rs registers them).
pub const COMMANDS: &[Cmd] = &[];
