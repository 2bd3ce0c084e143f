//! Skeleton: the geo commands (Redis's geo.c), filled in by their family.
use crate::command::Cmd;

/// The geo commands the engine runs (command.rs registers them).
pub const COMMANDS: &[Cmd] = &[];
