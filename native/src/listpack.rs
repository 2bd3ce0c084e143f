//! Redis's listpack byte layout (listpack.c): written once, used by lists, hashes, sets and sorted sets.
//! Skeleton: filled in by the data types work.
