//! Nodis's native core: the keyspace, value types and encodings, and the byte
//! crunching hot paths. JavaScript reaches it only through `api`.
#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

pub mod alloc;
pub mod api;
pub mod changes;
pub mod db;
pub mod dict;
pub mod digest;
pub mod expire;
pub mod generic;
pub mod glob;
pub mod keyspace;
pub mod lazyfree;
pub mod lcs;
pub mod object;
pub mod reply;
pub mod sbytes;
pub mod state;
pub mod t_string;
pub mod t_string_float;
pub mod util;
