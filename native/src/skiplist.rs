//! The sorted set's skiplist with spans, ranks in O(log n) (t_zset.c's zsl*).
//! Skeleton: filled in by the data types work.
