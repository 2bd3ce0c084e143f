//! The settings the engine's encodings read (Redis's server.*_max_* fields):
//! set from the config table by TypeScript (src/engine/config.ts), read by the
//! type modules through `get()`. One table: a new setting is one line here.
use std::cell::UnsafeCell;

macro_rules! engine_config {
    ($($field:ident = $name:literal, $default:expr;)*) => {
        /// The current values.
        #[derive(Clone, Debug)]
        pub struct EngineConfig { $(pub $field: i64,)* }

        impl Default for EngineConfig {
            fn default() -> Self {
                EngineConfig { $($field: $default,)* }
            }
        }

        /// The settings' config names, in table order.
        pub const NAMES: &[&str] = &[$($name,)*];

        impl EngineConfig {
            /// Sets the setting named `name`; false when the engine has none of that name.
            pub fn set(&mut self, name: &str, value: i64) -> bool {
                match name {
                    $($name => self.$field = value,)*
                    _ => return false,
                }
                true
            }
        }
    };
}

engine_config! {
    list_max_listpack_size = "list-max-listpack-size", -2;
    list_compress_depth = "list-compress-depth", 0;
    hash_max_listpack_entries = "hash-max-listpack-entries", 512;
    hash_max_listpack_value = "hash-max-listpack-value", 64;
    set_max_intset_entries = "set-max-intset-entries", 512;
    set_max_listpack_entries = "set-max-listpack-entries", 128;
    set_max_listpack_value = "set-max-listpack-value", 64;
    zset_max_listpack_entries = "zset-max-listpack-entries", 128;
    zset_max_listpack_value = "zset-max-listpack-value", 64;
    hll_sparse_max_bytes = "hll-sparse-max-bytes", 3000;
    stream_node_max_bytes = "stream-node-max-bytes", 4096;
    stream_node_max_entries = "stream-node-max-entries", 100;
    proto_max_bulk_len = "proto-max-bulk-len", 512 * 1024 * 1024;
    // yes/no parameters: 1 or 0.
    cluster_enabled = "cluster-enabled", 0;
    lazyfree_lazy_server_del = "lazyfree-lazy-server-del", 0;
    rdbcompression = "rdbcompression", 1;
    rdbchecksum = "rdbchecksum", 1;
    // Microseconds the RDB writer sleeps after each key (tests make saves slow with it).
    rdb_key_save_delay = "rdb-key-save-delay", 0;
}

/// Only the JS thread touches it (commands run one at a time).
struct Slot(UnsafeCell<Option<EngineConfig>>);
unsafe impl Sync for Slot {}
static CONFIG: Slot = Slot(UnsafeCell::new(None));

/// The engine's settings (defaults until TypeScript sets them).
#[inline]
pub fn get() -> &'static EngineConfig {
    unsafe { (*CONFIG.0.get()).get_or_insert_with(EngineConfig::default) }
}

/// Sets one setting by its config name; false when the engine has none of that name.
pub fn set(name: &str, value: i64) -> bool {
    unsafe { (*CONFIG.0.get()).get_or_insert_with(EngineConfig::default).set(name, value) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sets_by_name() {
        assert!(super::set("zset-max-listpack-entries", 7));
        assert_eq!(super::get().zset_max_listpack_entries, 7);
        assert!(!super::set("no-such-setting", 1));
        super::set("zset-max-listpack-entries", 128);
    }
}
