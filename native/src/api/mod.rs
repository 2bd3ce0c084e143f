//! The N-API surface: thin `#[napi]` functions over the engine modules. Each
//! takes the caller's reply buffer and position and returns the new position
//! or a negative status code (`reply::code`).
pub mod debug;
pub mod keys;
pub mod raw;
pub mod server;
pub mod state;
pub mod strings;
