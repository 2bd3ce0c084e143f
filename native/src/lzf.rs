//! LZF compression, byte-compatible with Redis's lzf_c.c / lzf_d.c.
//! Skeleton: filled in by the data types work.
