//! The N-API surface: thin bindings over the engine modules. Those that
//! answer a command take the caller's reply buffer and position and return the
//! new position (the reply, errors included, is written) or a negative status
//! code for TypeScript to act on (`reply::code`: NIL, OK, NOSPACE, ...).
//!
//! Hot bindings are raw callbacks generated from `raw_table.rs` (see raw.rs);
//! the others are `#[napi(catch_unwind)]` functions (build.rs refuses a
//! `#[napi]` function without `catch_unwind`: a panic must become a JS error).
pub mod aof;
pub mod commands;
pub mod debug;
pub mod doze;
pub mod evict;
pub mod held;
pub mod io;
pub mod reads;
pub mod keys;
pub mod memory;
pub mod persistence;
pub mod raw;
pub mod scripting;
pub mod raw_types;
pub mod server;
pub mod state;
pub mod strings;
