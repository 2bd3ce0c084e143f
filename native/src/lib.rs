//! Nodis's native core: the keyspace, value types and encodings, and the byte
//! crunching hot paths. JavaScript reaches it only through `api`.
#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

pub mod alloc;
pub mod aof_rewrite;
pub mod api;
pub mod batch;
pub mod bitops;
pub mod changes;
pub mod command;
pub mod config;
pub mod connection;
pub mod db;
pub mod dict;
pub mod digest;
pub mod evict;
pub mod expire;
pub mod fork;
pub mod geo;
pub mod generic;
pub mod keys_cmd;
pub mod glob;
pub mod hyperloglog;
pub mod intset;
pub mod keyspace;
pub mod lazyfree;
pub mod lcs;
pub mod lua;
pub mod listpack;
pub mod lpbuf;
pub mod lzf;
pub mod object;
pub mod pubsub;
pub mod quicklist;
pub mod rax;
pub mod rdb;
pub mod reply;
pub mod sbytes;
pub mod skiplist;
pub mod sort;
pub mod state;
pub mod t_hash;
pub mod t_list;
pub mod t_set;
pub mod t_stream;
pub mod t_string;
pub mod t_string_float;
pub mod t_zset;
#[cfg(test)]
pub mod testutil;
pub mod util;
