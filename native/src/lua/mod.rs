//! Lua 5.1 scripting as Redis 7.2 embeds it: an interpreter for EVAL scripts
//! and one for functions (state.rs, functions.rs; the `vendored` Lua of the
//! mlua crate, driven through its raw C API), the sandbox Redis gives scripts
//! (sandbox.rs), the `redis` table (redis_api.rs), the libraries (cjson.rs,
//! cmsgpack.rs, bit.rs, structlib.rs), the conversions between Lua values and
//! RESP (to_resp.rs, from_resp.rs), FUNCTION DUMP payloads (payload.rs), and
//! the crossing back to JavaScript that runs a script's redis.call (bridge.rs),
//! and the engine commands a redis.call runs without it (direct.rs).
//!
//! The interpreter holds no borrow of the Keyspace: a redis.call goes out to
//! JavaScript, which runs the command through the same path as a client's and
//! re-enters the addon for it, or runs an engine command here (direct.rs).
//!
//! Nearly every function here takes a raw `lua_State` of one of our
//! interpreters and follows the Lua C API's stack discipline: that is their
//! safety contract, stated once here rather than on each.
#![allow(clippy::missing_safety_doc)]
pub mod bit;
pub mod bridge;
pub mod cjson;
pub mod cmsgpack;
pub mod direct;
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
