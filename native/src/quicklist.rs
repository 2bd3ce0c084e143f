//! The quicklist: a list of listpack nodes, inner nodes LZF-compressed (quicklist.c).
//! Skeleton: filled in by the data types work.
