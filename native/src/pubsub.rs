//! What the batch path needs to answer PUBLISH itself: how many clients each
//! channel and each pattern has. TypeScript owns the subscriptions
//! (src/pubsub) and keeps these counts as they change; it delivers the
//! messages of the PUBLISHes a batch ran, from the batch's log. A PUBLISH
//! reaches the channel's clients and those of every pattern it matches (a
//! client subscribed to both counts twice, as in Redis). With more patterns
//! than PATTERNS_MAX, matching them all here and again in TypeScript would
//! cost more than it saves: PUBLISH goes the usual way.
use std::cell::{Cell, RefCell};

thread_local! {
    /// Channels with at least one subscriber, and how many.
    static CHANNELS: RefCell<ahash::AHashMap<Vec<u8>, u32>> = RefCell::new(ahash::AHashMap::default());
    /// Whether the last batch ran a PUBLISH (its messages wait for TypeScript).
    static PUBLISHED: Cell<bool> = const { Cell::new(false) };
    /// Patterns with at least one subscriber, and how many, in subscription order.
    static PATTERNS: RefCell<Vec<(Vec<u8>, u32)>> = const { RefCell::new(Vec::new()) };
}

/// The most patterns receivers() matches a channel against.
const PATTERNS_MAX: usize = 16;

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

/// `pattern` now has `clients` subscribers (0: none).
pub fn set_pattern(pattern: &[u8], clients: u32) {
    PATTERNS.with(|p| {
        let mut p = p.borrow_mut();
        let at = p.iter().position(|(name, _)| name == pattern);
        match (at, clients) {
            (Some(i), 0) => {
                p.remove(i);
            }
            (Some(i), n) => p[i].1 = n,
            (None, 0) => {}
            (None, n) => p.push((pattern.to_vec(), n)),
        }
    });
}

/// Forgets every count (engine_init: a new server starts with none).
pub fn reset() {
    CHANNELS.with(|m| m.borrow_mut().clear());
    PATTERNS.with(|p| p.borrow_mut().clear());
}

/// A batch starts (false) or ran a PUBLISH (true).
#[inline]
pub fn set_published(ran: bool) {
    PUBLISHED.with(|p| p.set(ran));
}

/// Whether the last batch ran a PUBLISH: the read loop hands it to TypeScript
/// at once (its messages are delivered there), never with the quiet turns it
/// lets wait (reads.rs Carry).
#[inline]
pub fn published() -> bool {
    PUBLISHED.with(|p| p.get())
}

/// How many clients a PUBLISH to `channel` reaches (None: too many patterns to match here).
#[inline]
pub fn receivers(channel: &[u8]) -> Option<u32> {
    let by_patterns = PATTERNS.with(|p| {
        let p = p.borrow();
        if p.len() > PATTERNS_MAX {
            return None;
        }
        Some(p.iter().filter(|(pattern, _)| crate::glob::matches(pattern, channel, false)).map(|(_, n)| n).sum::<u32>())
    })?;
    Some(by_patterns + CHANNELS.with(|m| m.borrow().get(channel).copied().unwrap_or(0)))
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
        set_pattern(b"a*", 1);
        set_pattern(b"?", 3);
        set_pattern(b"b*", 5);
        assert_eq!(receivers(b"a"), Some(6));
        assert_eq!(receivers(b"ab"), Some(1));
        set_pattern(b"?", 0);
        assert_eq!(receivers(b"a"), Some(3));
        for i in 0..PATTERNS_MAX {
            set_pattern(format!("p{i}").as_bytes(), 1);
        }
        assert_eq!(receivers(b"a"), None, "too many patterns to match here");
        reset();
        assert_eq!(receivers(b"a"), Some(0));
    }
}
