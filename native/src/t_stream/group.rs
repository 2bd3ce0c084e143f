//! Consumer groups (Redis's streamCG, streamConsumer, streamNACK): the
//! group's pending entries list (PEL) by ID, each entry naming its consumer,
//! and each consumer's own PEL (the IDs it owns). All in raxes as Redis has them.
use super::id_map::{IdMap, IdSet};
use super::Id;
use crate::rax::Rax;
use std::sync::Arc;

#[derive(Clone)]
pub struct Nack {
    /// When it was last delivered (ms).
    pub delivery_time: i64,
    pub delivery_count: u64,
    /// The consumer's name, shared with it (Redis points at the consumer).
    pub consumer: Arc<[u8]>,
}

#[derive(Clone)]
pub struct Consumer {
    pub name: Arc<[u8]>,
    /// Last interaction (ms).
    pub seen_time: i64,
    /// Last successful interaction (ms; -1: never).
    pub active_time: i64,
    pub pel: IdSet,
}

impl Consumer {
    pub fn new(name: &[u8], now: i64) -> Consumer {
        Consumer { name: name.into(), seen_time: now, active_time: -1, pel: IdSet::new() }
    }
}

#[derive(Clone)]
pub struct Group {
    pub last_id: Id,
    /// Entries read by the group (-1: unknown; SCG_INVALID_ENTRIES_READ).
    pub entries_read: i64,
    pub pel: IdMap<Nack>,
    /// By name.
    pub consumers: Rax<Consumer>,
}

/// SCG_INVALID_ENTRIES_READ.
pub const INVALID_ENTRIES_READ: i64 = -1;

impl Group {
    pub fn new(last_id: Id, entries_read: i64) -> Group {
        Group { last_id, entries_read, pel: IdMap::new(), consumers: Rax::new() }
    }

    /// Removes `id` from the group's PEL and its consumer's; true if it was pending.
    pub fn ack(&mut self, id: Id) -> bool {
        match self.pel.remove(&id) {
            Some(n) => {
                if let Some(c) = self.consumers.get_mut(&n.consumer) {
                    c.pel.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// Gives pending `id` to `consumer` (created before), as XCLAIM does.
    pub fn assign(&mut self, id: Id, consumer: &[u8]) {
        let Some(name) = self.consumers.get(consumer).map(|c| c.name.clone()) else { return };
        if let Some(n) = self.pel.get_mut(&id) {
            if *n.consumer != *consumer {
                let old = std::mem::replace(&mut n.consumer, name);
                if let Some(c) = self.consumers.get_mut(&old) {
                    c.pel.remove(&id);
                }
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.add(id);
        }
    }
}
