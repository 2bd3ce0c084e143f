//! What the batch path needs to answer PUBLISH itself: how many clients each
//! channel has, and whether any pattern is subscribed. TypeScript owns the
//! subscriptions (src/pubsub) and keeps these counts as they change; it
//! delivers the messages of the PUBLISHes a batch ran, from the batch's log.
//! With a pattern subscribed, the count needs the matching, and PUBLISH goes
//! the usual way.
use std::cell::{Cell, RefCell};

thread_local! {
    /// Channels with at least one subscriber, and how many.
    static CHANNELS: RefCell<ahash::AHashMap<Vec<u8>, u32>> = RefCell::new(ahash::AHashMap::default());
    /// Patterns with at least one subscriber.
    static PATTERNS: Cell<u32> = const { Cell::new(0) };
}

/// `channel` now has `clients` subscribers (0: none).
pub fn set_channel(channel: &[u8], clients: u32) {
    CHANNELS.with(|m| {
        let mut m = m.borrow_mut();
        if clients == 0 {
            m.remove(channel);
        } else {
            m.insert(channel.to_vec(), clients);
        }
    });
}

/// `n` patterns now have subscribers.
pub fn set_patterns(n: u32) {
    PATTERNS.with(|p| p.set(n));
}

/// Forgets every count (engine_init: a new server starts with none).
pub fn reset() {
    CHANNELS.with(|m| m.borrow_mut().clear());
    PATTERNS.with(|p| p.set(0));
}

/// How many clients a PUBLISH to `channel` reaches, when that is known
/// without matching patterns.
#[inline]
pub fn receivers(channel: &[u8]) -> Option<u32> {
    if PATTERNS.with(|p| p.get()) != 0 {
        return None;
    }
    Some(CHANNELS.with(|m| m.borrow().get(channel).copied().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_patterns() {
        reset();
        assert_eq!(receivers(b"a"), Some(0));
        set_channel(b"a", 2);
        assert_eq!(receivers(b"a"), Some(2));
        set_patterns(1);
        assert_eq!(receivers(b"a"), None);
        set_patterns(0);
        set_channel(b"a", 0);
        assert_eq!(receivers(b"a"), Some(0));
    }
}
