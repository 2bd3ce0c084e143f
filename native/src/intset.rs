//! Redis's intset byte layout (intset.c).
//! Skeleton: filled in by the data types work.
