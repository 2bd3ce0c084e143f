//! Lua 5.1 scripting as Redis 7.2 embeds it: one interpreter for EVAL scripts
//! (the `vendored` Lua of the mlua crate, driven through its raw C API), the
//! sandbox Redis gives scripts (sandbox.rs), the `redis` table (redis_api.rs),
//! the conversions between Lua values and RESP (to_resp.rs, from_resp.rs), and
//! the crossing back to JavaScript that runs a script's redis.call (bridge.rs).
//!
//! The interpreter holds no borrow of the Keyspace: a redis.call goes out to
//! JavaScript, which runs the command through the same path as a client's and
//! re-enters the addon for it.
pub mod bit;
pub mod bridge;
pub mod cjson;
pub mod cmsgpack;
pub mod from_resp;
pub mod payload;
pub mod functions;
pub mod rand48;
pub mod redis_api;
pub mod sandbox;
pub mod state;
pub mod structlib;
pub mod to_resp;
pub mod util;

pub use state::{Engine, Outcome, RunMode};
